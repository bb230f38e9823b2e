"""Sending, reading, editing and deleting messages, callbacks and answers, and who may be written to."""

from __future__ import annotations

from typing import Any

from max_emulator import MaxEmulator
from max_emulator.control import Control
from max_emulator.world import DIALOG_BASE
from tests.max_emulator.support import ANNA, BOT_ID, GROUP, OLGA, PETR, Call


def keyboard(*rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "inline_keyboard", "payload": {"buttons": list(rows)}}


def callback(text: str = "Да", payload: str = "yes") -> dict[str, Any]:
    return {"type": "callback", "text": text, "payload": payload}


async def test_person_who_never_started_gets_403(api: Call) -> None:
    """Writing to someone who never pressed Start is 403 chat.denied."""
    answer = await api("POST", "/messages", {"text": "Здравствуйте"}, user_id=ANNA)
    assert (answer.status, answer.body["code"]) == (403, "chat.denied")


async def test_send_after_start_by_user_and_by_chat(api: Call, ctl: Control) -> None:
    """After Start the bot writes by user_id or by the dialog's chat_id; recipient has chat_id."""
    chat_id = ctl.start(ANNA, {})["chat_id"]
    first = await api("POST", "/messages", {"text": "Раз"}, user_id=ANNA)
    second = await api("POST", "/messages", {"text": "Два", "format": "markdown"}, chat_id=chat_id)
    assert first.status == second.status == 200
    message = first.body["message"]
    assert message["recipient"] == {"chat_id": chat_id, "chat_type": "dialog", "user_id": ANNA}
    assert message["sender"]["user_id"] == BOT_ID
    assert isinstance(message["body"]["mid"], str) and message["timestamp"] > 10**12
    sent = ctl.sent_items(chat_id, None)
    assert [i["text"] for i in sent] == ["Раз", "Два"] and sent[1]["format"] == "markdown"


async def test_stopped_person_gets_403(api: Call, ctl: Control) -> None:
    """After bot_stopped the person cannot be written to, and Start again opens the dialog."""
    ctl.start(ANNA, {})
    ctl.stop(ANNA)
    stopped = await api("POST", "/messages", {"text": "x"}, user_id=ANNA)
    assert (stopped.status, stopped.body["code"]) == (403, "chat.denied")
    ctl.start(ANNA, {})
    assert (await api("POST", "/messages", {"text": "x"}, user_id=ANNA)).status == 200


async def test_exactly_one_target(api: Call, ctl: Control) -> None:
    """Neither or both of user_id and chat_id is 400."""
    chat_id = ctl.start(ANNA, {})["chat_id"]
    assert (await api("POST", "/messages", {"text": "x"})).status == 400
    both = await api("POST", "/messages", {"text": "x"}, user_id=ANNA, chat_id=chat_id)
    assert both.status == 400


async def test_text_limit_and_empty_message(api: Call, ctl: Control, emu: MaxEmulator) -> None:
    """4,000 characters pass, 4,001 are 400 naming text; an empty message is 400; the limit is
    configurable."""
    ctl.start(ANNA, {})
    assert (await api("POST", "/messages", {"text": "я" * 4000}, user_id=ANNA)).status == 200
    long = await api("POST", "/messages", {"text": "я" * 4001}, user_id=ANNA)
    assert long.status == 400 and long.body["message"].startswith("text:")
    assert (await api("POST", "/messages", {"text": ""}, user_id=ANNA)).status == 400
    ctl.set_limits({"max_text": 10, "rps": None, "per_chat_rps": None})
    assert (await api("POST", "/messages", {"text": "я" * 11}, user_id=ANNA)).status == 400


