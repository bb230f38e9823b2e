"""«Мои чаты»: the confirmation dialog, the deputy's report and «не нужен», the code check in group chats.

A neutral handler: it runs on any messenger the router is fed from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable
from typing import Any

from bot.config_bots import SINGLE_BOT
from bot.deps import Deps
from bot.domain import answers
from bot.domain.commands import is_command_text
from bot.domain.models import Person, Role
from bot.domain.ui import Keyboard
from bot.messaging import actions
from bot.messaging.events import ButtonPressed, CallbackAnswer, ChatRef, MessageIn, Reply
from bot.messaging.filters import Command, InGroup, Known, Private
from bot.messaging.payloads import as_dict
from bot.messaging.router import Router
from bot.messaging.state import StateKey
from bot.ports import MessengerPort
from bot.services.access import Denied
from bot.services.chats import TO_LIST, ChatsRefused, ChatsService, Screen
from handlers import faq
from handlers.broadcast import dialog_key as broadcast_key

router = Router("chats")

REPORT_ROLES = (Role.DEPUTY, Role.DIRECTOR)
#: A typed number picks from «Мои чаты» shown at most this long ago.
LIST_TTL = dt.timedelta(minutes=30)
REPORT_WORDS = ("перенос чатов", "отчёт по чатам", "отчет по чатам")


async def _wired(event: Any, chats: ChatsService | None = None) -> bool:
    """The chats feature is on (its service wired): otherwise nothing here matches."""
    return chats is not None


router.message.filter(_wired)
router.button.filter(_wired)

Event = MessageIn | ButtonPressed


def _dialog(event: Event) -> ChatRef:
    """The sender's own dialog with the bot: every answer here goes there, even for a press in a chat."""
    if not event.chat.is_group:
        return event.chat
    return ChatRef(messenger=event.sender.messenger, chat_id=event.sender.external_id)


async def _snackbar(messenger: MessengerPort, event: Event, text: str) -> None:
    """A short pop-up answer to a button press (a typed message has nothing to answer)."""
    if isinstance(event, ButtonPressed):
        await messenger.answer(CallbackAnswer(callback_id=event.callback_id, user=event.sender, chat=event.chat,
                                              text=text[:90]))


async def _say(messenger: MessengerPort, event: Event, text: str, keyboard: Keyboard | None = None) -> None:
    await messenger.send(Reply(chat=_dialog(event), text=text, keyboard=keyboard))


def _at(event: Event, bot_id: int) -> StateKey:
    """Where the person's confirmation dialog keeps its step: their own dialog with the bot."""
    return StateKey.of(bot_id, _dialog(event), event.sender, "chats")


def _list_key(event: Event, bot_id: int) -> StateKey:
    """Where the numbered list shown last is remembered."""
    return StateKey.of(bot_id, _dialog(event), event.sender, "chats_list")


async def _show(deps: Deps, messenger: MessengerPort, event: Event, bot_id: int, screen: Awaitable[Screen]) -> None:
    """Send what the service answered; a refusal is said plainly and changes nothing.

    A numbered list is remembered for a while, so that a typed «2» picks its second chat.
    """
    try:
        shown = await screen
    except ChatsRefused as refused:
        await _snackbar(messenger, event, refused.text)
        await _say(messenger, event, refused.text, Keyboard.column([TO_LIST]))
        return
    if shown.picks:
        await deps.dialogs.set(_list_key(event, bot_id), "list",
                               {"keys": list(shown.picks), "at": deps.clock.now().isoformat()}, ttl=LIST_TTL)
    await _say(messenger, event, shown.text, shown.keyboard)


