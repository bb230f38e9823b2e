"""MAX updates as neutral events: every update type the bot subscribes to, and what is skipped."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.ui import Button, ButtonKind, Keyboard
from bot.max.bridge import translate
from bot.max.keyboard import attachment
from bot.max.messenger import target
from bot.messaging.events import (
    BotAdded,
    BotRemoved,
    ButtonPressed,
    ChatKind,
    ChatRef,
    MemberJoined,
    MemberLeft,
    MessageIn,
    Messenger,
    PersonStarted,
    PersonStopped,
)
from bot.messaging.state import StateKey

USER = {"user_id": 7, "first_name": "Анна", "is_bot": False, "last_activity_time": 1}


def message(chat_type: str = "dialog", text: str = "сводка", chat_id: int = 70) -> dict[str, Any]:
    return {"sender": USER, "recipient": {"chat_id": chat_id, "chat_type": chat_type, "user_id": 9000},
            "timestamp": 1_796_000_000_000,
            "body": {"mid": "mid.1", "seq": 11, "text": text,
                     "attachments": [{"type": "file", "filename": "list.xlsx", "size": 5,
                                      "payload": {"url": "http://127.0.0.1/f", "token": "t"}}]}}


def test_message_in_a_dialog_and_in_a_group() -> None:
    """A dialog is keyed by the person's user id; a group by its chat id, the bot's mention split off."""
    event = translate({"update_type": "message_created", "timestamp": 1, "message": message()})
    assert isinstance(event, MessageIn) and event.chat.messenger is Messenger.MAX
    assert (event.chat.chat_id, event.chat.kind, event.sender.external_id) == (7, ChatKind.DIALOG, 7)
    assert event.text == "сводка" and event.message_id == 11 and event.files[0].name == "list.xlsx"
    group = translate({"update_type": "message_created", "timestamp": 1,
                       "message": message("chat", "@id123_bot, сводка", -5)})
    assert isinstance(group, MessageIn) and group.chat.chat_id == -5 and group.chat.is_group
    assert group.addressed == "сводка"


def test_a_dialog_is_the_same_chat_however_it_is_reached() -> None:
    """A message, a press and «start» in one MAX dialog (chat 70 of user 7) are the chat
    `ChatRef.dialog_with` names, so their dialog steps share one key and a reply reaches the user."""
    callback = {"timestamp": 1, "callback_id": "cb1", "payload": '{"cmd":"x"}', "user": USER}
    events = [translate({"update_type": "message_created", "timestamp": 1, "message": message()}),
              translate({"update_type": "message_callback", "timestamp": 1, "callback": callback,
                         "message": {**message(), "sender": {"user_id": 9000, "is_bot": True}}}),
              translate({"update_type": "bot_started", "timestamp": 1, "chat_id": 70, "user": USER})]
    keys = set()
    for event in events:
        assert event is not None and event.chat == ChatRef.dialog_with(event.sender)
        keys.add(StateKey.of(1, event.chat, event.sender, "broadcast"))
    assert len(keys) == 1
    assert target(ChatRef.dialog_with(events[0].sender)) == {"user_id": 7}


def test_callback_press_and_marked_menu_button() -> None:
    """A callback press keeps its string payload; a menu (text) button press becomes its message."""
    callback = {"timestamp": 1, "callback_id": "cb1", "payload": '{"cmd":"x"}', "user": USER}
    press = translate({"update_type": "message_callback", "timestamp": 1, "callback": callback,
                       "message": message()})
    assert isinstance(press, ButtonPressed) and press.callback_id == "cb1" and press.payload == '{"cmd":"x"}'
    marked = attachment(Keyboard(rows=[[Button(label="Сводка", payload={"cmd": "summary"})]]))
    assert marked is not None
    payload = marked["payload"]["buttons"][0][0]["payload"]
    menu = translate({"update_type": "message_callback", "timestamp": 1,
                      "callback": {**callback, "payload": payload}, "message": message()})
    assert isinstance(menu, MessageIn) and menu.text == "Сводка" and menu.payload == {"cmd": "summary"}


@pytest.mark.parametrize(
    ("update", "kind"),
    [({"update_type": "bot_started", "chat_id": 70, "user": USER, "payload": None}, PersonStarted),
     ({"update_type": "bot_stopped", "chat_id": 70, "user": USER}, PersonStopped),
     ({"update_type": "bot_added", "chat_id": -5, "is_channel": False}, BotAdded),
     ({"update_type": "bot_removed", "chat_id": -5, "user": USER, "is_channel": False}, BotRemoved),
     ({"update_type": "user_added", "chat_id": -5, "user": USER, "inviter_id": 8, "is_channel": False},
      MemberJoined),
     ({"update_type": "user_removed", "chat_id": -5, "user": USER, "admin_id": None, "is_channel": False},
      MemberLeft)],
)
def test_lifecycle_updates(update: dict[str, Any], kind: type) -> None:
    """Start/stop, the bot added/removed (bot_added has no user any more), members joining/leaving."""
    event = translate({**update, "timestamp": 1})
    assert isinstance(event, kind)
    if isinstance(event, MemberJoined):
        assert event.member.external_id == 7 and event.sender.external_id == 8
    if isinstance(event, BotAdded):
        assert event.chat.chat_id == -5 and event.sender.external_id == 0


def test_unknown_malformed_and_own_messages_are_skipped() -> None:
    """Unknown types, missing users and the bot's own messages give None (nothing is handled)."""
    own = message()
    own["sender"] = {**USER, "is_bot": True}
    for update in ({"update_type": "chat_title_changed", "chat_id": -5}, {"update_type": "bot_started"},
                   {"update_type": "message_created", "message": own}, {"update_type": "message_callback"}):
        assert translate(update) is None


def test_keyboard_within_max_limits() -> None:
    """Eight buttons in a row wrap to 7 + 1; links stay links; a callback keeps its payload unmarked."""
    row = [Button(label=f"Кнопка {i}", payload={"cmd": "b", "i": i}, callback=True) for i in range(8)]
    link = Button(label="Сайт", link="https://max.ru")
    laid = attachment(Keyboard(rows=[row, [link]], inline=True))
    assert laid is not None
    rows = laid["payload"]["buttons"]
    assert [len(r) for r in rows] == [7, 1, 1] and rows[2][0] == {"type": "link", "text": "Сайт",
                                                                   "url": "https://max.ru"}
    assert rows[0][0]["payload"] == '{"cmd":"b","i":0}' and link.kind is ButtonKind.LINK