async def test_keyboard_limits(api: Call, ctl: Control) -> None:
    """7 buttons a row, 3 with a link, 30 rows, 210 buttons, text 1–128, payload ≤ 1,024."""
    ctl.start(ANNA, {})

    async def send(kb: dict[str, Any]) -> int:
        return (
            await api("POST", "/messages", {"text": "?", "attachments": [kb]}, user_id=ANNA)
        ).status

    link = {"type": "link", "text": "Сайт", "url": "https://example.org"}
    assert await send(keyboard([callback()] * 7)) == 200
    assert await send(keyboard([callback()] * 8)) == 400
    assert await send(keyboard([link, callback(), callback()])) == 200
    assert await send(keyboard([link, callback(), callback(), callback()])) == 400
    contact = {"type": "request_contact", "text": "Телефон"}
    app = {"type": "open_app", "text": "Дневник", "web_app": "diary"}
    assert await send(keyboard([contact, app, callback()])) == 200
    assert await send(keyboard([contact, callback(), callback(), callback()])) == 400
    assert await send(keyboard([app] * 4)) == 400
    assert await send(keyboard(*([[callback()]] * 30))) == 200
    assert await send(keyboard(*([[callback()]] * 31))) == 400
    assert await send(keyboard(*([[callback()] * 7] * 30))) == 200
    assert await send(keyboard(*([[callback()] * 7] * 30), [callback()])) == 400
    assert await send(keyboard([callback(text="")])) == 400
    assert await send(keyboard([callback(text="д" * 128)])) == 200
    assert await send(keyboard([callback(text="д" * 129)])) == 400
    assert await send(keyboard([callback(payload="p" * 1024)])) == 200
    assert await send(keyboard([callback(payload="p" * 1025)])) == 400


async def test_keyboard_error_names_the_button(api: Call, ctl: Control) -> None:
    """A too-long button text is reported with its place in the keyboard."""
    ctl.start(ANNA, {})
    body = {"text": "?", "attachments": [keyboard([callback(), callback(text="x" * 200)])]}
    answer = await api("POST", "/messages", body, user_id=ANNA)
    assert answer.body["message"].startswith("attachments[0].payload.buttons[0][1].text:")


async def test_unknown_attachment_type_is_400(api: Call, ctl: Control) -> None:
    """An attachment type outside the schema's list is refused."""
    ctl.start(ANNA, {})
    answer = await api("POST", "/messages", {"attachments": [{"type": "gif"}]}, user_id=ANNA)
    assert answer.status == 400 and answer.body["message"].startswith("attachments[0].type:")


async def test_get_edit_delete(api: Call, ctl: Control) -> None:
    """The bot reads, edits and deletes its message; /_emu/sent follows; others' cannot be edited."""
    chat_id = ctl.start(ANNA, {})["chat_id"]
    mid = (await api("POST", "/messages", {"text": "Было"}, user_id=ANNA)).body["message"]["body"][
        "mid"
    ]
    said = ctl.say({"user_id": ANNA, "text": "Привет"})
    edited = await api("PUT", "/messages", {"text": "Стало"}, message_id=mid)
    assert edited.body == {"success": True}
    one = await api("GET", f"/messages/{mid}")
    assert one.body["body"]["text"] == "Стало"
    listing = await api("GET", "/messages", chat_id=chat_id)
    assert [m["body"]["text"] for m in listing.body["messages"]] == ["Привет", "Стало"]
    by_ids = await api("GET", "/messages", message_ids=[mid])
    assert len(by_ids.body["messages"]) == 1
    assert (await api("PUT", "/messages", {"text": "x"}, message_id=said["mid"])).status == 403
    assert (await api("DELETE", "/messages", message_id=mid)).body == {"success": True}
    assert ctl.sent_items(chat_id, None) == []
    assert (await api("GET", f"/messages/{mid}")).status == 404


async def test_edit_keeps_or_removes_attachments(api: Call, ctl: Control) -> None:
    """`attachments: null` keeps the keyboard, `[]` removes it."""
    chat_id = ctl.start(ANNA, {})["chat_id"]
    body = {"text": "?", "attachments": [keyboard([callback()])]}
    mid = (await api("POST", "/messages", body, user_id=ANNA)).body["message"]["body"]["mid"]
    await api("PUT", "/messages", {"text": "!", "attachments": None}, message_id=mid)
    assert ctl.sent_items(chat_id, None)[0]["keyboard"] is not None
    await api("PUT", "/messages", {"text": "!", "attachments": []}, message_id=mid)
    assert ctl.sent_items(chat_id, None)[0]["keyboard"] is None


