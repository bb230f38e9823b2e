"""«Мои чаты»: the confirmation dialog, the deputy's report and «не нужен», the code check in group chats."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from vkbottle import GroupEventType
from vkbottle.bot import BotLabeler, Message, MessageEvent
from vkbottle.dispatch.rules import ABCRule

from bot.deps import Deps
from bot.domain.models import Person, Role
from bot.domain.ui import Keyboard
from bot.services.access import Denied
from bot.services.chats import TO_LIST, ChatsRefused, ChatsService, Screen
from handlers.common import (
    Cmd,
    EventCmd,
    Known,
    event_in_chat,
    feature,
    is_private,
    payload_of,
    say,
    snackbar,
)

labeler = BotLabeler()

REPORT_ROLES = (Role.DEPUTY, Role.DIRECTOR)


def _service(deps: Deps) -> ChatsService:
    return feature(deps, "chats", ChatsService)


async def _show(deps: Deps, vk_id: int, screen: Awaitable[Screen]) -> None:
    """Send what the service answered; a refusal is said plainly and changes nothing."""
    try:
        shown = await screen
    except ChatsRefused as refused:
        snackbar(refused.text)
        await say(deps, vk_id, refused.text, Keyboard.column([TO_LIST]))
        return
    await say(deps, vk_id, shown.text, shown.keyboard)


async def _pressing(deps: Deps, event: MessageEvent, person: Person | None) -> Person | None:
    """The known person pressing a button in private; strangers and group chats are told why not."""
    if person is None:
        snackbar("Сначала напишите мне в личные сообщения, чтобы представиться.")
        return None
    if event_in_chat(event):
        snackbar("Свои чаты можно подтверждать только в личных сообщениях с ботом.")
        return None
    return person


async def _admin(deps: Deps, vk_id: int, action: str, roles: tuple[Role, ...] = REPORT_ROLES,
                 target: str | None = None, in_chat: bool = False, org_id: str | None = None) -> Person | None:
    """A deputy or the director, checked on the server and audited; None after saying why not."""
    try:
        return await deps.access.require(vk_id, action, roles, target=target, in_chat=in_chat, org_id=org_id)
    except Denied as denied:
        snackbar("Нет прав" if not in_chat else "Только в личных сообщениях")
        await say(deps, vk_id, denied.text)
        return None


async def _org_of(deps: Deps, person_id: object) -> str | None:
    """The school of the colleague a payload names (so that another school's deputy is refused as such)."""
    if not isinstance(person_id, int) or isinstance(person_id, bool):
        return None
    person = await deps.people.get(person_id)
    return person.org_id if person else None


class ChatsTyping(ABCRule[Message]):
    """Typed text (not a button) that answers the person's open chats dialog: injects `person`."""

    async def check(self, event: Message, deps: Deps) -> dict[str, Any] | bool:
        if not is_private(event) or payload_of(event) or not (event.text or "").strip():
            return False
        if not isinstance(deps.chats, ChatsService):
            return False
        person = await deps.access.person(event.from_id)
        if person is None or not await deps.chats.takes_text(person, event.text or ""):
            return False
        return {"person": person}


class HasOpenCode(ABCRule[Message]):
    """A group-chat message carrying a check code the bot is waiting for."""

    async def check(self, event: Message, deps: Deps) -> bool:
        if is_private(event) or not isinstance(deps.chats, ChatsService):
            return False
        return await deps.chats.has_open_code(event.text or "")


@labeler.private_message(Known(), Cmd("my_chats", "мои чаты", "чаты"))
async def cmd_my_chats(message: Message, deps: Deps, person: Person) -> None:
    """«Мои чаты»: the list, or the step of a dialog left open."""
    await _show(deps, message.from_id, _service(deps).my_chats(person))


@labeler.private_message(Known(), Cmd("migration_report", "перенос чатов", "отчёт по чатам", "отчет по чатам"))
async def cmd_report(message: Message, deps: Deps) -> None:
    """«Перенос чатов»: the school's progress for the deputy and the director."""
    viewer = await _admin(deps, message.from_id, "migration_report")
    if viewer is not None:
        await _show(deps, message.from_id, _service(deps).report_screen(viewer))


@labeler.chat_message(Cmd("migration_report", "перенос чатов", "отчёт по чатам", "отчет по чатам"))
async def chat_report(message: Message, deps: Deps) -> None:
    """The report asked for in a group chat: refused (names stay private) and audited."""
    try:
        await deps.access.require(message.from_id, "migration_report", REPORT_ROLES, in_chat=True)
    except Denied as denied:
        if await deps.access.person(message.from_id) is not None:
            await say(deps, message.peer_id, denied.text)


@labeler.private_message(ChatsTyping())
async def on_typed(message: Message, deps: Deps, person: Person) -> None:
    """An answer typed at any step: a messenger, «да», «отмена», a link, a reason, a number, a title."""
    await _show(deps, message.from_id, _service(deps).typed(person, message.text or ""))


@labeler.chat_message(HasOpenCode(), blocking=False)
async def on_code(message: Message, deps: Deps) -> None:
    """A check code in a group chat marks the confirmation checked (other handlers still see the message)."""
    await _service(deps).code_seen(message.peer_id, message.from_id, message.text or "")


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


# --- the person's own buttons -------------------------------------------------------------

@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("ch_list"))
async def on_list(event: MessageEvent, deps: Deps, args: dict[str, Any], person: Person | None) -> None:
    """«Мои чаты» (a page of the list)."""
    if await _pressing(deps, event, person) and person is not None:
        await _show(deps, event.object.user_id, _service(deps).chat_list(person, _int(args.get("pg"))))


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("ch_open"))
async def on_open(event: MessageEvent, deps: Deps, args: dict[str, Any], person: Person | None) -> None:
    """A chat on the list: its card."""
    if await _pressing(deps, event, person) and person is not None:
        await _show(deps, event.object.user_id, _service(deps).open_chat(person, _str(args.get("k"))))


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("ch_go"))
async def on_go(event: MessageEvent, deps: Deps, args: dict[str, Any], person: Person | None) -> None:
    """«Подтвердить перенос» / «Исправить»: the dialog for one of the person's own chats."""
    if await _pressing(deps, event, person) and person is not None:
        await _show(deps, event.object.user_id, _service(deps).start(person, _str(args.get("k"))))


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("ch_add"))
async def on_add(event: MessageEvent, deps: Deps, person: Person | None) -> None:
    """«Добавить свой чат»."""
    if await _pressing(deps, event, person) and person is not None:
        await _show(deps, event.object.user_id, _service(deps).add_custom(person))


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("ch_m"))
async def on_messenger(event: MessageEvent, deps: Deps, args: dict[str, Any], person: Person | None) -> None:
    """Which messenger the old chat was in."""
    if await _pressing(deps, event, person) and person is not None:
        await _show(deps, event.object.user_id, _service(deps).choose_messenger(person, _str(args.get("m"))))


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("ch_nolink"))
async def on_no_link(event: MessageEvent, deps: Deps, person: Person | None) -> None:
    """«Нет ссылки»."""
    if await _pressing(deps, event, person) and person is not None:
        await _show(deps, event.object.user_id, _service(deps).no_link(person))


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("ch_reason"))
async def on_quick_reason(event: MessageEvent, deps: Deps, person: Person | None) -> None:
    """«Чат создан автоматически» as the reason for no link."""
    if await _pressing(deps, event, person) and person is not None:
        await _show(deps, event.object.user_id, _service(deps).quick_reason(person))


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("ch_keep"))
async def on_keep(event: MessageEvent, deps: Deps, person: Person | None) -> None:
    """«Оставить как было» while editing a confirmation."""
    if await _pressing(deps, event, person) and person is not None:
        await _show(deps, event.object.user_id, _service(deps).keep(person))


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("ch_old"))
async def on_old_chat(event: MessageEvent, deps: Deps, args: dict[str, Any], person: Person | None) -> None:
    """Is the old chat closed?"""
    if await _pressing(deps, event, person) and person is not None:
        await _show(deps, event.object.user_id, _service(deps).old_chat(person, _str(args.get("v"))))


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("ch_ok"))
async def on_confirm(event: MessageEvent, deps: Deps, person: Person | None) -> None:
    """«Подтвердить» on the summary."""
    if await _pressing(deps, event, person) and person is not None:
        snackbar("Сохранено")
        await _show(deps, event.object.user_id, _service(deps).confirm(person))


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("ch_redo"))
async def on_redo(event: MessageEvent, deps: Deps, person: Person | None) -> None:
    """«Исправить» on the summary."""
    if await _pressing(deps, event, person) and person is not None:
        await _show(deps, event.object.user_id, _service(deps).redo(person))


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("ch_cancel"))
async def on_cancel(event: MessageEvent, deps: Deps, person: Person | None) -> None:
    """«Отмена» at any step."""
    if await _pressing(deps, event, person) and person is not None:
        await _show(deps, event.object.user_id, _service(deps).cancel(person))


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("ch_wd"))
async def on_withdraw(event: MessageEvent, deps: Deps, args: dict[str, Any], person: Person | None) -> None:
    """«Отозвать» a confirmation of one's own chat."""
    if await _pressing(deps, event, person) and person is not None:
        await _show(deps, event.object.user_id, _service(deps).withdraw(person, _str(args.get("k"))))