async def _listed_pick(deps: Deps, event: MessageIn, bot_id: int, text: str) -> str | None:
    """The chat key (or «add») a short typed answer picks from the list shown last, if it was shown lately."""
    words = answers.clean(text).split()
    if not words or len(words) > 3:
        return None
    state = await deps.dialogs.get(_list_key(event, bot_id))
    if state is None:
        return None
    try:
        at = dt.datetime.fromisoformat(str(state.data.get("at")))
    except ValueError:
        return None
    if deps.clock.now() - at > LIST_TTL:
        return None
    # Another dialog started after the list (a broadcast, a reply to a question) owns the number.
    if await deps.dialogs.get(broadcast_key(bot_id, event.chat, event.sender)) is not None:
        return None
    if await faq.step(deps.dialogs, bot_id, event.sender) is not None:
        return None
    keys = [k for k in state.data.get("keys", []) if isinstance(k, str)]
    if words[0] in ("добавить", "добавь") and not any(k.startswith("nn") for k in keys):
        return "add"
    number = answers.number_in(text)
    if number is None or not 1 <= number <= len(keys) or not (words[0].isdigit() or words[0] in ("чат", "номер")):
        return None
    return keys[number - 1]


async def _pressing(messenger: MessengerPort, event: ButtonPressed, person: Person | None) -> Person | None:
    """The known person pressing a button in private; strangers and group chats are told why not."""
    if person is None:
        await _snackbar(messenger, event, "Сначала напишите мне в личные сообщения, чтобы представиться.")
        return None
    if event.chat.is_group:
        await _snackbar(messenger, event, "Свои чаты можно подтверждать только в личных сообщениях с ботом.")
        return None
    return person


async def _admin(deps: Deps, messenger: MessengerPort, event: Event, action: str,
                 roles: tuple[Role, ...] = REPORT_ROLES, target: str | None = None,
                 org_id: str | None = None) -> Person | None:
    """A deputy or the director, checked on the server and audited; None after saying why not."""
    in_chat = event.chat.is_group
    try:
        return await deps.access.require(event.sender, action, roles, target=target,
                                         in_chat=in_chat, org_id=org_id)
    except Denied as denied:
        await _snackbar(messenger, event, "Нет прав" if not in_chat else "Только в личных сообщениях")
        await _say(messenger, event, denied.text)
        return None


async def _org_of(deps: Deps, person_id: int) -> str | None:
    """The school of the colleague a payload names (so that another school's deputy is refused as such)."""
    person = await deps.people.get(person_id)
    return person.org_id if person else None


async def _typing(event: MessageIn, bot_id: int, person: Person | None = None, chats: ChatsService | None = None,
                  deps: Deps | None = None) -> dict[str, Any] | bool:
    """Typed text (not a button) that answers the person's open chats dialog: passes `pick`."""
    text = event.text
    if as_dict(event.payload) or not text.strip() or person is None or chats is None or deps is None:
        return False
    at = _at(event, bot_id)
    if is_command_text(event.command) and not await chats.in_typing_step(person, at=at):
        return False  # «сводка» while a button step waits: the command, not «не понял»
    if await chats.takes_text(person, text, at=at):
        return {"pick": None}
    pick = await _listed_pick(deps, event, bot_id, text)
    return {"pick": pick} if pick else False


@router.message(Private(), Known(), Command(actions.MyChats, "мои чаты", "чаты", typos=True))
async def cmd_my_chats(event: MessageIn, person: Person, deps: Deps, messenger: MessengerPort, bot_id: int,
                       chats: ChatsService) -> None:
    """«Мои чаты»: the list, or the step of a dialog left open."""
    await _show(deps, messenger, event, bot_id, chats.my_chats(person, at=_at(event, bot_id)))


@router.message(Private(), Known(), Command(actions.MigrationReport, *REPORT_WORDS, typos=True))
async def cmd_report(event: MessageIn, deps: Deps, messenger: MessengerPort, bot_id: int, chats: ChatsService) -> None:
    """«Перенос чатов»: the school's progress for the deputy and the director."""
    viewer = await _admin(deps, messenger, event, "migration_report")
    if viewer is not None:
        await _show(deps, messenger, event, bot_id, chats.report_screen(viewer))


@router.message(InGroup(), Command(actions.MigrationReport, *REPORT_WORDS))
async def chat_report(event: MessageIn, person: Person | None, deps: Deps, messenger: MessengerPort) -> None:
    """The report asked for in a group chat: refused (names stay private) and audited."""
    try:
        await deps.access.require(event.sender, "migration_report", REPORT_ROLES, in_chat=True)
    except Denied as denied:
        if person is not None:
            await messenger.send(Reply(chat=event.chat, text=denied.text))


