"""Personal MAX links: the deputy's «ссылки MAX» / «ссылка MAX <ФИО>», and a teacher opening one
(`bot_started` with the token) is identified with one tap. A plain Start from a stranger in MAX
asks for the name, as identification does.

A neutral handler: it runs on any messenger the router is fed from.
"""

from __future__ import annotations

from typing import Any

from bot.config import Settings
from bot.domain.invites import InviteOutcome, refusal
from bot.domain.menus import main_menu
from bot.domain.models import Person, Role
from bot.domain.russian import count
from bot.messaging import actions
from bot.messaging.events import MessageIn, Messenger, OutFile, PersonStarted, Reply
from bot.messaging.filters import Command, Known, Private, normalize
from bot.messaging.router import Router
from bot.messaging.state import StateStore
from bot.ports import MessengerPort, PortFailure
from bot.services.access import AccessService, Denied
from bot.services.identity import find_candidates
from bot.services.invites import InviteError, InviteLink, InviteService, sheets
from bot.services.privacy import data_notice
from handlers.identify import ASK_NAME, STEP_TTL, name_key

router = Router("invites")

SCHOOL_WORDS = ("ссылки max", "ссылки в max", "ссылки макс", "ссылки для max", "персональные ссылки")
ONE_PREFIXES = ("ссылка max", "ссылка в max", "ссылка макс", "ссылка для max")
OFF = "Персональные ссылки работают, когда бот подключён к MAX."
HOW_ONE = ("Напишите «ссылка MAX» и фамилию сотрудника, например «ссылка MAX Иванова Анна Петровна», "
           "или «ссылки MAX» — для всех, кто ещё не подключён.")
WELCOME = ("{name}здравствуйте! Я узнал вас по персональной ссылке: вы — {full}. Теперь я буду присылать "
           "напоминания и отвечать на вопросы о Сферуме. Кнопки внизу — всё, что я умею.")
ALREADY = "Вы уже подключены, {full}. Кнопки внизу — всё, что я умею."


def _one_prefix(text: str) -> str | None:
    typed = normalize(text)
    for prefix in ONE_PREFIXES:
        if typed == prefix or typed.startswith(prefix + " "):
            return text.strip()[len(prefix):].strip(" :,-")
    return None


async def one_link(event: MessageIn) -> bool | dict[str, Any]:
    """«ссылка MAX Иванова Анна»: passes the typed name (maybe empty)."""
    found = _one_prefix(event.command)
    return False if found is None else {"typed_name": found}


async def _deputy(event: MessageIn, messenger: MessengerPort, access: AccessService, action: str) -> Person | None:
    try:
        return await access.require(event.sender, action, [Role.DEPUTY])
    except Denied as denied:
        await messenger.send(Reply(chat=event.chat, text=denied.text))
        return None


@router.message(Private(), Known(), Command(actions.InviteLinks, *SCHOOL_WORDS))
async def cmd_school_links(event: MessageIn, messenger: MessengerPort, access: AccessService,
                           settings: Settings, invites: InviteService | None = None) -> None:
    """Links with QR codes for everyone in the school not yet in MAX: an xlsx table and PDF cards."""
    deputy = await _deputy(event, messenger, access, "invite_links")
    if deputy is None or deputy.org_id is None:
        return
    if invites is None:
        await messenger.send(Reply(chat=event.chat, text=OFF))
        return
    people = await invites.school_people(deputy.org_id)
    if not people:
        await messenger.send(Reply(chat=event.chat, text="Все сотрудники из списка уже подключены к MAX."))
        return
    try:
        links = await invites.issue(people, deputy.org_id, deputy.id)
    except InviteError as exc:
        await messenger.send(Reply(chat=event.chat, text=exc.text[0].upper() + exc.text[1:] + "."))
        return
    school = settings.school(deputy.org_id)
    table, cards = await sheets(links, school.name)
    text = (f"Готово: {count(len(links), 'персональная ссылка')} для тех, кто ещё не подключён к MAX. "
            f"Каждая срабатывает один раз и действует до {links[0].until}; прежние ссылки этих людей "
            "больше не работают.\nТаблица — чтобы разослать ссылки, PDF — чтобы распечатать карточки "
            "с QR-кодами. Сотрудник открывает ссылку на телефоне и нажимает «Начать» — бот сразу его узнаёт.")
    await messenger.send(Reply(chat=event.chat, text=text, files=(
        OutFile(name="max-links.xlsx", data=table), OutFile(name="max-links.pdf", data=cards))))


