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
    is_private,
    payload_of,
    say,
    snackbar,
)

labeler = BotLabeler()

# A dialog left this long ago no longer takes free text (it would swallow a later question).
STALE_AFTER = dt.timedelta(hours=2)
TYPED_STATES = ("class", "text", "edit")
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
        if state is None or state.state not in TYPED_STATES:
            return False
        try:
            at = dt.datetime.fromisoformat(str(state.payload.get("at")))
        except ValueError:
            at = None
        if at is None or deps.clock.now() - at > STALE_AFTER:
            await deps.states.delete(_key(event.from_id))
            return False
        return {"dialog": {"state": state.state, **state.payload}}


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
    await say(deps, vk_id, "Кому отправить рассылку?", Keyboard.column([*buttons, _cancel_button()]))


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
    if kind == "class":
        await _set(deps, vk_id, "class")
        await say(deps, vk_id, "Напишите класс, например 5А.", Keyboard.column([_cancel_button()]))
        return
    try:
        people = await service.audience(deputy.org_id, kind)
    except BroadcastRefused as refused:
        await say(deps, vk_id, refused.text)
        return
    if not people:
        await say(deps, vk_id, f"Получателей нет: {service.describe(kind, None)} — никого. Выберите других.")
        return
    await _set(deps, vk_id, "text", {"a": kind})
    await say(deps, vk_id, f"Получателей: {len(people)} ({service.describe(kind, None)}). {ASK_TEXT}",
              Keyboard.column([_cancel_button()]))


# --- typed steps: class, text, new text -------------------------------------------------

@labeler.private_message(Known(), InBroadcast())
async def on_typed(message: Message, deps: Deps, dialog: dict[str, Any]) -> None:
    """The class or the text the dialog waits for («отмена» ends it)."""
    vk_id = message.from_id
    text = message.text or ""
    if text.strip().lower().rstrip("!.") in CANCEL_WORDS:
        await _cancel(deps, vk_id, dialog.get("b"))
        return
    deputy = await _deputy(deps, vk_id, "broadcast_text")
    if deputy is None or deputy.org_id is None:
        await deps.states.delete(_key(vk_id))
        return
    service = _service(deps)
    try:
        if dialog["state"] == "class":
            name = await service.find_class(deputy.org_id, text)
            people = await service.audience(deputy.org_id, "class", name)
            await _set(deps, vk_id, "text", {"a": "class", "c": name})
            who = ", ".join(p.full_name for p in people)
            await say(deps, vk_id, f"Классный руководитель {name}: {who}. {ASK_TEXT}",
                      Keyboard.column([_cancel_button()]))
        elif dialog["state"] == "text":
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