@router.message(Private(), _typing)
async def on_typed(event: MessageIn, person: Person, pick: str | None, deps: Deps, messenger: MessengerPort, bot_id: int,
                   chats: ChatsService) -> None:
    """An answer typed at any step (a messenger, «да», «отмена», a link, a number…), or a chat's number from the list."""
    at = _at(event, bot_id)
    if pick and pick.startswith(("nnp:", "nnk:")):
        await deps.dialogs.delete(_list_key(event, bot_id))
        await _typed_not_needed(deps, messenger, event, bot_id, chats, pick)
    elif pick == "add":
        await _show(deps, messenger, event, bot_id, chats.add_custom(person, at=at))
    elif pick:
        await deps.dialogs.delete(_list_key(event, bot_id))
        await _show(deps, messenger, event, bot_id, chats.pick_typed(person, pick, at=at))
    else:
        await _show(deps, messenger, event, bot_id, chats.typed(person, event.text, at=at))


# Below the dialog's typing: «не нужен» typed as a reason in an open dialog stays a reason.
@router.message(Private(), Known(), Command(actions.MigrationReportView, "по сотрудникам", "по классам",
                                            "перенос чатов по сотрудникам", "перенос чатов по классам",
                                            typos=True))
async def cmd_report_view(event: MessageIn, deps: Deps, messenger: MessengerPort, bot_id: int,
                          chats: ChatsService) -> None:
    """«по сотрудникам» / «по классам» typed: the report in that view (as its buttons)."""
    viewer = await _admin(deps, messenger, event, "migration_report")
    if viewer is not None:
        view = "person" if "сотрудник" in event.text.lower() else "summary"
        await _show(deps, messenger, event, bot_id, chats.report_screen(viewer, view))


@router.message(Private(), Known(), Command(actions.NotNeededStart, "не нужен", "отметить не нужен", "чат не нужен",
                                            "отметить чат не нужен", "ненужный чат", typos=True))
async def cmd_not_needed(event: MessageIn, deps: Deps, messenger: MessengerPort, bot_id: int,
                         chats: ChatsService) -> None:
    """«не нужен» typed: whose chat to mark, as the report's button."""
    deputy = await _admin(deps, messenger, event, "chat_not_needed_list", (Role.DEPUTY,))
    if deputy is not None:
        await _show(deps, messenger, event, bot_id, chats.nn_people(deputy))


async def _typed_not_needed(deps: Deps, messenger: MessengerPort, event: MessageIn, bot_id: int,
                            chats: ChatsService, pick: str) -> None:
    """A colleague («nnp:ID») or their chat («nnk:ID:KEY») picked by its typed number; checked like the buttons."""
    kind, _, rest = pick.partition(":")
    raw_id, _, key = rest.partition(":")
    person_id = int(raw_id) if raw_id.isdigit() else -1
    org_id = await _org_of(deps, person_id)
    if kind == "nnp":
        deputy = await _admin(deps, messenger, event, "chat_not_needed_list", (Role.DEPUTY,), target=raw_id,
                              org_id=org_id)
        if deputy is not None:
            await _show(deps, messenger, event, bot_id, chats.nn_chats(deputy, person_id))
        return
    deputy = await _admin(deps, messenger, event, "chat_not_needed_pick", (Role.DEPUTY,), target=f"{raw_id}:{key}",
                          org_id=org_id)
    if deputy is not None:
        await _show(deps, messenger, event, bot_id, chats.nn_start(deputy, person_id, key, at=_at(event, bot_id)))


async def _has_open_code(event: MessageIn, chats: ChatsService) -> bool:
    """A group-chat message carrying a check code the bot is waiting for."""
    return await chats.has_open_code(event.text)


# A watcher (blocking=False): other features still see the message.
@router.message(InGroup(), _has_open_code, blocking=False)
async def on_code(event: MessageIn, chats: ChatsService, messenger: MessengerPort, bot: str = SINGLE_BOT) -> None:
    """A check code in a group chat marks the confirmation checked; the bot that saw it answers there."""
    await chats.code_seen(event.chat.chat_id, event.sender.external_id, event.text, messenger=messenger, bot=bot)


