"""The deputy's broadcast dialog: who → (class) → text → preview → send → progress → report.

The dialog state (feature «broadcast» in the `dialogs` store) survives a restart; every button
is checked on the server: the person pressing is a deputy of the broadcast's school.
The send's progress (one edited message) and the report come from `BroadcastService`.

A neutral handler: it runs on any messenger the router is fed from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.config_bots import SINGLE_BOT
from bot.domain import answers
from bot.domain.commands import is_command_text
from bot.domain.menus import main_menu
from bot.domain.models import Person, Role
from bot.domain.ui import Button, Color, Keyboard
from bot.messaging import actions
from bot.messaging.events import ButtonPressed, CallbackAnswer, ChatRef, Identity, MessageIn, Reply
from bot.messaging.filters import Command, InGroup, Known, Private
from bot.messaging.payloads import as_dict
from bot.messaging.router import Router
from bot.messaging.state import StateKey, StateStore
from bot.ports import Clock, MessengerPort
from bot.services.access import AccessService, Denied
from bot.services.broadcasts import BroadcastRefused, BroadcastService, Preview

router = Router("broadcast")


async def _enabled(event: Any, broadcasts: BroadcastService | None = None) -> bool:
    """Broadcasts are wired (a bot built without them leaves their words and buttons to others)."""
    return broadcasts is not None


router.message.filter(_enabled)
router.button.filter(_enabled)

# A dialog left this long ago no longer takes free text (it would swallow a later question).
STALE_AFTER = dt.timedelta(hours=2)
TYPED_STATES = ("class", "text", "edit")
ANSWER_STATES = ("audience", "preview")  # button steps that also read typed answers
CANCEL_WORDS = {"отмена", "отменить", "стоп", "отмена рассылки"}
ASK_TEXT = "Напишите текст рассылки одним сообщением."
NOT_FOUND = "Эта рассылка уже не действует. Чтобы начать новую, нажмите «Рассылка»."


def dialog_key(bot_id: int, chat: ChatRef, user: Identity) -> StateKey:
    """Where a deputy's broadcast dialog keeps its step."""
    return StateKey.of(bot_id, chat, user, "broadcast")


def _cancel_button(broadcast_id: int | None = None) -> Button:
    return actions.BroadcastCancel(broadcast_id=broadcast_id).button("Отмена", color=Color.NEGATIVE, callback=True)


def _preview_keyboard(broadcast_id: int) -> Keyboard:
    return Keyboard.column([
        actions.BroadcastSend(broadcast_id=broadcast_id).button("Отправить", color=Color.POSITIVE, callback=True),
        actions.BroadcastEdit(broadcast_id=broadcast_id).button("Изменить текст", callback=True),
        _cancel_button(broadcast_id),
    ])


@dataclass
class _Turn:
    """One event of the dialog with what its steps need: where to answer, the store, the service."""

    event: MessageIn | ButtonPressed
    messenger: MessengerPort
    dialogs: StateStore
    bot_id: int
    clock: Clock
    access: AccessService
    service: BroadcastService

    @property
    def user_id(self) -> int:
        return self.event.sender.external_id

    @property
    def chat(self) -> ChatRef:
        return self.event.chat

    @property
    def key(self) -> StateKey:
        return dialog_key(self.bot_id, self.chat, self.event.sender)

    async def say(self, text: str, keyboard: Keyboard | None = None) -> None:
        await self.messenger.send(Reply(chat=self.chat, text=text, keyboard=keyboard))

    async def pop_up(self, text: str) -> None:
        """Answer the button press (if this is one) with a short pop-up text."""
        if isinstance(self.event, ButtonPressed):
            await self.messenger.answer(CallbackAnswer(callback_id=self.event.callback_id, user=self.event.sender,
                                                       chat=self.chat, text=text))

    async def set(self, state: str, payload: dict[str, Any] | None = None) -> None:
        await self.dialogs.set(self.key, state, {**(payload or {}), "at": self.clock.now().isoformat()},
                               ttl=STALE_AFTER)

    async def end(self) -> None:
        await self.dialogs.delete(self.key)

    async def deputy(self, action: str, *, org_id: str | None = None, target: str | None = None) -> Person | None:
        """The deputy acting (checked on the server and audited), or None after a polite refusal."""
        in_chat = self.chat.is_group
        try:
            return await self.access.require(self.event.sender, action, [Role.DEPUTY], org_id=org_id, in_chat=in_chat,
                                             target=target)
        except Denied as denied:
            await self.pop_up("Нет прав")
            if not in_chat:
                await self.say(denied.text)
            return None


