"""Reaching people: a person started or stopped the bot, and the deputy's «Кто не подписан».

A neutral handler: it runs on any messenger the router is fed from.
"""

from __future__ import annotations

from bot.config_bots import SINGLE_BOT
from bot.domain.models import Person, Role
from bot.messaging import actions
from bot.messaging.events import MessageIn, Messenger, OutFile, PersonStarted, PersonStopped, Reply
from bot.messaging.filters import Command, InGroup, Known, Private
from bot.messaging.middlewares import PersonLookups
from bot.messaging.router import Router
from bot.ports import MessengerPort, PortFailure
from bot.services.access import AccessService, Denied
from bot.services.reachability import MAX_NO_CHECK, ReachabilityService, ReachSummary

router = Router("reach")

LIST_LIMIT = 60
WORDS = ("кто не подписан", "не подписаны", "приглашение")
OFF = "Проверка доступности сейчас выключена."


@router.started()
async def on_allow(event: PersonStarted, reachability: ReachabilityService | None = None,
                   bot: str = SINGLE_BOT) -> None:
    """Someone allowed the messages of the community `bot`: it can write to them now.

    VK only: the MAX adapter keeps what it learns of MAX accounts itself (bot.max.runtime).
    """
    if reachability is not None and event.sender.messenger is Messenger.VK:
        await reachability.allow(event.sender.external_id, bot=bot)


@router.stopped()
async def on_deny(event: PersonStopped, reachability: ReachabilityService | None = None,
                  bot: str = SINGLE_BOT) -> None:
    """Someone forbade the messages of the community `bot`: it cannot write to them (VK only, as above)."""
    if reachability is not None and event.sender.messenger is Messenger.VK:
        await reachability.deny(event.sender.external_id, bot=bot)


def render_list(summary: ReachSummary) -> str:
    """The count first, then who and why."""
    if not summary.unreachable:
        return f"Бот может написать всем сотрудникам из списка ({summary.total})."
    count = len(summary.unreachable)
    lines = [f"Бот пока не может написать {count} из {summary.total} сотрудников:"]
    lines += [f"• {p.name} — {p.reason}" for p in summary.unreachable[:LIST_LIMIT]]
    if count > LIST_LIMIT:
        lines.append(f"…и ещё {count - LIST_LIMIT}")
    lines += ["", "Ниже — приглашение: перешлите его сотрудникам или в рабочий чат."]
    return "\n".join(lines)


@router.message(Private(), Known(), Command(actions.Unreachable, *WORDS))
async def cmd_unreachable(event: MessageIn, lookups: PersonLookups, messenger: MessengerPort, access: AccessService,
                          reachability: ReachabilityService | None = None) -> None:
    """«Кто не подписан»: the count and the list of people the bot cannot reach, then the invitation."""
    chat = event.chat
    try:
        deputy = await access.require(event.sender, "unreachable_list", [Role.DEPUTY], lookups=lookups)
    except Denied as denied:
        await messenger.send(Reply(chat=chat, text=denied.text))
        return
    if reachability is None or deputy.org_id is None:
        await messenger.send(Reply(chat=chat, text=OFF))
        return
    if chat.messenger is Messenger.MAX:
        await _max_list(messenger, event, reachability, deputy.org_id)
        return
    await reachability.refresh(deputy.org_id)
    await messenger.send(Reply(chat=chat, text=render_list(await reachability.summary(deputy.org_id))))
    invitation = await reachability.invitation(deputy.org_id)
    try:
        photo = await messenger.upload(chat, OutFile(name="qr.png", data=invitation.qr_png, image=True))
    except PortFailure:
        await messenger.send(Reply(chat=chat, text=invitation.text + "\n\n(QR-код не загрузился — отправьте ссылку.)"))
        return
    await messenger.send(Reply(chat=chat, text=invitation.text, attachments=(photo,)))


@router.message(InGroup(), Command(actions.Unreachable, "кто не подписан"))
async def chat_unreachable(event: MessageIn, person: Person | None, messenger: MessengerPort,
                           access: AccessService) -> None:
    """The list asked for in a group chat: refused (and audited); known people are told where to ask."""
    try:
        await access.require(event.sender, "unreachable_list", [Role.DEPUTY], in_chat=True)
    except Denied as denied:
        if person is not None:
            await messenger.send(Reply(chat=event.chat, text=denied.text))


async def _max_list(messenger: MessengerPort, event: MessageIn, reachability: ReachabilityService,
                    org_id: str) -> None:
    """«Кто не подписан» asked in MAX: what MAX told the bot (it has no check to ask), then the invitation."""
    chat = event.chat
    summary = await reachability.max_summary(org_id)
    text = render_list(summary).replace("Ниже — приглашение", "Персональные ссылки — «ссылки MAX»; ниже — приглашение")
    await messenger.send(Reply(chat=chat, text=text + "\n\n" + MAX_NO_CHECK))
    invitation = await reachability.max_invitation(org_id)
    if invitation is None:
        return
    try:
        photo = await messenger.upload(chat, OutFile(name="qr.png", data=invitation.qr_png, image=True))
    except PortFailure:
        await messenger.send(Reply(chat=chat, text=invitation.text))
        return
    await messenger.send(Reply(chat=chat, text=invitation.text, attachments=(photo,)))