# --- the deputy and the director ----------------------------------------------------------

@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("ch_rep"))
async def on_report(event: MessageEvent, deps: Deps, args: dict[str, Any]) -> None:
    """The report by classes or by people."""
    vk_id = event.object.user_id
    viewer = await _admin(deps, vk_id, "migration_report", in_chat=event_in_chat(event))
    if viewer is not None:
        view = "person" if args.get("v") == "person" else "summary"
        await _show(deps, vk_id, _service(deps).report_screen(viewer, view))


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("ch_nn"))
async def on_not_needed(event: MessageEvent, deps: Deps, args: dict[str, Any]) -> None:
    """«Отметить «не нужен»»: whose chat."""
    vk_id = event.object.user_id
    deputy = await _admin(deps, vk_id, "chat_not_needed_list", (Role.DEPUTY,), in_chat=event_in_chat(event))
    if deputy is not None:
        await _show(deps, vk_id, _service(deps).nn_people(deputy, _int(args.get("pg"))))


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("ch_nnp"))
async def on_not_needed_person(event: MessageEvent, deps: Deps, args: dict[str, Any]) -> None:
    """A colleague chosen: which of their chats."""
    vk_id = event.object.user_id
    deputy = await _admin(deps, vk_id, "chat_not_needed_list", (Role.DEPUTY,), target=str(args.get("p")),
                          in_chat=event_in_chat(event), org_id=await _org_of(deps, args.get("p")))
    if deputy is not None:
        await _show(deps, vk_id, _service(deps).nn_chats(deputy, _int(args.get("p"), -1)))


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("ch_nnk"))
async def on_not_needed_chat(event: MessageEvent, deps: Deps, args: dict[str, Any]) -> None:
    """A colleague's chat chosen: the reason is typed next."""
    vk_id = event.object.user_id
    deputy = await _admin(deps, vk_id, "chat_not_needed_pick", (Role.DEPUTY,),
                          target=f"{args.get('p')}:{args.get('k')}", in_chat=event_in_chat(event),
                          org_id=await _org_of(deps, args.get("p")))
    if deputy is not None:
        await _show(deps, vk_id, _service(deps).nn_start(deputy, _int(args.get("p"), -1), _str(args.get("k"))))