# --- the person's own buttons -------------------------------------------------------------

@router.button(actions.ChatList.filter())
async def on_list(event: ButtonPressed, action: actions.ChatList, person: Person | None, deps: Deps,
                  messenger: MessengerPort, bot_id: int, chats: ChatsService) -> None:
    """«Мои чаты» (a page of the list)."""
    if await _pressing(messenger, event, person) and person is not None:
        await _show(deps, messenger, event, bot_id, chats.chat_list(person, action.page or 0))


@router.button(actions.ChatOpen.filter())
async def on_open(event: ButtonPressed, action: actions.ChatOpen, person: Person | None, deps: Deps,
                  messenger: MessengerPort, bot_id: int, chats: ChatsService) -> None:
    """A chat on the list: its card."""
    if await _pressing(messenger, event, person) and person is not None:
        await _show(deps, messenger, event, bot_id, chats.open_chat(person, action.key, at=_at(event, bot_id)))


@router.button(actions.ChatGo.filter())
async def on_go(event: ButtonPressed, action: actions.ChatGo, person: Person | None, deps: Deps,
                messenger: MessengerPort, bot_id: int, chats: ChatsService) -> None:
    """«Подтвердить перенос» / «Исправить»: the dialog for one of the person's own chats."""
    if await _pressing(messenger, event, person) and person is not None:
        await _show(deps, messenger, event, bot_id, chats.start(person, action.key, at=_at(event, bot_id)))


@router.button(actions.ChatAdd.filter())
async def on_add(event: ButtonPressed, person: Person | None, deps: Deps, messenger: MessengerPort, bot_id: int,
                 chats: ChatsService) -> None:
    """«Добавить свой чат»."""
    if await _pressing(messenger, event, person) and person is not None:
        await _show(deps, messenger, event, bot_id, chats.add_custom(person, at=_at(event, bot_id)))


@router.button(actions.ChatMessenger.filter())
async def on_messenger(event: ButtonPressed, action: actions.ChatMessenger, person: Person | None, deps: Deps,
                       messenger: MessengerPort, bot_id: int, chats: ChatsService) -> None:
    """Which messenger the old chat was in."""
    if await _pressing(messenger, event, person) and person is not None:
        screen = chats.choose_messenger(person, action.messenger, at=_at(event, bot_id))
        await _show(deps, messenger, event, bot_id, screen)


@router.button(actions.ChatNoLink.filter())
async def on_no_link(event: ButtonPressed, person: Person | None, deps: Deps, messenger: MessengerPort, bot_id: int,
                     chats: ChatsService) -> None:
    """«Нет ссылки»."""
    if await _pressing(messenger, event, person) and person is not None:
        await _show(deps, messenger, event, bot_id, chats.no_link(person, at=_at(event, bot_id)))


@router.button(actions.ChatReason.filter())
async def on_quick_reason(event: ButtonPressed, person: Person | None, deps: Deps, messenger: MessengerPort, bot_id: int,
                          chats: ChatsService) -> None:
    """«Чат создан автоматически» as the reason for no link."""
    if await _pressing(messenger, event, person) and person is not None:
        await _show(deps, messenger, event, bot_id, chats.quick_reason(person, at=_at(event, bot_id)))


@router.button(actions.ChatKeep.filter())
async def on_keep(event: ButtonPressed, person: Person | None, deps: Deps, messenger: MessengerPort, bot_id: int,
                  chats: ChatsService) -> None:
    """«Оставить как было» while editing a confirmation."""
    if await _pressing(messenger, event, person) and person is not None:
        await _show(deps, messenger, event, bot_id, chats.keep(person, at=_at(event, bot_id)))


@router.button(actions.ChatOld.filter())
async def on_old_chat(event: ButtonPressed, action: actions.ChatOld, person: Person | None, deps: Deps,
                      messenger: MessengerPort, bot_id: int, chats: ChatsService) -> None:
    """Is the old chat closed?"""
    if await _pressing(messenger, event, person) and person is not None:
        await _show(deps, messenger, event, bot_id, chats.old_chat(person, action.value, at=_at(event, bot_id)))