def _turn(event: MessageIn | ButtonPressed, messenger: MessengerPort, dialogs: StateStore, bot_id: int,
          clock: Clock, access: AccessService, broadcasts: BroadcastService) -> _Turn:
    return _Turn(event, messenger, dialogs, bot_id, clock, access, broadcasts)


async def _show_preview(turn: _Turn, preview: Preview) -> None:
    await turn.set("preview", {"b": preview.broadcast.id})
    await turn.say(preview.text, _preview_keyboard(preview.broadcast.id))


async def in_broadcast(event: MessageIn, dialogs: StateStore, bot_id: int, clock: Clock,
                       broadcasts: BroadcastService) -> dict[str, Any] | bool:
    """Free text from someone whose broadcast dialog waits for typing: passes `dialog`."""
    if as_dict(event.payload):
        return False
    key = dialog_key(bot_id, event.chat, event.sender)
    state = await dialogs.get(key)
    if state is None or state.state not in TYPED_STATES + ANSWER_STATES:
        return False
    text = event.text
    if state.state in ANSWER_STATES and not _understood(broadcasts, state.state, text) and (
            answers.question_like(text) or is_command_text(event.command)):
        return False  # a question or another command while the buttons wait: let it through
    try:
        at = dt.datetime.fromisoformat(str(state.data.get("at")))
    except ValueError:
        at = None
    if at is None or clock.now() - at > STALE_AFTER:
        await dialogs.delete(key)
        return False
    return {"dialog": {"state": state.state, **state.data}}


def _understood(service: BroadcastService, state: str, text: str) -> bool:
    """Does a button step («who», the preview) read this typed text as an answer?"""
    if answers.intent(text, ("cancel", "back")) is not None:
        return True
    if state == "audience":
        return service.match_audience(text) is not None
    return _preview_answer(text) is not None


def _preview_answer(text: str) -> str | None:
    """«send», «edit» or None for what is typed under the preview."""
    said = answers.intent(text, ("yes", "no"))
    if said == "yes" or "отправ" in text.lower():
        return "send"
    if said == "no" or "измен" in text.lower() or "исправ" in text.lower():
        return "edit"
    return None


def _who_text(service: BroadcastService) -> str:
    options = "\n".join(f"{n}. {o.label}" for n, o in enumerate(service.options(), 1))
    return (f"Кому отправить рассылку?\n{options}\n\nВыберите кнопку или напишите номер, «всем» или класс, "
            "например «5А».")


# --- start: who -------------------------------------------------------------------------

@router.message(Private(), Known(), Command(actions.Broadcast, "рассылка", "сделать рассылку", typos=True))
async def cmd_broadcast(event: MessageIn, messenger: MessengerPort, dialogs: StateStore, bot_id: int,
                        clock: Clock, access: AccessService, broadcasts: BroadcastService) -> None:
    """«Рассылка»: choose who gets it."""
    turn = _turn(event, messenger, dialogs, bot_id, clock, access, broadcasts)
    if await turn.deputy("broadcast_start") is None:
        return
    buttons = [actions.BroadcastAudience(audience=o.kind).button(o.label, color=Color.PRIMARY, callback=True)
               for o in broadcasts.options()]
    await turn.set("audience")
    await turn.say(_who_text(broadcasts), Keyboard.column([*buttons, _cancel_button()]))


@router.message(InGroup(), Command(actions.Broadcast, "рассылка"))
async def chat_broadcast(event: MessageIn, person: Person | None, messenger: MessengerPort,
                         access: AccessService) -> None:
    """A broadcast asked for in a group chat: refused and audited; known people are told where."""
    try:
        await access.require(event.sender, "broadcast_start", [Role.DEPUTY], in_chat=True)
    except Denied as denied:
        if person is not None:
            await messenger.send(Reply(chat=event.chat, text=denied.text))


@router.button(actions.BroadcastAudience.filter())
async def on_audience(event: ButtonPressed, action: actions.BroadcastAudience, messenger: MessengerPort,
                      dialogs: StateStore, bot_id: int, clock: Clock, access: AccessService,
                      broadcasts: BroadcastService) -> None:
    """A «who» button: a class is typed next; otherwise the count and «write the text»."""
    turn = _turn(event, messenger, dialogs, bot_id, clock, access, broadcasts)
    kind = action.audience
    deputy = await turn.deputy("broadcast_audience", target=kind[:20])
    if deputy is None or deputy.org_id is None:
        return
    if kind not in {o.kind for o in broadcasts.options()}:
        await turn.pop_up("Эта кнопка уже не действует")
        return
    await turn.pop_up("Хорошо")
    await _audience(turn, deputy.org_id, kind)


