"""MAX updates as neutral events, fed to the same `Dispatcher` the VK bridge feeds.

A dialog's `ChatRef.chat_id` is the person's user id (the messenger addresses dialogs by
`user_id`); a group chat's is MAX's negative chat id.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from typing import Any

from bot.max.keyboard import TEXT_MARK
from bot.messaging.events import (
    BotAdded,
    BotRemoved,
    ButtonPressed,
    ChatKind,
    ChatRef,
    FileRef,
    Identity,
    MemberJoined,
    MemberLeft,
    MessageIn,
    Messenger,
    PersonStarted,
    PersonStopped,
)
from bot.messaging.payloads import as_dict
from bot.messaging.router import Dispatcher

log = logging.getLogger(__name__)

# «@id7700000000_bot, сводка»: the bot's own mention before a command in a group chat.
BOT_MENTION = re.compile(r"^\s*@[A-Za-z0-9_.]+[\s,:]*")
UPDATE_TYPES = ("message_created", "message_callback", "bot_started", "bot_stopped", "bot_added",
                "bot_removed", "user_added", "user_removed", "dialog_removed", "bot_admin_permissions_changed")

JSON = dict[str, Any]
Event = (MessageIn | ButtonPressed | PersonStarted | PersonStopped | BotAdded | BotRemoved | MemberJoined
         | MemberLeft)


def person(user_id: int) -> Identity:
    return Identity(messenger=Messenger.MAX, external_id=user_id)


def dialog(user_id: int) -> ChatRef:
    return ChatRef(messenger=Messenger.MAX, chat_id=user_id, kind=ChatKind.DIALOG)


def group(chat_id: int) -> ChatRef:
    return ChatRef(messenger=Messenger.MAX, chat_id=chat_id, kind=ChatKind.GROUP)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _user_id(user: Any) -> int | None:
    return _int(user.get("user_id")) if isinstance(user, dict) else None


def _at(update: JSON) -> dt.datetime | None:
    stamp = _int(update.get("timestamp"))
    return dt.datetime.fromtimestamp(stamp / 1000, dt.UTC) if stamp is not None else None


def _chat_of(message: JSON, user_id: int) -> ChatRef | None:
    recipient = message.get("recipient") or {}
    if recipient.get("chat_type") in ("chat", "channel"):
        chat_id = _int(recipient.get("chat_id"))
        return group(chat_id) if chat_id is not None else None
    return dialog(user_id)


def message_in(update: JSON) -> MessageIn | None:
    """message_created as a neutral message (files as references, the bot's mention split off)."""
    message = update.get("message")
    if not isinstance(message, dict):
        return None
    sender = message.get("sender") or {}
    user_id = _user_id(sender)
    if user_id is None or sender.get("is_bot"):
        return None
    chat = _chat_of(message, user_id)
    if chat is None:
        return None
    body = message.get("body") or {}
    text = body.get("text") or ""
    files = tuple(
        FileRef(name=str(a.get("filename") or "file"), ref=str((a.get("payload") or {}).get("url") or ""),
                size=_int(a.get("size")))
        for a in body.get("attachments") or [] if isinstance(a, dict) and a.get("type") == "file")
    stripped = BOT_MENTION.sub("", text, count=1) if chat.is_group else text
    return MessageIn(chat=chat, sender=person(user_id), text=text, files=files, message_id=_int(body.get("seq")),
                     addressed=stripped if stripped != text else None, at=_at(update), raw=update)


def button_in(update: JSON) -> MessageIn | ButtonPressed | None:
    """message_callback as a press, or (a menu button, marked text) as the message VK would deliver."""
    callback = update.get("callback")
    if not isinstance(callback, dict):
        return None
    user_id = _user_id(callback.get("user"))
    if user_id is None:
        return None
    found = update.get("message")
    message: JSON = found if isinstance(found, dict) else {}
    chat = _chat_of(message, user_id)
    if chat is None:
        return None
    body = message.get("body") or {}
    raw_payload = callback.get("payload")
    payload = as_dict(raw_payload) if isinstance(raw_payload, str) else None
    if payload is not None and TEXT_MARK in payload:
        label = str(payload.pop(TEXT_MARK))
        return MessageIn(chat=chat, sender=person(user_id), text=label, payload=payload, at=_at(update),
                         raw=update)
    return ButtonPressed(chat=chat, sender=person(user_id), callback_id=str(callback.get("callback_id") or ""),
                         payload=raw_payload if isinstance(raw_payload, str) else None,
                         message_id=_int(body.get("seq")), at=_at(update), raw=update)


def translate(update: JSON) -> Event | None:
    """Any MAX update this bot knows as a neutral event (None: unknown or malformed)."""
    kind = update.get("update_type")
    if kind == "message_created":
        return message_in(update)
    if kind == "message_callback":
        return button_in(update)
    user_id = _user_id(update.get("user"))
    chat_id = _int(update.get("chat_id"))
    if kind in ("bot_started", "bot_stopped"):
        if user_id is None:
            return None
        if kind == "bot_started":
            payload = update.get("payload")
            return PersonStarted(chat=dialog(user_id), sender=person(user_id), at=_at(update), raw=update,
                                 payload=payload if isinstance(payload, str) else None)
        return PersonStopped(chat=dialog(user_id), sender=person(user_id), at=_at(update), raw=update)
    if chat_id is None:
        return None
    if kind in ("bot_added", "bot_removed"):
        # Since Nov 2026 bot_added carries no user: the sender is then unknown (0).
        made = BotAdded if kind == "bot_added" else BotRemoved
        return made(chat=group(chat_id), sender=person(user_id or 0), at=_at(update), raw=update)
    if kind in ("user_added", "user_removed") and user_id is not None:
        actor = _int(update.get("inviter_id")) or _int(update.get("admin_id")) or user_id
        member = MemberJoined if kind == "user_added" else MemberLeft
        return member(chat=group(chat_id), sender=person(actor), member=person(user_id), at=_at(update), raw=update)
    return None


class MaxBridge:
    """Feeds translated MAX updates to the neutral dispatcher with the handlers' data."""

    def __init__(self, dispatcher: Dispatcher, data: Callable[[], dict[str, Any]],
                 remember: Callable[[int, str], None] | None = None) -> None:
        self.dispatcher = dispatcher
        self._data = data
        self._remember = remember

    async def handle(self, update: JSON) -> bool:
        """Handle one update; True when a handler took it."""
        event = translate(update)
        if event is None:
            log.debug("MAX update skipped: %s", update.get("update_type"))
            return False
        if isinstance(event, ButtonPressed) and self._remember is not None and event.message_id is not None:
            body = ((update.get("message") or {}).get("body")) or {}
            if isinstance(body.get("mid"), str):
                self._remember(event.message_id, body["mid"])
        return await self.dispatcher.feed(event, **self._data())


def dialog_of(update: dict[str, Any]) -> tuple[int, int] | None:
    """(user id, dialog chat id) when an update names a person's dialog with the bot."""
    if update.get("update_type") == "bot_started":
        user, chat_id = update.get("user"), update.get("chat_id")
        if isinstance(user, dict) and isinstance(user.get("user_id"), int) and isinstance(chat_id, int):
            return int(user["user_id"]), chat_id
        return None
    message = update.get("message")
    if update.get("update_type") == "message_created" and isinstance(message, dict):
        recipient, sender = message.get("recipient") or {}, message.get("sender") or {}
        if (recipient.get("chat_type") == "dialog" and isinstance(recipient.get("chat_id"), int)
                and isinstance(sender.get("user_id"), int) and not sender.get("is_bot")):
            return int(sender["user_id"]), int(recipient["chat_id"])
    return None
