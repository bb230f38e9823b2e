"""The VK emulator's `/_emu/` operations: people, chats, the community, acting as a person,
reading what the bot did, faults, limits and time."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from emulator_common.control import (
    ControlError,
    as_bool,
    as_delay,
    as_int,
    as_rate,
    as_str,
    check_keys,
    opt_int,
)
from emulator_common.control import set_clock as apply_clock
from emulator_common.waiting import hold_until
from vk_emulator.base import CLIENT_INFO, CallbackEvent, CoreBase
from vk_emulator.state import CHAT_PEER_BASE, Chat, Community, Faults, Limits, Message, User

USER_FIELDS = frozenset(
    {
        "id",
        "first_name",
        "last_name",
        "screen_name",
        "allows_messages",
        "blocks_messages",
        "last_message_date",
    }
)


class ControlMixin(CoreBase):
    """One method per control operation; each returns the JSON answer or raises ControlError."""

    def add_user(self, data: dict[str, Any]) -> dict[str, Any]:
        check_keys(
            data,
            {
                "id",
                "first_name",
                "last_name",
                "screen_name",
                "allows_messages",
                "blocks_messages",
                "last_message_date",
            },
            "user",
        )
        user_id = as_int(data.get("id"), "id")
        if user_id <= 0 or user_id >= CHAT_PEER_BASE:
            raise ControlError("id must be a positive user id")
        screen_name = data.get("screen_name")
        if screen_name is not None:
            as_str(screen_name, "screen_name")
        last = opt_int(data.get("last_message_date"), "last_message_date")
        user = User(
            id=user_id,
            first_name=as_str(data.get("first_name", ""), "first_name"),
            last_name=as_str(data.get("last_name", ""), "last_name"),
            screen_name=screen_name,
            allows_messages=as_bool(data.get("allows_messages", False), "allows_messages"),
            blocks_messages=as_bool(data.get("blocks_messages", False), "blocks_messages"),
            last_message_date=last,
            has_written=last is not None,
        )
        self.users[user_id] = user
        return {"id": user_id}

    def list_users(self) -> dict[str, Any]:
        return {"items": [u.as_dict() for u in self.users.values()]}

    def _user(self, user_id: int) -> User:
        user = self.users.get(user_id)
        if user is None:
            raise ControlError(f"unknown user {user_id}")
        return user

    def allow(self, user_id: int) -> dict[str, Any]:
        user = self._user(user_id)
        user.allows_messages = True
        event_id = self.emit("message_allow", {"user_id": user_id, "key": ""})
        return {"ok": True, "event_id": event_id}

    def deny(self, user_id: int) -> dict[str, Any]:
        user = self._user(user_id)
        user.allows_messages = False
        user.has_written = False
        event_id = self.emit("message_deny", {"user_id": user_id})
        return {"ok": True, "event_id": event_id}

    def add_chat(self, data: dict[str, Any]) -> dict[str, Any]:
        check_keys(data, {"chat_id", "title", "members", "bot_is_admin", "bot_reads_all"}, "chat")
        chat_id = as_int(data.get("chat_id"), "chat_id")
        if chat_id <= 0:
            raise ControlError("chat_id must be positive")
        members = data.get("members", [])
        if not isinstance(members, list):
            raise ControlError("members must be a list of user ids")
        member_ids = [as_int(m, "members[]") for m in members]
        chat = Chat(
            chat_id=chat_id,
            title=as_str(data.get("title", f"Chat {chat_id}"), "title"),
            members=member_ids,
            bot_is_admin=as_bool(data.get("bot_is_admin", False), "bot_is_admin"),
            bot_reads_all=as_bool(data.get("bot_reads_all", False), "bot_reads_all"),
            join_date=self.now(),
        )
        self.chats[chat_id] = chat
        inviter = member_ids[0] if member_ids else 1
        message = Message(
            id=0,
            peer_id=chat.peer_id,
            from_id=inviter,
            conversation_message_id=self._next_cmid(chat.peer_id),
            text="",
            date=self.now(),
            out=0,
        )
        message.version = self._next_seq()
        self._store(message)
        obj = self._message_object(message)
        obj["action"] = {"type": "chat_invite_user", "member_id": -self.group_id}
        self.emit("message_new", {"message": obj, "client_info": CLIENT_INFO})
        return {"peer_id": chat.peer_id}

    def list_chats(self) -> dict[str, Any]:
        return {"items": [c.as_dict() for c in self.chats.values()]}

    def set_community(self, data: dict[str, Any]) -> dict[str, Any]:
        check_keys(
            data,
            {
                "long_poll",
                "api_version",
                "events",
                "bots_capabilities",
                "token_scopes",
                "name",
                "screen_name",
            },
            "community",
        )
        community = Community()
        if "long_poll" in data:
            community.long_poll = as_bool(data["long_poll"], "long_poll")
        if "api_version" in data:
            community.api_version = as_str(data["api_version"], "api_version")
        if "events" in data:
            events = data["events"]
            if not isinstance(events, list):
                raise ControlError("events must be a list")
            community.events = [as_str(e, "events[]") for e in events]
        if "bots_capabilities" in data:
            community.bots_capabilities = as_bool(data["bots_capabilities"], "bots_capabilities")
        if "token_scopes" in data:
            scopes = data["token_scopes"]
            if not isinstance(scopes, list):
                raise ControlError("token_scopes must be a list")
            community.token_scopes = [as_str(s, "token_scopes[]") for s in scopes]
        if "name" in data:
            community.name = as_str(data["name"], "name")
        if data.get("screen_name") is not None:
            community.screen_name = as_str(data["screen_name"], "screen_name")
        self.community = community
        return community.as_dict()

    # -- control: acting as a person ----------------------------------------------------------

    def _visible_in_chat(self, chat: Chat, text: str, payload: Any) -> bool:
        if chat.bot_reads_all or payload is not None:
            return True
        gid = self.group_id
        mentions = [f"[club{gid}|", f"@club{gid}", f"[public{gid}|", f"@public{gid}"]
        if self.community.screen_name:
            mentions.append(f"@{self.community.screen_name}")
        if any(m in text for m in mentions):
            return True
        # A bot command addressed to the chat's bots.
        return text.lstrip().startswith("/")

    def say(self, data: dict[str, Any]) -> dict[str, Any]:
        check_keys(data, {"from_id", "peer_id", "text", "payload", "attachments"}, "say")
        from_id = as_int(data.get("from_id"), "from_id")
        user = self._user(from_id)
        peer_id = as_int(data.get("peer_id", from_id), "peer_id")
        text = as_str(data.get("text", ""), "text")
        payload = data.get("payload")
        chat: Chat | None = None
        if peer_id >= CHAT_PEER_BASE:
            chat = self.chats.get(peer_id - CHAT_PEER_BASE)
            if chat is None:
                raise ControlError(f"unknown chat {peer_id}")
            if from_id not in chat.members:
                raise ControlError(f"user {from_id} is not a member of chat {peer_id}")
        elif peer_id != from_id:
            raise ControlError("peer_id must be the user's own id or a chat peer id")
        attachments = []
        for item in data.get("attachments") or []:
            if not isinstance(item, dict) or item.get("type") != "doc":
                raise ControlError("only doc attachments are supported")
            filename = as_str(item.get("filename"), "filename")
            try:
                content = base64.b64decode(
                    as_str(item.get("content_base64"), "content_base64"), validate=True
                )
            except binascii.Error as exc:
                raise ControlError("content_base64 is not base64") from exc
            doc = self.store_doc(from_id, filename, content)
            attachments.append({"type": "doc", "doc": doc.as_vk()})
        now = self.now()
        if chat is None:
            user.has_written = True
            user.last_message_date = now
        message = Message(
            id=0 if chat is not None else self._next_message_id(),
            peer_id=peer_id,
            from_id=from_id,
            conversation_message_id=self._next_cmid(peer_id),
            text=text,
            date=now,
            out=0,
            attachments=attachments,
            payload=None if payload is None else json.dumps(payload, ensure_ascii=False),
        )
        message.version = self._next_seq()
        self._store(message)
        event_id: str | None = None
        visible = chat is None or self._visible_in_chat(chat, text, payload)
        if visible:
            event_id = self.emit(
                "message_new",
                {"message": self._message_object(message), "client_info": CLIENT_INFO},
            )
        return {
            "event_id": event_id or "",
            "conversation_message_id": message.conversation_message_id,
            "message_id": message.id,
            "delivered_to_bot": event_id is not None,
        }

    def press(self, data: dict[str, Any]) -> dict[str, Any]:
        check_keys(data, {"user_id", "peer_id", "conversation_message_id", "payload"}, "press")
        user_id = as_int(data.get("user_id"), "user_id")
        self._user(user_id)
        peer_id = as_int(data.get("peer_id", user_id), "peer_id")
        cmid = as_int(data.get("conversation_message_id"), "conversation_message_id")
        if (peer_id, cmid) not in self.by_cmid:
            raise ControlError(f"no message {cmid} in peer {peer_id}")
        payload = data.get("payload", {})
        if not isinstance(payload, dict):
            raise ControlError("payload must be an object")
        event_id = self._unique_hex()[:16]
        self.callback_events[event_id] = CallbackEvent(event_id, user_id, peer_id, self.clock.now())
        envelope_id = self.emit(
            "message_event",
            {
                "user_id": user_id,
                "peer_id": peer_id,
                "event_id": event_id,
                "payload": payload,
                "conversation_message_id": cmid,
            },
        )
        return {"event_id": event_id, "envelope_event_id": envelope_id}

    # -- control: reading ---------------------------------------------------------------------

    def sent_items(self, peer_id: int | None, after: int | None = None) -> list[dict[str, Any]]:
        """What the community delivered to a peer (or to everyone), oldest first."""
        floor = after or 0
        if peer_id is None:
            everything = [m for items in self.sent.values() for m in items if m.seq > floor]
            return [m.sent_item() for m in sorted(everything, key=lambda m: m.seq)]
        return [m.sent_item() for m in self.sent.get(peer_id, []) if m.seq > floor]

    async def wait_sent(
        self, peer_id: int | None, after: int | None, min_count: int, wait: float
    ) -> list[dict[str, Any]]:
        """Sent items after `after`, holding up to `wait` real seconds until there are min_count."""
        return await hold_until(lambda: self.sent_items(peer_id, after), lambda items: len(items) >= min_count,
                                self.sent_wakeup, wait, lambda: self.closing)

    def snackbar_items(self, user_id: int) -> dict[str, Any]:
        return {"items": list(self.snackbars.get(user_id, []))}

    # -- control: faults, limits, clock -------------------------------------------------------

    def set_faults(self, data: dict[str, Any]) -> dict[str, Any]:
        check_keys(
            data,
            {"error_rate", "http_500_rate", "drop_rate", "delay_ms", "longpoll_failed"},
            "faults",
        )
        faults = Faults()
        error_rate = data.get("error_rate") or {}
        if not isinstance(error_rate, dict):
            raise ControlError("error_rate must be an object")
        for code, rate in error_rate.items():
            try:
                faults.error_rate[int(code)] = as_rate(rate, f"error_rate[{code}]")
            except ValueError as exc:
                raise ControlError("error_rate keys must be error codes") from exc
        faults.http_500_rate = as_rate(data.get("http_500_rate", 0.0), "http_500_rate")
        faults.drop_rate = as_rate(data.get("drop_rate", 0.0), "drop_rate")
        faults.delay_ms = as_delay(data.get("delay_ms", [0, 0]))
        failed = data.get("longpoll_failed", [])
        if not isinstance(failed, list) or any(f not in (1, 2, 3) for f in failed):
            raise ControlError("longpoll_failed must be a list of 1, 2 or 3")
        faults.longpoll_failed = list(failed)
        self.faults = faults
        return faults.as_dict()

    def set_limits(self, data: dict[str, Any]) -> dict[str, Any]:
        check_keys(
            data,
            {
                "rps",
                "execute_max_calls",
                "max_message_length",
                "dedupe_window_s",
                "intent_window_hours",
                "intent_quota",
            },
            "limits",
        )
        limits = Limits(rps=20)
        if "rps" in data:
            limits.rps = opt_int(data["rps"], "rps")
        if "execute_max_calls" in data:
            limits.execute_max_calls = as_int(data["execute_max_calls"], "execute_max_calls")
        if "max_message_length" in data:
            limits.max_message_length = as_int(data["max_message_length"], "max_message_length")
        if "dedupe_window_s" in data:
            limits.dedupe_window_s = as_int(data["dedupe_window_s"], "dedupe_window_s")
        if "intent_window_hours" in data:
            limits.intent_window_hours = opt_int(data["intent_window_hours"], "intent_window_hours")
        if "intent_quota" in data:
            limits.intent_quota = opt_int(data["intent_quota"], "intent_quota")
        self.limits = limits
        return limits.as_dict()

    def set_clock(self, data: dict[str, Any]) -> dict[str, Any]:
        apply_clock(self.clock, data)
        # Held long polls re-check their deadline against the new time.
        self.lp_wakeup.fire()
        return self.clock.as_dict()

    def seed_users(self, users: list[dict[str, Any]]) -> None:
        """Create people; keys other than the control API's user fields are ignored, so that a
        richer fixture (with roles, classes, ...) can be passed as it is."""
        for user in users:
            self.add_user({k: v for k, v in user.items() if k in USER_FIELDS})
