"""The deputy's broadcast dialog: who → (class) → text → preview → send → progress → report.

The dialog state (`bcast:{vk_id}` in deps.states) survives a restart; every button
is checked on the server: the person pressing is a deputy of the broadcast's school.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from vkbottle import GroupEventType
from vkbottle.bot import BotLabeler, Message, MessageEvent
from vkbottle.dispatch.rules import ABCRule

from bot.deps import Deps
from bot.domain import answers
from bot.domain.menus import main_menu
from bot.domain.models import Person, Role
from bot.domain.ui import Button, Color, Keyboard
from bot.services.access import Denied
from bot.services.broadcasts import BroadcastRefused, BroadcastService, Preview
from handlers.common import (
    CHAT_PEER_START,
    Cmd,
    EventCmd,
    Known,
    feature,
    is_command_text,
    is_private,
    payload_of,
    say,
    snackbar,
)

labeler = BotLabeler()

# A dialog left this long ago no longer takes free text (it would swallow a later question).
STALE_AFTER = dt.timedelta(hours=2)
TYPED_STATES = ("class", "text", "edit")
ANSWER_STATES = ("audience", "preview")  # button steps that also read typed answers
CANCEL_WORDS = {"отмена", "отменить", "стоп", "отмена рассылки"}
ASK_TEXT = "Напишите текст рассылки одним сообщением."
NOT_FOUND = "Эта рассылка уже не действует. Чтобы начать новую, нажмите «Рассылка»."


def _key(vk_id: int) -> str:
    return f"bcast:{vk_id}"


def _service(deps: Deps) -> BroadcastService:
    return feature(deps, "broadcasts", BroadcastService)


def _cancel_button(broadcast_id: int | None = None) -> Button:
    payload: dict[str, Any] = {"cmd": "bc_cancel"}
    if broadcast_id is not None:
        payload["b"] = broadcast_id
    return Button(label="Отмена", payload=payload, color=Color.NEGATIVE, callback=True)


def _preview_keyboard(broadcast_id: int) -> Keyboard:
    return Keyboard.column([
        Button(label="Отправить", payload={"cmd": "bc_send", "b": broadcast_id}, color=Color.POSITIVE, callback=True),
        Button(label="Изменить текст", payload={"cmd": "bc_edit", "b": broadcast_id}, callback=True),
        _cancel_button(broadcast_id),
    ])


async def _set(deps: Deps, vk_id: int, state: str, payload: dict[str, Any] | None = None) -> None:
    await deps.states.set(_key(vk_id), state, {**(payload or {}), "at": deps.clock.now().isoformat()})


async def _deputy(deps: Deps, vk_id: int, action: str, *, org_id: str | None = None,
                  target: str | None = None, peer_id: int | None = None) -> Person | None:
    """The deputy acting (checked on the server and audited), or None after a polite refusal."""
    in_chat = peer_id is not None and peer_id >= CHAT_PEER_START
    try:
        return await deps.access.require(vk_id, action, [Role.DEPUTY], org_id=org_id, in_chat=in_chat,
                                         target=target)
    except Denied as denied:
        snackbar("Нет прав")
        if not in_chat:
            await say(deps, vk_id, denied.text)
        return None


async def _show_preview(deps: Deps, vk_id: int, preview: Preview) -> None:
    await _set(deps, vk_id, "preview", {"b": preview.broadcast.id})
    await say(deps, vk_id, preview.text, _preview_keyboard(preview.broadcast.id))


class InBroadcast(ABCRule[Message]):
    """Free text from someone whose broadcast dialog waits for typing: injects `dialog`."""

    async def check(self, event: Message, deps: Deps) -> dict[str, Any] | bool:
        if not is_private(event) or payload_of(event):
            return False
        state = await deps.states.get(_key(event.from_id))
        if state is None or state.state not in TYPED_STATES + ANSWER_STATES:
            return False
        text = event.text or ""
        if state.state in ANSWER_STATES and not _understood(deps, state.state, text) and (
                answers.question_like(text) or is_command_text(text)):
            return False  # a question or another command while the buttons wait: let it through
        try:
            at = dt.datetime.fromisoformat(str(state.payload.get("at")))
        except ValueError:
            at = None
        if at is None or deps.clock.now() - at > STALE_AFTER:
            await deps.states.delete(_key(event.from_id))
            return False
        return {"dialog": {"state": state.state, **state.payload}}


def _understood(deps: Deps, state: str, text: str) -> bool:
    """Does a button step («who», the preview) read this typed text as an answer?"""
    if answers.intent(text, ("cancel", "back")) is not None:
        return True
    if state == "audience":
        return _service(deps).match_audience(text) is not None
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

@labeler.private_message(Known(), Cmd("broadcast", "рассылка", "сделать рассылку"))
async def cmd_broadcast(message: Message, deps: Deps) -> None:
    """«Рассылка»: choose who gets it."""
    vk_id = message.from_id
    if await _deputy(deps, vk_id, "broadcast_start") is None:
        return
    service = _service(deps)
    buttons = [Button(label=o.label, payload={"cmd": "bc_aud", "a": o.kind}, color=Color.PRIMARY, callback=True)
               for o in service.options()]
    await _set(deps, vk_id, "audience")
    await say(deps, vk_id, _who_text(service), Keyboard.column([*buttons, _cancel_button()]))


@labeler.chat_message(Cmd("broadcast", "рассылка"))
async def chat_broadcast(message: Message, deps: Deps) -> None:
    """A broadcast asked for in a group chat: refused and audited; known people are told where."""
    try:
        await deps.access.require(message.from_id, "broadcast_start", [Role.DEPUTY], in_chat=True)
    except Denied as denied:
        if await deps.access.person(message.from_id) is not None:
            await say(deps, message.peer_id, denied.text)


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("bc_aud"))
async def on_audience(event: MessageEvent, deps: Deps, args: dict[str, Any]) -> None:
    """A «who» button: a class is typed next; otherwise the count and «write the text»."""
    vk_id = event.object.user_id
    kind = args.get("a")
    deputy = await _deputy(deps, vk_id, "broadcast_audience", target=str(kind)[:20], peer_id=event.object.peer_id)
    service = _service(deps)
    if deputy is None or deputy.org_id is None:
        return
    if kind not in {o.kind for o in service.options()}:
        snackbar("Эта кнопка уже не действует")
        return
    snackbar("Хорошо")
    await _audience(deps, vk_id, deputy.org_id, str(kind))


async def _audience(deps: Deps, vk_id: int, org_id: str, kind: str, prefix: str = "") -> None:
    """The «who» chosen (by a button or typed): a class is asked next; else the count and «write the text»."""
    service = _service(deps)
    if kind == "class":
        await _set(deps, vk_id, "class")
        await say(deps, vk_id, prefix + "Напишите класс, например 5А.", Keyboard.column([_cancel_button()]))
        return
    try:
        people = await service.audience(org_id, kind)
    except BroadcastRefused as refused:
        await say(deps, vk_id, prefix + refused.text)
        return
    if not people:
        await say(deps, vk_id, prefix + f"Получателей нет: {service.describe(kind, None)} — никого. Выберите других.")
        return
    await _set(deps, vk_id, "text", {"a": kind})
    await say(deps, vk_id, prefix + f"Получателей: {len(people)} ({service.describe(kind, None)}). {ASK_TEXT}",
              Keyboard.column([_cancel_button()]))


async def _typed_class(deps: Deps, vk_id: int, org_id: str, typed: str, prefix: str = "") -> None:
    service = _service(deps)
    name = await service.find_class(org_id, typed)
    people = await service.audience(org_id, "class", name)
    await _set(deps, vk_id, "text", {"a": "class", "c": name})
    who = ", ".join(p.full_name for p in people)
    await say(deps, vk_id, prefix + f"Классный руководитель {name}: {who}. {ASK_TEXT}",
              Keyboard.column([_cancel_button()]))


# --- typed steps: class, text, new text -------------------------------------------------

@labeler.private_message(Known(), InBroadcast())
async def on_typed(message: Message, deps: Deps, dialog: dict[str, Any]) -> None:
    """The class or the text the dialog waits for, or a typed answer to its buttons («отмена» ends it)."""
    vk_id = message.from_id
    text = message.text or ""
    state = dialog["state"]
    # A broadcast's own text may start with «Отмена…»: there only the bare word cancels.
    said = answers.intent(text, ("cancel", "back")) if state in ANSWER_STATES + ("class",) else None
    if text.strip().lower().rstrip("!.") in CANCEL_WORDS or said == "cancel":
        await _cancel(deps, vk_id, dialog.get("b"))
        return
    deputy = await _deputy(deps, vk_id, "broadcast_text")
    if deputy is None or deputy.org_id is None:
        await deps.states.delete(_key(vk_id))
        return
    service = _service(deps)
    try:
        if state == "audience" or (state == "class" and said == "back"):
            await _typed_audience(deps, vk_id, deputy, text, said)
        elif state == "preview":
            await _typed_preview(deps, vk_id, deputy, int(dialog.get("b") or 0), text)
        elif state == "class":
            await _typed_class(deps, vk_id, deputy.org_id, text)
        elif state == "text":
            preview = await service.create(deputy, str(dialog.get("a")), dialog.get("c"), text)
            await _show_preview(deps, vk_id, preview)
        else:
            broadcast = await service.get(int(dialog.get("b") or 0))
            if broadcast is None or broadcast.org_id != deputy.org_id:
                await deps.states.delete(_key(vk_id))
                await say(deps, vk_id, NOT_FOUND)
                return
            await _show_preview(deps, vk_id, await service.set_text(broadcast.id, text))
    except BroadcastRefused as refused:
        await say(deps, vk_id, refused.text)


async def _typed_audience(deps: Deps, vk_id: int, deputy: Person, text: str, said: str | None) -> None:
    """«всем», «2», «5А», «не зарегистрированным» typed at the «who» step."""
    service = _service(deps)
    org_id = deputy.org_id or ""
    if said == "back":
        await _set(deps, vk_id, "audience")
        await say(deps, vk_id, _who_text(service), Keyboard.column([_cancel_button()]))
        return
    found = service.match_audience(text)
    if found is None:
        await say(deps, vk_id, "Не понял, кому отправить. " + _who_text(service), Keyboard.column([_cancel_button()]))
        return
    kind, cls = found
    if kind == "class" and cls:
        await _typed_class(deps, vk_id, org_id, cls, f"Понял: классному руководителю {cls.upper()}.\n\n")
        return
    await _audience(deps, vk_id, org_id, kind, f"Понял: {service.describe(kind, None)}.\n\n")


async def _typed_preview(deps: Deps, vk_id: int, deputy: Person, broadcast_id: int, text: str) -> None:
    """«да»/«отправить» sends, «изменить» asks for a new text, under the preview."""
    service = _service(deps)
    broadcast = await service.get(broadcast_id)
    if broadcast is None or broadcast.org_id != deputy.org_id or broadcast.status != "draft":
        await deps.states.delete(_key(vk_id))
        await say(deps, vk_id, NOT_FOUND)
        return
    answer = _preview_answer(text) or ("edit" if answers.intent(text, ("back",)) else None)
    if answer == "send":
        if await _deputy(deps, vk_id, "broadcast_send", org_id=broadcast.org_id, target=str(broadcast_id)) is None:
            return
        await deps.states.delete(_key(vk_id))
        await say(deps, vk_id, "Понял: отправляю.")
        await service.start(broadcast_id, deputy)
    elif answer == "edit":
        await _set(deps, vk_id, "edit", {"b": broadcast_id})
        await say(deps, vk_id, "Понял: меняем текст. Пришлите новый текст рассылки.",
                  Keyboard.column([_cancel_button(broadcast_id)]))
    else:
        await say(deps, vk_id, "Не понял ответ. Напишите «отправить», «изменить» или «отмена».",
                  _preview_keyboard(broadcast_id))


# --- preview buttons --------------------------------------------------------------------

async def _checked(event: MessageEvent, deps: Deps, args: dict[str, Any], action: str) -> tuple[Person, int] | None:
    """The deputy pressing and the broadcast id, when the broadcast is a draft of their school."""
    vk_id = event.object.user_id
    raw = args.get("b")
    broadcast = await _service(deps).get(raw) if isinstance(raw, int) else None
    deputy = await _deputy(deps, vk_id, action, org_id=broadcast.org_id if broadcast else None,
                           target=str(raw)[:20], peer_id=event.object.peer_id)
    if deputy is None:
        return None
    if broadcast is None or broadcast.org_id != deputy.org_id:
        snackbar("Эта рассылка не найдена")
        return None
    if broadcast.status != "draft":
        snackbar("Эта рассылка уже отправлена или отменена")
        return None
    return deputy, broadcast.id


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("bc_send"))
async def on_send(event: MessageEvent, deps: Deps, args: dict[str, Any]) -> None:
    """«Отправить»: the send starts; progress is one edited message, then the report."""
    checked = await _checked(event, deps, args, "broadcast_send")
    if checked is None:
        return
    deputy, broadcast_id = checked
    await deps.states.delete(_key(event.object.user_id))
    snackbar("Отправляю")
    try:
        await _service(deps).start(broadcast_id, deputy)
    except BroadcastRefused as refused:
        await say(deps, event.object.user_id, refused.text)


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("bc_edit"))
async def on_edit(event: MessageEvent, deps: Deps, args: dict[str, Any]) -> None:
    """«Изменить текст»: the next message replaces the draft's text."""
    checked = await _checked(event, deps, args, "broadcast_edit")
    if checked is None:
        return
    vk_id = event.object.user_id
    await _set(deps, vk_id, "edit", {"b": checked[1]})
    snackbar("Жду новый текст")
    await say(deps, vk_id, "Пришлите новый текст рассылки.", Keyboard.column([_cancel_button(checked[1])]))


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("bc_cancel"))
async def on_cancel(event: MessageEvent, deps: Deps, args: dict[str, Any]) -> None:
    """«Отмена» at any step: the draft (if any) is dropped and the dialog ends."""
    vk_id = event.object.user_id
    if "b" in args:
        if await _checked(event, deps, args, "broadcast_cancel") is None:
            return
    elif await _deputy(deps, vk_id, "broadcast_cancel", peer_id=event.object.peer_id) is None:
        return
    snackbar("Отменено")
    await _cancel(deps, vk_id, args.get("b"))


async def _cancel(deps: Deps, vk_id: int, broadcast_id: Any) -> None:
    """End the dialog; a draft of the deputy's school is dropped."""
    await deps.states.delete(_key(vk_id))
    person = await deps.access.person(vk_id)
    if isinstance(broadcast_id, int) and person is not None:
        broadcast = await _service(deps).get(broadcast_id)
        if broadcast is not None and broadcast.org_id == person.org_id:
            await _service(deps).cancel(broadcast_id)
    await say(deps, vk_id, "Рассылка отменена.", main_menu(person.role) if person else None)
