"""Reaching people: message_allow / message_deny events, and the deputy's «Кто не подписан»."""

from __future__ import annotations

from typing import Any

from vkbottle import GroupEventType
from vkbottle.bot import BotLabeler, Message

from bot.deps import Deps
from bot.domain.models import Role
from bot.services.access import Denied
from bot.services.outbox_rules import DeliveryError
from bot.services.reachability import ReachabilityService, ReachSummary
from handlers.common import Cmd, Known, say

labeler = BotLabeler()

LIST_LIMIT = 60


def _service(deps: Deps) -> ReachabilityService | None:
    service = deps.reachability
    return service if isinstance(service, ReachabilityService) else None


def _user_id(event: dict[str, Any]) -> int | None:
    obj = event.get("object")
    user_id = obj.get("user_id") if isinstance(obj, dict) else None
    return user_id if isinstance(user_id, int) and user_id > 0 else None


@labeler.raw_event(GroupEventType.MESSAGE_ALLOW, dict)
async def on_allow(event: dict[str, Any], deps: Deps) -> None:
    """Someone allowed the community's messages: the bot can write to them now."""
    service, user_id = _service(deps), _user_id(event)
    if service is not None and user_id is not None:
        await service.allow(user_id)


@labeler.raw_event(GroupEventType.MESSAGE_DENY, dict)
async def on_deny(event: dict[str, Any], deps: Deps) -> None:
    """Someone forbade the community's messages: the bot cannot write to them."""
    service, user_id = _service(deps), _user_id(event)
    if service is not None and user_id is not None:
        await service.deny(user_id)


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


@labeler.private_message(Known(), Cmd("unreachable", "кто не подписан", "не подписаны", "приглашение"))
async def cmd_unreachable(message: Message, deps: Deps) -> None:
    """«Кто не подписан»: the count and the list of people the bot cannot reach, then the invitation."""
    vk_id = message.from_id
    try:
        deputy = await deps.access.require(vk_id, "unreachable_list", [Role.DEPUTY])
    except Denied as denied:
        await say(deps, vk_id, denied.text)
        return
    service = _service(deps)
    if service is None or deputy.org_id is None:
        await say(deps, vk_id, "Проверка доступности сейчас выключена.")
        return
    await service.refresh(deputy.org_id)
    await say(deps, vk_id, render_list(await service.summary(deputy.org_id)))
    invitation = await service.invitation(deputy.org_id)
    try:
        photo = await deps.outbound.upload_photo(vk_id, invitation.qr_png, "qr.png")
    except DeliveryError:
        await say(deps, vk_id, invitation.text + "\n\n(QR-код не загрузился — отправьте ссылку.)")
        return
    await say(deps, vk_id, invitation.text, attachments=(photo,))


@labeler.chat_message(Cmd("unreachable", "кто не подписан"))
async def chat_unreachable(message: Message, deps: Deps) -> None:
    """The list asked for in a group chat: refused (and audited); known people are told where to ask."""
    try:
        await deps.access.require(message.from_id, "unreachable_list", [Role.DEPUTY], in_chat=True)
    except Denied as denied:
        if await deps.access.person(message.from_id) is not None:
            await say(deps, message.peer_id, denied.text)
