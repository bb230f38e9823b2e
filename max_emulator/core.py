"""The MAX emulator's state and shared behaviour, independent of HTTP: ids, rendering of MAX
objects, reachability, per-chat limits and emitting updates (to long polling or webhooks)."""

from __future__ import annotations

import random
import secrets
from typing import Any

from emulator_common.clock import Clock
from emulator_common.ratelimit import RateWindows
from emulator_common.schema import SchemaViolation
from emulator_common.waiting import Wakeup
from max_emulator.schema import MaxSchema, load_schema
from max_emulator.updates import UpdateQueue
from max_emulator.webhooks import WebhookDeliverer
from max_emulator.world import (
    DIALOG_BASE,
    ApiError,
    Callback,
    Chat,
    Faults,
    Limits,
    Message,
    Stats,
    StoredFile,
    Subscription,
    UploadSlot,
    User,
)

# Updates about the bot itself reach it whatever its rights in the chat.
BOT_SELF_UPDATES = frozenset({"bot_added", "bot_removed", "bot_admin_permissions_changed"})


class MaxCore:
    """Everything the emulator knows; `BotApi` and `Control` act on it."""

    def __init__(
        self,
        token: str = "t",
        bot_id: int = 1000,
        *,
        validate: bool = True,
        seed: int | None = None,
        bot_name: str = "Школьный бот",
        bot_username: str = "school_bot",
    ) -> None:
        self.token = token
        self.bot_id = bot_id
        self.bot_name = bot_name
        self.bot_username = bot_username
        self.validate = validate
        self.schema: MaxSchema = load_schema()
        self.rng = random.Random(seed)
        self.clock = Clock()
        self.base_url = "http://127.0.0.1:0"
        self.schema_violations: list[str] = []
        # Counters and the update queue survive /_emu/reset so running clients never go back.
        self._seq = 10**15
        self._sent_seq = 0
        self._file_id = 0
        self.updates = UpdateQueue()
        self.webhooks = WebhookDeliverer(self)
        self.sent_wakeup = Wakeup()
        # Fired when a webhook subscription is added or removed (the control API's waits).
        self.subscriptions_wakeup = Wakeup()
        self._reset_world()

    def _reset_world(self) -> None:
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.messages: dict[str, Message] = {}
        self.by_chat: dict[int, list[Message]] = {}
        self.callbacks: dict[str, Callback] = {}
        self.answers: dict[int, list[dict[str, Any]]] = {}
        self.files: dict[str, StoredFile] = {}
        self.upload_slots: dict[str, UploadSlot] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self.limits = Limits()
        self.faults = Faults()
        self.stats = Stats()
        self.rates = RateWindows()
        self.clock.reset()

    def reset(self) -> dict[str, Any]:
        """Forget people, chats, messages, files, subscriptions, faults, limits, clock, counts."""
        self._reset_world()
        self.updates.clear()
        self.webhooks.clear()
        return {"ok": True}

    def shutdown(self) -> None:
        self.updates.closing = True
        self.updates.wakeup.fire()
        self.updates.holding_wakeup.fire()
        self.sent_wakeup.fire()

    # -- ids and time -------------------------------------------------------------------------

    def now_ms(self) -> int:
        return int(self.clock.now() * 1000)

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def new_mid(self) -> str:
        return f"mid.{self.next_seq():016x}{secrets.token_hex(8)}"

    def next_file_id(self) -> int:
        self._file_id += 1
        return self._file_id

    def next_sent_seq(self) -> int:
        self._sent_seq += 1
        return self._sent_seq

    # -- rendering ----------------------------------------------------------------------------

    def user_object(self, user: User, *, photo: bool = False) -> dict[str, Any]:
        name = " ".join(p for p in (user.first_name, user.last_name) if p)
        obj: dict[str, Any] = {
            "user_id": user.user_id,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "username": user.username,
            "is_bot": False,
            "last_activity_time": user.last_activity or self.now_ms(),
            "name": name,
        }
        if photo:
            obj["description"] = None
            obj["avatar_url"] = None
            obj["full_avatar_url"] = None
        return obj

    def bot_object(self, *, photo: bool = False) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "user_id": self.bot_id,
            "first_name": self.bot_name,
            "last_name": None,
            "username": self.bot_username,
            "is_bot": True,
            "last_activity_time": self.now_ms(),
            "name": self.bot_name,
        }
        if photo:
            obj["description"] = "Локальный эмулятор MAX"
            obj["avatar_url"] = None
            obj["full_avatar_url"] = None
        return obj

    def sender_object(self, sender_id: int) -> dict[str, Any]:
        if sender_id == self.bot_id:
            return self.bot_object()
        user = self.users.get(sender_id)
        if user is None:
            return {"user_id": sender_id, "first_name": str(sender_id), "is_bot": False}
        return self.user_object(user)

    def message_object(self, message: Message) -> dict[str, Any]:
        recipient: dict[str, Any] = {"chat_id": message.chat_id, "chat_type": message.chat_type}
        if message.dialog_user_id is not None:
            recipient["user_id"] = message.dialog_user_id
        body: dict[str, Any] = {"mid": message.mid, "seq": message.seq, "text": message.text}
        if message.attachments:
            body["attachments"] = message.attachments
        obj: dict[str, Any] = {
            "sender": self.sender_object(message.sender_id),
            "recipient": recipient,
            "timestamp": message.timestamp,
            "body": body,
        }
        if message.link is not None:
            obj["link"] = message.link
        return obj

    # -- people and chats ---------------------------------------------------------------------

    def user_of_dialog(self, chat_id: int) -> User | None:
        if chat_id <= DIALOG_BASE:
            return None
        return self.users.get(chat_id - DIALOG_BASE)

    def writable_dialog(self, user: User | None) -> User:
        """The person, if the bot may write to them (else 403 chat.denied)."""
        if user is None or not user.reachable:
            raise ApiError(403, "chat.denied", "The user has not started the bot or has stopped it")
        return user

    def bot_chat(self, chat_id: int) -> Chat:
        """A group chat the bot is in (else 403/404)."""
        chat = self.chats.get(chat_id)
        if chat is None:
            raise ApiError(404, "chat.not.found", f"Chat {chat_id} is not found")
        if chat.bot_removed:
            raise ApiError(403, "chat.denied", f"The bot is not a member of chat {chat_id}")
        return chat

    def check_chat_rate(self, chat_id: int) -> None:
        """MAX's 2 sends a second into one chat or dialog (POST /messages and POST /answers)."""
        if not self.rates.allow(("chat", chat_id), self.limits.per_chat_rps, self.clock.now()):
            self.stats.rate_limited += 1
            raise ApiError(429, "too.many.requests", f"Too many messages to chat {chat_id}")

    # -- messages -----------------------------------------------------------------------------

    def store(self, message: Message) -> None:
        self.messages[message.mid] = message
        self.by_chat.setdefault(message.chat_id, []).append(message)
        if message.from_bot:
            message.sent_seq = self.next_sent_seq()
            self.stats.delivered += 1
            self.sent_wakeup.fire()

    def file_attachment(self, stored: StoredFile) -> dict[str, Any]:
        url = stored.url(self.base_url)
        if stored.kind == "image":
            return {
                "type": "image",
                "payload": {"photo_id": stored.file_id, "token": stored.token, "url": url},
            }
        if stored.kind == "file":
            return {
                "type": "file",
                "payload": {"url": url, "token": stored.token},
                "filename": stored.filename,
                "size": len(stored.data),
            }
        return {"type": stored.kind, "payload": {"url": url, "token": stored.token}}

    # -- updates ------------------------------------------------------------------------------

    def violation(self, where: str, errors: list[str]) -> SchemaViolation:
        self.schema_violations.append(f"{where}: {errors}")
        return SchemaViolation(where, errors)

    def emit(self, update_type: str, body: dict[str, Any], chat: Chat | None = None) -> bool:
        """Queue an update for the bot, unless MAX would not send it: in a group chat only where
        the bot is an admin, and `message_created` only with `read_all_messages`."""
        if chat is not None and update_type not in BOT_SELF_UPDATES:
            if not chat.bot_is_admin or chat.bot_removed:
                return False
            if update_type == "message_created" and not chat.bot_reads_all:
                return False
        update = {"update_type": update_type, "timestamp": self.now_ms(), **body}
        if self.validate:
            errors = self.schema.errors("Update", update)
            if errors:
                raise self.violation(f"{update_type} update", errors)
        if self.subscriptions:
            self.webhooks.add(update)
        else:
            self.updates.push(update)
        return True