async def _audience(turn: _Turn, org_id: str, kind: str, prefix: str = "") -> None:
    """The «who» chosen (by a button or typed): a class is asked next; else the count and «write the text»."""
    service = turn.service
    if kind == "class":
        await turn.set("class")
        await turn.say(prefix + "Напишите класс, например 5А.", Keyboard.column([_cancel_button()]))
        return
    try:
        people = await service.audience(org_id, kind)
    except BroadcastRefused as refused:
        await turn.say(prefix + refused.text)
        return
    if not people:
        await turn.say(prefix + f"Получателей нет: {service.describe(kind, None)} — никого. Выберите других.")
        return
    await turn.set("text", {"a": kind})
    await turn.say(prefix + f"Получателей: {len(people)} ({service.describe(kind, None)}). {ASK_TEXT}",
                   Keyboard.column([_cancel_button()]))


async def _typed_class(turn: _Turn, org_id: str, typed: str, prefix: str = "") -> None:
    service = turn.service
    name = await service.find_class(org_id, typed)
    people = await service.audience(org_id, "class", name)
    await turn.set("text", {"a": "class", "c": name})
    who = ", ".join(p.full_name for p in people)
    await turn.say(prefix + f"Классный руководитель {name}: {who}. {ASK_TEXT}", Keyboard.column([_cancel_button()]))


# --- typed steps: class, text, new text -------------------------------------------------

@router.message(Private(), Known(), in_broadcast)
async def on_typed(event: MessageIn, dialog: dict[str, Any], messenger: MessengerPort, dialogs: StateStore,
                   bot_id: int, clock: Clock, access: AccessService, broadcasts: BroadcastService) -> None:
    """The class or the text the dialog waits for, or a typed answer to its buttons («отмена» ends it)."""
    turn = _turn(event, messenger, dialogs, bot_id, clock, access, broadcasts)
    text = event.text
    state = dialog["state"]
    # A broadcast's own text may start with «Отмена…»: there only the bare word cancels.
    said = answers.intent(text, ("cancel", "back")) if state in ANSWER_STATES + ("class",) else None
    if text.strip().lower().rstrip("!.") in CANCEL_WORDS or said == "cancel":
        await _cancel(turn, dialog.get("b"))
        return
    deputy = await turn.deputy("broadcast_text")
    if deputy is None or deputy.org_id is None:
        await turn.end()
        return
    try:
        if state == "audience" or (state == "class" and said == "back"):
            await _typed_audience(turn, deputy, text, said)
        elif state == "preview":
            await _typed_preview(turn, deputy, int(dialog.get("b") or 0), text)
        elif state == "class":
            await _typed_class(turn, deputy.org_id, text)
        elif state == "text":
            preview = await broadcasts.create(deputy, str(dialog.get("a")), dialog.get("c"), text)
            await _show_preview(turn, preview)
        else:
            broadcast = await broadcasts.get(int(dialog.get("b") or 0))
            if broadcast is None or broadcast.org_id != deputy.org_id:
                await turn.end()
                await turn.say(NOT_FOUND)
                return
            await _show_preview(turn, await broadcasts.set_text(broadcast.id, text))
    except BroadcastRefused as refused:
        await turn.say(refused.text)


async def _typed_audience(turn: _Turn, deputy: Person, text: str, said: str | None) -> None:
    """«всем», «2», «5А», «не зарегистрированным» typed at the «who» step."""
    service = turn.service
    org_id = deputy.org_id or ""
    if said == "back":
        await turn.set("audience")
        await turn.say(_who_text(service), Keyboard.column([_cancel_button()]))
        return
    found = service.match_audience(text)
    if found is None:
        await turn.say("Не понял, кому отправить. " + _who_text(service), Keyboard.column([_cancel_button()]))
        return
    kind, cls = found
    if kind == "class" and cls:
        await _typed_class(turn, org_id, cls, f"Понял: классному руководителю {cls.upper()}.\n\n")
        return
    said_who = "классному руководителю" if kind == "class" else service.describe(kind, None)
    await _audience(turn, org_id, kind, f"Понял: {said_who}.\n\n")