@router.message(Private(), Known(), one_link)
async def cmd_one_link(event: MessageIn, typed_name: str, messenger: MessengerPort, access: AccessService,
                       invites: InviteService | None = None) -> None:
    """One person's link with its QR code."""
    deputy = await _deputy(event, messenger, access, "invite_link")
    if deputy is None or deputy.org_id is None:
        return
    if invites is None:
        await messenger.send(Reply(chat=event.chat, text=OFF))
        return
    if not typed_name:
        await messenger.send(Reply(chat=event.chat, text=HOW_ONE))
        return
    found = [c.person for c in find_candidates(typed_name, await invites.school_people(deputy.org_id,
                                                                                      unbound_only=False))]
    if not found:
        await messenger.send(Reply(chat=event.chat, text=f"Не нашёл «{typed_name[:80]}» в списке сотрудников "
                                   "школы. Проверьте написание или загрузите обновлённый список."))
        return
    if len(found) > 1:
        names = "\n".join(f"• {p.full_name}" for p in found)
        await messenger.send(Reply(chat=event.chat, text=f"Подходят несколько человек:\n{names}\n\n"
                                   "Напишите фамилию, имя и отчество полностью."))
        return
    try:
        [link] = await invites.issue(found, deputy.org_id, deputy.id)
    except InviteError as exc:
        await messenger.send(Reply(chat=event.chat, text=exc.text[0].upper() + exc.text[1:] + "."))
        return
    await _send_one(messenger, event, link)


async def _send_one(messenger: MessengerPort, event: MessageIn, link: InviteLink) -> None:
    from bot.invite_sheets import qr_png

    bound = " (сейчас к нему привязан другой аккаунт MAX)" if link.person.max_id else ""
    text = (f"Персональная ссылка для {link.person.full_name}{bound}:\n{link.url}\n\n"
            f"Срабатывает один раз, действует до {link.until}; прежние ссылки этого человека больше не работают. "
            "Перешлите её сотруднику или покажите QR-код.")
    try:
        image = await messenger.upload(event.chat, OutFile(name="qr.png", data=qr_png(link.url, scale=8), image=True))
    except PortFailure:
        await messenger.send(Reply(chat=event.chat, text=text))
        return
    await messenger.send(Reply(chat=event.chat, text=text, attachments=(image,)))


async def _in_max(event: PersonStarted) -> bool:
    return event.sender.messenger is Messenger.MAX


@router.started(_in_max)
async def on_max_start(event: PersonStarted, messenger: MessengerPort, settings: Settings,
                       person: Person | None = None, invites: InviteService | None = None,
                       dialogs: StateStore | None = None, bot_id: int = 0) -> None:
    """Start in MAX: a personal link binds the account; a stranger without one is asked for the name."""
    result = await invites.redeem(event.payload, event.sender.external_id) if invites is not None else None
    if result is None:
        if person is None:
            if dialogs is not None:
                await dialogs.set(name_key(bot_id, event.chat, event.sender), "name", ttl=STEP_TTL)
            await messenger.send(Reply(chat=event.chat, text=ASK_NAME))
        return
    bound = result.person
    if result.outcome is InviteOutcome.BOUND and bound is not None:
        name = bound.first_and_middle
        text = WELCOME.format(name=f"{name}, " if name else "", full=bound.full_name)
        await messenger.send(Reply(chat=event.chat, text=text + "\n\n" + data_notice(settings, bound.org_id, event.sender.messenger),
                                   keyboard=main_menu(bound.role)))
        return
    if result.outcome is InviteOutcome.ALREADY and bound is not None:
        await messenger.send(Reply(chat=event.chat, text=ALREADY.format(full=bound.full_name),
                                   keyboard=main_menu(bound.role)))
        return
    if person is None and dialogs is not None:
        # The refusal asks for the name: what they type next goes to identification.
        await dialogs.set(name_key(bot_id, event.chat, event.sender), "name", ttl=STEP_TTL)
    await messenger.send(Reply(chat=event.chat, text=refusal(result.outcome)))