async def test_callback_answer_edits_and_notifies(api: Call, ctl: Control) -> None:
    """A press arrives as message_callback; POST /answers edits the message and records a toast."""
    chat_id = ctl.start(ANNA, {})["chat_id"]
    body = {"text": "Идёте?", "attachments": [keyboard([callback()])]}
    mid = (await api("POST", "/messages", body, user_id=ANNA)).body["message"]["body"]["mid"]
    callback_id = ctl.press({"user_id": ANNA, "mid": mid, "payload": "yes"})["callback_id"]
    updates = (await api("GET", "/updates", timeout=0)).body["updates"]
    pressed = updates[-1]
    assert pressed["update_type"] == "message_callback"
    assert pressed["callback"]["payload"] == "yes" and pressed["message"]["body"]["mid"] == mid
    answer = await api(
        "POST",
        "/answers",
        {"message": {"text": "Записал"}, "notification": "Готово"},
        callback_id=callback_id,
    )
    assert answer.body == {"success": True}
    assert ctl.sent_items(chat_id, None)[0]["text"] == "Записал"
    items = ctl.answer_items(ANNA)["items"]
    assert items == [
        {"callback_id": callback_id, "notification": "Готово", "message": {"text": "Записал"}}
    ]
    assert (await api("POST", "/answers", {}, callback_id=callback_id)).status == 400
    assert (await api("POST", "/answers", {"notification": "x"}, callback_id="nope")).status == 400


async def test_say_starts_the_bot_first(api: Call, ctl: Control) -> None:
    """A person who never started the bot and writes to it emits bot_started, then the message."""
    said = ctl.say({"user_id": PETR, "text": "/start"})
    assert said["chat_id"] == DIALOG_BASE + PETR
    updates = (await api("GET", "/updates", timeout=0)).body["updates"]
    assert [u["update_type"] for u in updates] == ["bot_started", "message_created"]
    created = updates[1]["message"]
    assert created["recipient"]["chat_id"] == said["chat_id"]
    assert created["body"]["mid"] == said["mid"] and created["sender"]["user_id"] == PETR


async def test_group_chat_sends_and_membership(api: Call, ctl: Control) -> None:
    """The bot writes into its group chat; GET /chats/{id} describes it; a dialog too."""
    ctl.add_chat({"chat_id": GROUP, "title": "Учителя", "members": [ANNA, PETR]})
    sent = await api("POST", "/messages", {"text": "Всем привет"}, chat_id=GROUP)
    assert sent.body["message"]["recipient"] == {"chat_id": GROUP, "chat_type": "chat"}
    chat = await api("GET", f"/chats/{GROUP}")
    assert chat.body["title"] == "Учителя" and chat.body["participants_count"] == 3
    dialog_id = ctl.start(OLGA, {})["chat_id"]
    dialog = await api("GET", f"/chats/{dialog_id}")
    assert dialog.body["type"] == "dialog" and dialog.body["dialog_with_user"]["user_id"] == OLGA
    assert (await api("GET", "/chats/-999")).status == 404


async def test_removed_bot_cannot_write(api: Call, ctl: Control) -> None:
    """After bot_removed, sending into the chat is 403."""
    ctl.add_chat({"chat_id": GROUP, "title": "Учителя", "members": [ANNA]})
    ctl.set_bot(GROUP, {"removed": True})
    answer = await api("POST", "/messages", {"text": "x"}, chat_id=GROUP)
    assert (answer.status, answer.body["code"]) == (403, "chat.denied")


async def test_typing_action(api: Call, ctl: Control) -> None:
    """POST /chats/{id}/actions answers success for a reachable dialog."""
    chat_id = ctl.start(ANNA, {})["chat_id"]
    answer = await api("POST", f"/chats/{chat_id}/actions", {"action": "typing_on"})
    assert answer.body == {"success": True}
    bad = await api("POST", f"/chats/{chat_id}/actions", {"action": "dancing"})
    assert bad.status == 400


async def test_get_messages_window_and_count(api: Call, ctl: Control) -> None:
    """GET /messages lists newest first; count, before/after and from/to narrow it."""
    chat_id = ctl.start(ANNA, {})["chat_id"]
    ctl.set_clock({"frozen": True})
    stamps = []
    for text in ("раз", "два", "три"):
        sent = await api("POST", "/messages", {"text": text}, user_id=ANNA)
        stamps.append(sent.body["message"]["timestamp"])
        ctl.set_clock({"advance_s": 1})

    async def texts(**params: Any) -> list[str]:
        answer = await api("GET", "/messages", chat_id=chat_id, **params)
        return [m["body"]["text"] for m in answer.body["messages"]]

    assert await texts() == ["три", "два", "раз"]
    assert await texts(count=2) == ["три", "два"]
    assert await texts(before=stamps[2]) == ["два", "раз"]
    assert await texts(after=stamps[0]) == ["три", "два"]
    assert await texts(**{"from": stamps[1], "to": stamps[0]}) == ["два", "раз"]
    assert (await api("GET", "/messages", chat_id=chat_id, count=101)).status == 400
    ctl.stop(ANNA)
    assert (await api("GET", "/messages", chat_id=chat_id)).status == 403