@router.button(actions.ChatOk.filter())
async def on_confirm(event: ButtonPressed, person: Person | None, deps: Deps, messenger: MessengerPort, bot_id: int,
                     chats: ChatsService) -> None:
    """«Подтвердить» on the summary."""
    if await _pressing(messenger, event, person) and person is not None:
        await _snackbar(messenger, event, "Сохранено")
        await _show(deps, messenger, event, bot_id, chats.confirm(person, at=_at(event, bot_id)))


@router.button(actions.ChatRedo.filter())
async def on_redo(event: ButtonPressed, person: Person | None, deps: Deps, messenger: MessengerPort, bot_id: int,
                  chats: ChatsService) -> None:
    """«Исправить» on the summary."""
    if await _pressing(messenger, event, person) and person is not None:
        await _show(deps, messenger, event, bot_id, chats.redo(person, at=_at(event, bot_id)))


@router.button(actions.ChatCancel.filter())
async def on_cancel(event: ButtonPressed, person: Person | None, deps: Deps, messenger: MessengerPort, bot_id: int,
                    chats: ChatsService) -> None:
    """«Отмена» at any step."""
    if await _pressing(messenger, event, person) and person is not None:
        await _show(deps, messenger, event, bot_id, chats.cancel(person, at=_at(event, bot_id)))


@router.button(actions.ChatWithdraw.filter())
async def on_withdraw(event: ButtonPressed, action: actions.ChatWithdraw, person: Person | None, deps: Deps,
                      messenger: MessengerPort, bot_id: int, chats: ChatsService) -> None:
    """«Отозвать» a confirmation of one's own chat."""
    if await _pressing(messenger, event, person) and person is not None:
        await _show(deps, messenger, event, bot_id, chats.withdraw(person, action.key))


# --- the deputy and the director ----------------------------------------------------------

@router.button(actions.ChatReport.filter())
async def on_report(event: ButtonPressed, action: actions.ChatReport, deps: Deps, messenger: MessengerPort, bot_id: int,
                    chats: ChatsService) -> None:
    """The report by classes or by people."""
    viewer = await _admin(deps, messenger, event, "migration_report")
    if viewer is not None:
        view = "person" if action.view == "person" else "summary"
        await _show(deps, messenger, event, bot_id, chats.report_screen(viewer, view))


@router.button(actions.NotNeeded.filter())
async def on_not_needed(event: ButtonPressed, action: actions.NotNeeded, deps: Deps, messenger: MessengerPort,
                        bot_id: int, chats: ChatsService) -> None:
    """«Отметить «не нужен»»: whose chat."""
    deputy = await _admin(deps, messenger, event, "chat_not_needed_list", (Role.DEPUTY,))
    if deputy is not None:
        await _show(deps, messenger, event, bot_id, chats.nn_people(deputy, action.page or 0))


@router.button(actions.NotNeededPerson.filter())
async def on_not_needed_person(event: ButtonPressed, action: actions.NotNeededPerson, deps: Deps,
                               messenger: MessengerPort, bot_id: int, chats: ChatsService) -> None:
    """A colleague chosen: which of their chats."""
    deputy = await _admin(deps, messenger, event, "chat_not_needed_list", (Role.DEPUTY,),
                          target=str(action.person_id), org_id=await _org_of(deps, action.person_id))
    if deputy is not None:
        await _show(deps, messenger, event, bot_id, chats.nn_chats(deputy, action.person_id))


@router.button(actions.NotNeededChat.filter())
async def on_not_needed_chat(event: ButtonPressed, action: actions.NotNeededChat, deps: Deps,
                             messenger: MessengerPort, bot_id: int, chats: ChatsService) -> None:
    """A colleague's chat chosen: the reason is typed next."""
    deputy = await _admin(deps, messenger, event, "chat_not_needed_pick", (Role.DEPUTY,),
                          target=f"{action.person_id}:{action.key}", org_id=await _org_of(deps, action.person_id))
    if deputy is not None:
        await _show(deps, messenger, event, bot_id, chats.nn_start(deputy, action.person_id, action.key,
                                                                    at=_at(event, bot_id)))
