"""«Мои чаты»: the confirmation dialog, the deputy's report and «не нужен», the code check in group chats."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable
from typing import Any

from vkbottle import GroupEventType
from vkbottle.bot import BotLabeler, Message, MessageEvent
from vkbottle.dispatch.rules import ABCRule

from bot.deps import Deps
from bot.domain import answers
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
    is_command_text,
    is_private,
    payload_of,
    say,
    snackbar,
)

labeler = BotLabeler()

REPORT_ROLES = (Role.DEPUTY, Role.DIRECTOR)
#: A typed number picks from «Мои чаты» shown at most this long ago.
LIST_TTL = dt.timedelta(minutes=30)


def _service(deps: Deps) -> ChatsService:
    return feature(deps, "chats", ChatsService)


async def _show(deps: Deps, vk_id: int, screen: Awaitable[Screen]) -> None:
    """Send what the service answered; a refusal is said plainly and changes nothing.

    A numbered list is remembered for a while, so that a typed «2» picks its second chat.
    """
    try:
        shown = await screen
    except ChatsRefused as refused:
        snackbar(refused.text)
        await say(deps, vk_id, refused.text, Keyboard.column([TO_LIST]))
        return
    if shown.picks:
        await deps.states.set(_list_key(vk_id), "list", {"keys": list(shown.picks), "at": deps.clock.now().isoformat()})
    await say(deps, vk_id, shown.text, shown.keyboard)


def _list_key(vk_id: int) -> str:
    return f"chats_list:{vk_id}"


async def _listed_pick(deps: Deps, vk_id: int, text: str) -> str | None:
    """The chat key (or «add») a short typed answer picks from the list shown last, if it was shown lately."""
    words = answers.clean(text).split()
    if not words or len(words) > 3:
        return None
    state = await deps.states.get(_list_key(vk_id))
    if state is None:
        return None
    try:
        at = dt.datetime.fromisoformat(str(state.payload.get("at")))
    except ValueError:
        return None
    if deps.clock.now() - at > LIST_TTL:
        return None
    # Another dialog started after the list (a broadcast, a reply to a question) owns the number.
    for other in (f"bcast:{vk_id}", f"faq:{vk_id}"):
        if await deps.states.get(other) is not None:
            return None
    keys = [k for k in state.payload.get("keys", []) if isinstance(k, str)]
    if words[0] in ("добавить", "добавь") and not any(k.startswith("nn") for k in keys):
        return "add"
    number = answers.number_in(text)
    if number is None or not 1 <= number <= len(keys) or not (words[0].isdigit() or words[0] in ("чат", "номер")):
        return None
    return keys[number - 1]


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
        if person is None:
            return False
        if is_command_text(event.text or "") and not await deps.chats.in_typing_step(person):
            return False  # «сводка» while a button step waits: the command, not «не понял»
        if await deps.chats.takes_text(person, event.text or ""):
            return {"person": person, "pick": None}
        pick = await _listed_pick(deps, event.from_id, event.text or "")
        return {"person": person, "pick": pick} if pick else False


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
async def on_typed(message: Message, deps: Deps, person: Person, pick: str | None) -> None:
    """An answer typed at any step (a messenger, «да», «отмена», a link, a number…), or a chat's number from the list."""
    service = _service(deps)
    if pick and pick.startswith(("nnp:", "nnk:")):
        await deps.states.delete(_list_key(message.from_id))
        await _typed_not_needed(deps, message.from_id, pick)
    elif pick == "add":
        await _show(deps, message.from_id, service.add_custom(person))
    elif pick:
        await deps.states.delete(_list_key(message.from_id))
        await _show(deps, message.from_id, service.pick_typed(person, pick))
    else:
        await _show(deps, message.from_id, service.typed(person, message.text or ""))


# Below the dialog's typing: «не нужен» typed as a reason in an open dialog stays a reason.
@labeler.private_message(Known(), Cmd("report_view", "по сотрудникам", "по классам",
                                      "перенос чатов по сотрудникам", "перенос чатов по классам"))
async def cmd_report_view(message: Message, deps: Deps) -> None:
    """«по сотрудникам» / «по классам» typed: the report in that view (as its buttons)."""
    viewer = await _admin(deps, message.from_id, "migration_report")
    if viewer is not None:
        view = "person" if "сотрудник" in (message.text or "").lower() else "summary"
        await _show(deps, message.from_id, _service(deps).report_screen(viewer, view))


@labeler.private_message(Known(), Cmd("not_needed", "не нужен", "отметить не нужен", "чат не нужен",
                                      "отметить чат не нужен", "ненужный чат"))
async def cmd_not_needed(message: Message, deps: Deps) -> None:
    """«не нужен» typed: whose chat to mark, as the report's button."""
    deputy = await _admin(deps, message.from_id, "chat_not_needed_list", (Role.DEPUTY,))
    if deputy is not None:
        await _show(deps, message.from_id, _service(deps).nn_people(deputy))


async def _typed_not_needed(deps: Deps, vk_id: int, pick: str) -> None:
    """A colleague («nnp:ID») or their chat («nnk:ID:KEY») picked by its typed number; checked like the buttons."""
    kind, _, rest = pick.partition(":")
    raw_id, _, key = rest.partition(":")
    person_id = int(raw_id) if raw_id.isdigit() else -1
    org_id = await _org_of(deps, person_id)
    if kind == "nnp":
        deputy = await _admin(deps, vk_id, "chat_not_needed_list", (Role.DEPUTY,), target=raw_id, org_id=org_id)
        if deputy is not None:
            await _show(deps, vk_id, _service(deps).nn_chats(deputy, person_id))
        return
    deputy = await _admin(deps, vk_id, "chat_not_needed_pick", (Role.DEPUTY,), target=f"{raw_id}:{key}",
                          org_id=org_id)
    if deputy is not None:
        await _show(deps, vk_id, _service(deps).nn_start(deputy, person_id, key))


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