async def _typed_preview(turn: _Turn, deputy: Person, broadcast_id: int, text: str) -> None:
    """«да»/«отправить» sends, «изменить» asks for a new text, under the preview."""
    service = turn.service
    broadcast = await service.get(broadcast_id)
    if broadcast is None or broadcast.org_id != deputy.org_id or broadcast.status != "draft":
        await turn.end()
        await turn.say(NOT_FOUND)
        return
    answer = _preview_answer(text) or ("edit" if answers.intent(text, ("back",)) else None)
    if answer == "send":
        if await turn.deputy("broadcast_send", org_id=broadcast.org_id, target=str(broadcast_id)) is None:
            return
        await turn.end()
        await turn.say("Понял: отправляю.")
        await service.start(broadcast_id, deputy, turn.chat)
    elif answer == "edit":
        await turn.set("edit", {"b": broadcast_id})
        await turn.say("Понял: меняем текст. Пришлите новый текст рассылки.",
                       Keyboard.column([_cancel_button(broadcast_id)]))
    else:
        await turn.say("Не понял ответ. Напишите «отправить», «изменить» или «отмена».",
                       _preview_keyboard(broadcast_id))


# --- preview buttons --------------------------------------------------------------------

async def _checked(turn: _Turn, broadcast_id: int, action: str) -> tuple[Person, int] | None:
    """The deputy pressing and the broadcast id, when the broadcast is a draft of their school."""
    broadcast = await turn.service.get(broadcast_id)
    deputy = await turn.deputy(action, org_id=broadcast.org_id if broadcast else None, target=str(broadcast_id)[:20])
    if deputy is None:
        return None
    if broadcast is None or broadcast.org_id != deputy.org_id:
        await turn.pop_up("Эта рассылка не найдена")
        return None
    if broadcast.status != "draft":
        await turn.pop_up("Эта рассылка уже отправлена или отменена")
        return None
    return deputy, broadcast.id


@router.button(actions.BroadcastSend.filter())
async def on_send(event: ButtonPressed, action: actions.BroadcastSend, messenger: MessengerPort,
                  dialogs: StateStore, bot_id: int, clock: Clock, access: AccessService,
                  broadcasts: BroadcastService, bot: str = SINGLE_BOT) -> None:
    """«Отправить»: the send starts; progress is one edited message, then the report."""
    turn = _turn(event, messenger, dialogs, bot_id, clock, access, broadcasts)
    checked = await _checked(turn, action.broadcast_id, "broadcast_send")
    if checked is None:
        return
    deputy, broadcast_id = checked
    await turn.end()
    await turn.pop_up("Отправляю")
    try:
        await broadcasts.start(broadcast_id, deputy, turn.chat, bot=bot)
    except BroadcastRefused as refused:
        await turn.say(refused.text)


@router.button(actions.BroadcastEdit.filter())
async def on_edit(event: ButtonPressed, action: actions.BroadcastEdit, messenger: MessengerPort,
                  dialogs: StateStore, bot_id: int, clock: Clock, access: AccessService,
                  broadcasts: BroadcastService) -> None:
    """«Изменить текст»: the next message replaces the draft's text."""
    turn = _turn(event, messenger, dialogs, bot_id, clock, access, broadcasts)
    checked = await _checked(turn, action.broadcast_id, "broadcast_edit")
    if checked is None:
        return
    await turn.set("edit", {"b": checked[1]})
    await turn.pop_up("Жду новый текст")
    await turn.say("Пришлите новый текст рассылки.", Keyboard.column([_cancel_button(checked[1])]))


@router.button(actions.BroadcastCancel.filter())
async def on_cancel(event: ButtonPressed, action: actions.BroadcastCancel, messenger: MessengerPort,
                    dialogs: StateStore, bot_id: int, clock: Clock, access: AccessService,
                    broadcasts: BroadcastService) -> None:
    """«Отмена» at any step: the draft (if any) is dropped and the dialog ends."""
    turn = _turn(event, messenger, dialogs, bot_id, clock, access, broadcasts)
    if action.broadcast_id is not None:
        if await _checked(turn, action.broadcast_id, "broadcast_cancel") is None:
            return
    elif await turn.deputy("broadcast_cancel") is None:
        return
    await turn.pop_up("Отменено")
    await _cancel(turn, action.broadcast_id)


async def _cancel(turn: _Turn, broadcast_id: Any) -> None:
    """End the dialog; a draft of the deputy's school is dropped."""
    await turn.end()
    person = await turn.access.person(turn.event.sender)
    if isinstance(broadcast_id, int) and person is not None:
        broadcast = await turn.service.get(broadcast_id)
        if broadcast is not None and broadcast.org_id == person.org_id:
            await turn.service.cancel(broadcast_id)
    await turn.say("Рассылка отменена.", main_menu(person.role) if person else None)
