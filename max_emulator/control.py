"""The `/_emu/` control API: people, chats, acting as a person, reading what the bot did,
faults, limits and time (the MAX emulator specification)."""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any

from emulator_common.control import (
    ControlError,
    as_bool,
    as_delay,
    as_int,
    as_non_negative,
    as_rate,
    as_str,
    check_keys,
    opt_int,
    opt_str,
    set_clock,
)
from emulator_common.waiting import hold_until
from max_emulator.api import BotApi
from max_emulator.core import MaxCore
from max_emulator.world import DEEP_LINK_MAX, Callback, Chat, Faults, Limits, Message, User

USER_FIELDS = frozenset({"user_id", "first_name", "last_name", "username"})


class Control:
    """One method per control operation; each returns the JSON answer or raises ControlError."""

    def __init__(self, core: MaxCore, api: BotApi) -> None:
        self.core = core
        self.api = api

    # -- people -------------------------------------------------------------------------------

    def add_user(self, data: dict[str, Any]) -> dict[str, Any]:
        check_keys(data, set(USER_FIELDS), "user")
        user_id = as_int(data.get("user_id"), "user_id")
        if user_id <= 0 or user_id == self.core.bot_id:
            raise ControlError("user_id must be a positive id other than the bot's")
        self.core.users[user_id] = User(
            user_id=user_id,
            first_name=as_str(data.get("first_name"), "first_name"),
            last_name=opt_str(data.get("last_name"), "last_name"),
            username=opt_str(data.get("username"), "username"),
            last_activity=self.core.now_ms(),
        )
        return {"user_id": user_id}

    def list_users(self) -> dict[str, Any]:
        return {"items": [u.as_dict() for u in self.core.users.values()]}

    def seed_users(self, users: list[dict[str, Any]]) -> None:
        """Create people; `"started": true` marks one who pressed Start before the emulator ran
        (no update), other keys beyond the control API's user fields are ignored, so that a
        richer fixture can be passed as it is."""
        for user in users:
            self.add_user({k: v for k, v in user.items() if k in USER_FIELDS})
            if user.get("started"):
                self.core.users[user["user_id"]].started = True

    def _user(self, user_id: int) -> User:
        user = self.core.users.get(user_id)
        if user is None:
            raise ControlError(f"unknown user {user_id}")
        return user

    def start(self, user_id: int, data: dict[str, Any]) -> dict[str, Any]:
        check_keys(data, {"payload"}, "start")
        user = self._user(user_id)
        payload = opt_str(data.get("payload"), "payload")
        self._start(user, payload)
        return {"chat_id": user.dialog_id}

    def _start(self, user: User, payload: str | None) -> None:
        core = self.core
        user.started, user.stopped = True, False
        user.last_activity = core.now_ms()
        if payload is not None and len(payload) > DEEP_LINK_MAX:
            payload = None  # MAX drops a deep-link payload over 128 characters.
        core.emit(
            "bot_started",
            {
                "chat_id": user.dialog_id,
                "user": core.user_object(user),
                "payload": payload,
                "user_locale": "ru",
            },
        )

    def stop(self, user_id: int) -> dict[str, Any]:
        core = self.core
        user = self._user(user_id)
        if not user.started:
            raise ControlError(f"user {user_id} never started the bot")
        user.stopped = True
        core.emit(
            "bot_stopped",
            {"chat_id": user.dialog_id, "user": core.user_object(user), "user_locale": "ru"},
        )
        return {"ok": True, "chat_id": user.dialog_id}

    def dialog(self, user_id: int, data: dict[str, Any]) -> dict[str, Any]:
        """The person clears, removes, mutes or unmutes the dialog (removing also stops the bot,
        as MAX sends bot_stopped then dialog_removed)."""
        check_keys(data, {"action", "muted_until"}, "dialog")
        core = self.core
        user = self._user(user_id)
        if not user.started:
            raise ControlError(f"user {user_id} never started the bot")
        action = as_str(data.get("action"), "action")
        body: dict[str, Any] = {
            "chat_id": user.dialog_id,
            "user": core.user_object(user),
            "user_locale": "ru",
        }
        if action == "remove":
            if not user.stopped:
                self.stop(user_id)
            core.emit("dialog_removed", body)
        elif action == "clear":
            core.emit("dialog_cleared", body)
        elif action == "mute":
            until = opt_int(data.get("muted_until"), "muted_until")
            body["muted_until"] = until if until is not None else core.now_ms() + 3600_000
            core.emit("dialog_muted", body)
        elif action == "unmute":
            core.emit("dialog_unmuted", body)
        else:
            raise ControlError("action must be clear, remove, mute or unmute")
        return {"ok": True, "chat_id": user.dialog_id}

    def edit(self, data: dict[str, Any]) -> dict[str, Any]:
        """The person edits their message (message_edited)."""
        check_keys(data, {"user_id", "mid", "text"}, "edit")
        message = self._own(data)
        message.text = as_str(data.get("text"), "text")
        chat = self.core.chats.get(message.chat_id)
        delivered = self.core.emit(
            "message_edited", {"message": self.core.message_object(message)}, chat
        )
        return {"ok": True, "delivered_to_bot": delivered}

    def unsend(self, data: dict[str, Any]) -> dict[str, Any]:
        """The person deletes their message (message_removed)."""
        check_keys(data, {"user_id", "mid"}, "unsend")
        message = self._own(data)
        message.deleted = True
        chat = self.core.chats.get(message.chat_id)
        body = {"message_id": message.mid, "chat_id": message.chat_id, "user_id": message.sender_id}
        delivered = self.core.emit("message_removed", body, chat)
        return {"ok": True, "delivered_to_bot": delivered}

    def _own(self, data: dict[str, Any]) -> Message:
        user = self._user(as_int(data.get("user_id"), "user_id"))
        mid = as_str(data.get("mid"), "mid")
        message = self.core.messages.get(mid)
        if message is None or message.deleted or message.sender_id != user.user_id:
            raise ControlError(f"no message {mid} from user {user.user_id}")
        return message

    # -- chats --------------------------------------------------------------------------------

    def set_title(self, chat_id: int, data: dict[str, Any]) -> dict[str, Any]:
        """A member renames the chat (chat_title_changed)."""
        check_keys(data, {"user_id", "title"}, "title")
        core = self.core
        chat = self._chat(chat_id)
        user = self._user(as_int(data.get("user_id"), "user_id"))
        chat.title = as_str(data.get("title"), "title")
        delivered = core.emit(
            "chat_title_changed",
            {"chat_id": chat_id, "user": core.user_object(user), "title": chat.title},
            chat,
        )
        return {"ok": True, "delivered_to_bot": delivered}

    def add_chat(self, data: dict[str, Any]) -> dict[str, Any]:
        check_keys(data, {"chat_id", "title", "members", "bot_is_admin", "bot_reads_all"}, "chat")
        core = self.core
        chat_id = as_int(data.get("chat_id"), "chat_id")
        if chat_id >= 0:
            raise ControlError("chat_id of a group chat must be negative")
        members = data.get("members", [])
        if not isinstance(members, list):
            raise ControlError("members must be a list of user ids")
        member_ids = [as_int(m, "members[]") for m in members]
        for member in member_ids:
            self._user(member)
        chat = Chat(
            chat_id=chat_id,
            title=as_str(data.get("title", f"Chat {chat_id}"), "title"),
            members=member_ids,
            owner_id=member_ids[0] if member_ids else None,
            bot_is_admin=as_bool(data.get("bot_is_admin", False), "bot_is_admin"),
            bot_reads_all=as_bool(data.get("bot_reads_all", False), "bot_reads_all"),
            created=core.now_ms(),
        )
        core.chats[chat_id] = chat
        # Since November 2026 bot_added carries no `user` (relaxation 1).
        core.emit(
            "bot_added",
            {"chat_id": chat_id, "is_channel": False},
            chat,
        )
        return {"chat_id": chat_id}

    def list_chats(self) -> dict[str, Any]:
        return {"items": [c.as_dict() for c in self.core.chats.values()]}

    def _chat(self, chat_id: int) -> Chat:
        chat = self.core.chats.get(chat_id)
        if chat is None:
            raise ControlError(f"unknown chat {chat_id}")
        return chat

    def join(self, chat_id: int, data: dict[str, Any]) -> dict[str, Any]:
        check_keys(data, {"user_id"}, "join")
        core = self.core
        chat = self._chat(chat_id)
        user = self._user(as_int(data.get("user_id"), "user_id"))
        if user.user_id not in chat.members:
            chat.members.append(user.user_id)
        chat.joined[user.user_id] = core.now_ms()
        if chat.owner_id is None:
            chat.owner_id = user.user_id
        delivered = core.emit(
            "user_added",
            {
                "chat_id": chat_id,
                "user": core.user_object(user),
                "inviter_id": None,
                "is_channel": False,
            },
            chat,
        )
        return {"ok": True, "delivered_to_bot": delivered}

    def leave(self, chat_id: int, data: dict[str, Any]) -> dict[str, Any]:
        check_keys(data, {"user_id", "admin_id"}, "leave")
        core = self.core
        chat = self._chat(chat_id)
        user = self._user(as_int(data.get("user_id"), "user_id"))
        # Who removed the person: an admin, or (as in MAX's own sample) the person who left.
        admin_id = as_int(data.get("admin_id", user.user_id), "admin_id")
        if user.user_id not in chat.members:
            raise ControlError(f"user {user.user_id} is not a member of chat {chat_id}")
        chat.members.remove(user.user_id)
        delivered = core.emit(
            "user_removed",
            {
                "chat_id": chat_id,
                "user": core.user_object(user),
                "admin_id": admin_id,
                "is_channel": False,
            },
            chat,
        )
        return {"ok": True, "delivered_to_bot": delivered}

    def set_bot(self, chat_id: int, data: dict[str, Any]) -> dict[str, Any]:
        check_keys(data, {"is_admin", "reads_all", "removed"}, "bot")
        core = self.core
        chat = self._chat(chat_id)
        actor = chat.owner_id if chat.owner_id is not None else (chat.members or [0])[0]
        if as_bool(data.get("removed", False), "removed"):
            if chat.bot_removed:
                raise ControlError(f"the bot is not in chat {chat_id} any more")
            chat.bot_removed = True
            chat.bot_is_admin = chat.bot_reads_all = False
            owner = core.users.get(actor)
            body: dict[str, Any] = {"chat_id": chat_id, "is_channel": False}
            body["user"] = (
                core.user_object(owner)
                if owner
                else {"user_id": actor, "first_name": str(actor), "is_bot": False}
            )
            core.emit("bot_removed", body, chat)
            return chat.as_dict()
        if "is_admin" in data:
            chat.bot_is_admin = as_bool(data["is_admin"], "is_admin")
        if "reads_all" in data:
            chat.bot_reads_all = as_bool(data["reads_all"], "reads_all")
        if not chat.bot_is_admin:
            chat.bot_reads_all = False
        if chat.bot_removed:
            chat.bot_removed = False
            core.emit("bot_added", {"chat_id": chat_id, "is_channel": False}, chat)
        core.emit(
            "bot_admin_permissions_changed",
            {
                "chat_id": chat_id,
                "user_id": actor,
                "bot_id": core.bot_id,
                "is_channel": False,
                "is_admin": chat.bot_is_admin,
                "permissions": chat.permissions(),
            },
            chat,
        )
        return chat.as_dict()

    # -- acting as a person -------------------------------------------------------------------

    def say(self, data: dict[str, Any]) -> dict[str, Any]:
        check_keys(data, {"user_id", "chat_id", "text", "attachments"}, "say")
        core = self.core
        user = self._user(as_int(data.get("user_id"), "user_id"))
        chat_id = opt_int(data.get("chat_id"), "chat_id")
        text = as_str(data.get("text", ""), "text")
        chat: Chat | None = None
        if chat_id is not None and chat_id != user.dialog_id:
            if chat_id > 0:
                raise ControlError("chat_id must be the person's dialog or a group chat")
            chat = self._chat(chat_id)
            if user.user_id not in chat.members:
                raise ControlError(f"user {user.user_id} is not a member of chat {chat_id}")
        items = data.get("attachments") or []
        if not isinstance(items, list):
            raise ControlError("attachments must be a list")
        attachments = [self._file(item) for item in items]
        if chat is None and not user.reachable:
            self._start(user, None)  # The MAX client starts the bot on the first message.
        target = user.dialog_id if chat is None else chat.chat_id
        user.last_activity = core.now_ms()
        message = Message(
            mid=core.new_mid(),
            seq=core.next_seq(),
            chat_id=target,
            chat_type="chat" if chat is not None else "dialog",
            sender_id=user.user_id,
            timestamp=core.now_ms(),
            text=text,
            attachments=attachments,
            dialog_user_id=core.bot_id if chat is None else None,
        )
        body = {"message": core.message_object(message), "user_locale": "ru"}
        delivered = core.emit("message_created", body, chat)
        message.visible_to_bot = delivered or chat is None
        core.store(message)
        return {"mid": message.mid, "chat_id": target, "delivered_to_bot": delivered}

    def _file(self, item: Any) -> dict[str, Any]:
        if not isinstance(item, dict) or item.get("type") != "file":
            raise ControlError("only file attachments are supported")
        check_keys(item, {"type", "filename", "content_base64"}, "attachment")
        filename = as_str(item.get("filename"), "filename")
        try:
            content = base64.b64decode(
                as_str(item.get("content_base64"), "content_base64"), validate=True
            )
        except binascii.Error as exc:
            raise ControlError("content_base64 is not base64") from exc
        slot = self.api.upload_url({"type": "file"}, None, {})["url"].rsplit("/", 1)[1]
        stored = self.api.accept_upload(slot, filename, content)
        assert stored is not None
        stored.ready_at = 0.0
        return self.core.file_attachment(stored)

    def press(self, data: dict[str, Any]) -> dict[str, Any]:
        check_keys(data, {"user_id", "mid", "payload"}, "press")
        core = self.core
        user = self._user(as_int(data.get("user_id"), "user_id"))
        mid = as_str(data.get("mid"), "mid")
        payload = as_str(data.get("payload"), "payload")
        message = core.messages.get(mid)
        if message is None or message.deleted or not message.from_bot:
            raise ControlError(f"no message {mid} from the bot")
        chat = core.chats.get(message.chat_id) if message.chat_type == "chat" else None
        if chat is None and message.dialog_user_id != user.user_id:
            raise ControlError(f"message {mid} is not in user {user.user_id}'s dialog")
        if chat is not None and user.user_id not in chat.members:
            raise ControlError(f"user {user.user_id} is not a member of chat {message.chat_id}")
        callback_id = secrets.token_urlsafe(32)
        core.callbacks[callback_id] = Callback(
            callback_id, user.user_id, mid, message.chat_id, payload
        )
        user.last_activity = core.now_ms()
        core.emit(
            "message_callback",
            {
                "callback": {
                    "timestamp": core.now_ms(),
                    "callback_id": callback_id,
                    "payload": payload,
                    "user": core.user_object(user),
                },
                "message": core.message_object(message),
                "user_locale": "ru",
            },
            chat,
        )
        return {"callback_id": callback_id}

    # -- reading ------------------------------------------------------------------------------

    def sent_items(self, chat_id: int | None, after: int | None) -> list[dict[str, Any]]:
        floor = after or 0
        if chat_id is None:
            messages = [m for ms in self.core.by_chat.values() for m in ms]
        else:
            messages = list(self.core.by_chat.get(chat_id, []))
        chosen = [m for m in messages if m.from_bot and not m.deleted and m.sent_seq > floor]
        return [m.sent_item() for m in sorted(chosen, key=lambda m: m.sent_seq)]

    async def wait_sent(
        self, chat_id: int | None, after: int | None, min_count: int, wait: float
    ) -> list[dict[str, Any]]:
        """Sent items, holding up to `wait` real seconds until there are `min_count`."""
        return await hold_until(lambda: self.sent_items(chat_id, after), lambda items: len(items) >= min_count,
                                self.core.sent_wakeup, wait, lambda: self.core.updates.closing)

    async def wait_subscribed(self, wait: float) -> dict[str, Any]:
        """The webhook subscriptions' URLs, holding up to `wait` real seconds until there is one."""
        urls = await hold_until(lambda: sorted(self.core.subscriptions), bool, self.core.subscriptions_wakeup, wait,
                                lambda: self.core.updates.closing)
        return {"subscribed": bool(urls), "urls": urls}

    def answer_items(self, user_id: int) -> dict[str, Any]:
        return {"items": list(self.core.answers.get(user_id, []))}

    async def wait_answers(self, user_id: int, min_count: int, wait: float) -> dict[str, Any]:
        """The bot's callback answers to a person, holding up to `wait` real seconds until
        there are `min_count`."""
        return await hold_until(lambda: self.answer_items(user_id), lambda items: len(items["items"]) >= min_count,
                                self.core.sent_wakeup, wait, lambda: self.core.updates.closing)

    # -- faults, limits, time -----------------------------------------------------------------

    def set_faults(self, data: dict[str, Any]) -> dict[str, Any]:
        check_keys(
            data,
            {"http_429_rate", "http_500_rate", "drop_rate", "delay_ms", "webhook_fail_rate"},
            "faults",
        )
        faults = Faults(
            http_429_rate=as_rate(data.get("http_429_rate", 0.0), "http_429_rate"),
            http_500_rate=as_rate(data.get("http_500_rate", 0.0), "http_500_rate"),
            drop_rate=as_rate(data.get("drop_rate", 0.0), "drop_rate"),
            delay_ms=as_delay(data.get("delay_ms", [0, 0])),
            webhook_fail_rate=as_rate(data.get("webhook_fail_rate", 0.0), "webhook_fail_rate"),
        )
        self.core.faults = faults
        return faults.as_dict()

    def set_limits(self, data: dict[str, Any]) -> dict[str, Any]:
        check_keys(data, {"rps", "per_chat_rps", "max_text", "attachment_ready_after_s"}, "limits")
        limits = Limits()
        if "rps" in data:
            limits.rps = _opt_positive(data["rps"], "rps")
        if "per_chat_rps" in data:
            limits.per_chat_rps = _opt_positive(data["per_chat_rps"], "per_chat_rps")
        if "max_text" in data:
            limits.max_text = as_int(data["max_text"], "max_text")
        if "attachment_ready_after_s" in data:
            limits.attachment_ready_after_s = as_non_negative(
                data["attachment_ready_after_s"], "attachment_ready_after_s"
            )
        self.core.limits = limits
        return limits.as_dict()

    def set_clock(self, data: dict[str, Any]) -> dict[str, Any]:
        core = self.core
        set_clock(core.clock, data)
        # Held long polls and pending webhook retries re-check against the new time.
        core.updates.wakeup.fire()
        core.webhooks.wakeup.fire()
        return core.clock.as_dict()


def _opt_positive(value: Any, name: str) -> int | None:
    number = opt_int(value, name)
    if number is not None and number <= 0:
        raise ControlError(f"{name} must be positive or null")
    return number
