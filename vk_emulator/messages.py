"""VK's messages.* methods."""

from __future__ import annotations

import json
from typing import Any

from vk_emulator.base import EVENT_TTL_S, CoreBase
from vk_emulator.errors import VKError, param_error
from vk_emulator.state import CHAT_PEER_BASE, Chat, Message


class MessagesMixin(CoreBase):
    """messages.send, edit, sendMessageEventAnswer and the conversation readers."""

    def m_messages_send(self, params: dict[str, Any]) -> Any:
        multi = "peer_ids" in params
        if multi:
            targets = list(params["peer_ids"])
            if not targets:
                raise param_error("peer_ids is empty")
            if len(targets) > 100:
                raise param_error("peer_ids is too long (max 100)")
        else:
            targets = [self._single_peer(params)]
        if self.strict and "random_id" not in params:
            # Required since API 5.90 (the schema does not say so); 0 turns deduplication off.
            raise param_error("random_id is a required parameter")
        text = str(params.get("message", ""))
        attachment = str(params.get("attachment", ""))
        if not text and not attachment and "sticker_id" not in params:
            raise param_error("message is empty or invalid")
        self._check_text(text)
        keyboard = self._check_keyboard(params["keyboard"]) if "keyboard" in params else None
        payload = params.get("payload")
        if payload is not None:
            try:
                json.loads(payload)
            except ValueError as exc:
                raise param_error("payload contains incorrect JSON") from exc
        attachments = self._parse_attachments(attachment)
        intent = str(params.get("intent", "default"))
        extras: dict[str, Any] = {k: params[k] for k in ("forward", "reply_to") if k in params}
        random_id = int(params.get("random_id", 0) or 0)
        results: list[dict[str, Any]] = []
        for peer_id in targets:
            try:
                message = self._deliver(
                    peer_id, text, keyboard, attachments, payload, random_id, intent, extras
                )
            except VKError as error:
                if not multi:
                    raise
                self.stats.count_error(error.code)
                results.append(
                    {
                        "peer_id": peer_id,
                        "message_id": 0,
                        "conversation_message_id": 0,
                        "error": {"code": error.code, "description": error.msg},
                    }
                )
                continue
            results.append(
                {
                    "peer_id": peer_id,
                    "message_id": message.id,
                    "conversation_message_id": message.conversation_message_id,
                }
            )
        if multi:
            return results
        return results[0]["message_id"]

    def _single_peer(self, params: dict[str, Any]) -> int:
        if "peer_id" in params:
            return int(params["peer_id"])
        if "user_id" in params:
            return int(params["user_id"])
        if "chat_id" in params:
            return CHAT_PEER_BASE + int(params["chat_id"])
        if "domain" in params:
            domain = str(params["domain"])
            for user in self.users.values():
                if user.screen_name == domain or f"id{user.id}" == domain:
                    return user.id
            raise param_error("domain is invalid")
        raise param_error("you should specify peer_id, user_id, domain, chat_id or user_ids param")

    def _deliver(
        self,
        peer_id: int,
        text: str,
        keyboard: dict[str, Any] | None,
        attachments: list[dict[str, Any]],
        payload: str | None,
        random_id: int,
        intent: str,
        extras: dict[str, Any] | None = None,
    ) -> Message:
        now = self.now()
        if random_id:
            previous = self.dedupe.get((peer_id, random_id))
            if previous is not None and now - previous.date < self.limits.dedupe_window_s:
                self.stats.deduplicated += 1
                return previous
        target = self._check_reachable(peer_id, intent)
        is_chat = isinstance(target, Chat)
        message = Message(
            id=0 if is_chat else self._next_message_id(),
            peer_id=peer_id,
            from_id=-self.group_id,
            conversation_message_id=self._next_cmid(peer_id),
            text=text,
            date=now,
            out=1,
            random_id=random_id,
            keyboard=keyboard,
            attachments=attachments,
            payload=payload,
            seq=self._next_seq(),
            forward=(extras or {}).get("forward"),
            reply_to=(extras or {}).get("reply_to"),
        )
        message.version = message.seq
        self._store(message)
        self.sent.setdefault(peer_id, []).append(message)
        if random_id:
            self.dedupe[(peer_id, random_id)] = message
        self.stats.delivered += 1
        self._wake_sent()
        if not is_chat:
            self.emit("message_reply", self._message_object(message))
        return message

    def _find_own_message(self, params: dict[str, Any]) -> Message:
        peer_id = int(self._require(params, "peer_id"))
        message: Message | None = None
        cmid = params.get("conversation_message_id", params.get("cmid"))
        if cmid is not None:
            message = self.by_cmid.get((peer_id, int(cmid)))
        elif params.get("message_id"):
            message = self.by_id.get(int(params["message_id"]))
        else:
            raise param_error("message_id or conversation_message_id is required")
        if message is None or message.peer_id != peer_id:
            raise param_error("message not found")
        if not message.out:
            raise VKError(7, "only the community's own messages can be edited")
        return message

    def m_messages_edit(self, params: dict[str, Any]) -> int:
        message = self._find_own_message(params)
        # Check everything before changing anything: a failed edit leaves the message as it was.
        text = str(params["message"]) if "message" in params else message.text
        self._check_text(text)
        keyboard = (
            self._check_keyboard(params["keyboard"]) if "keyboard" in params else message.keyboard
        )
        attachments = (
            self._parse_attachments(str(params["attachment"]))
            if "attachment" in params
            else message.attachments
        )
        if not text and not attachments:
            raise param_error("message is empty or invalid")
        message.text, message.keyboard, message.attachments = text, keyboard, attachments
        message.update_time = self.now()
        message.version = self._next_seq()
        self.emit("message_edit", self._message_object(message))
        return 1

    def m_messages_send_event_answer(self, params: dict[str, Any]) -> int:
        event_id = str(self._require(params, "event_id"))
        user_id = int(self._require(params, "user_id"))
        peer_id = int(self._require(params, "peer_id"))
        event = self.callback_events.get(event_id)
        if event is None or event.user_id != user_id or event.peer_id != peer_id:
            raise param_error("event_id is invalid")
        if self.clock.now() - event.created > EVENT_TTL_S:
            raise param_error("event_id has expired")
        data: Any = {}
        if params.get("event_data"):
            raw = str(params["event_data"])
            if len(raw) > 1000:
                raise param_error("event_data is too long")
            try:
                data = json.loads(raw)
            except ValueError as exc:
                raise param_error("event_data contains incorrect JSON") from exc
            if not isinstance(data, dict):
                raise param_error("event_data must be a JSON object")
        self.snackbars.setdefault(user_id, []).append({"event_id": event_id, "event_data": data})
        return 1

    def m_messages_is_allowed(self, params: dict[str, Any]) -> dict[str, int]:
        self._check_group(params)
        user = self.users.get(int(self._require(params, "user_id")))
        allowed = user is not None and user.reachable() and not user.blocks_messages
        return {"is_allowed": int(allowed)}

    def m_messages_get_members(self, params: dict[str, Any]) -> dict[str, Any]:
        peer_id = int(self._require(params, "peer_id"))
        chat = self.chats.get(peer_id - CHAT_PEER_BASE) if peer_id >= CHAT_PEER_BASE else None
        if chat is None or not chat.bot_is_admin:
            raise VKError(917)
        inviter = chat.members[0] if chat.members else -self.group_id
        items = [
            {
                "member_id": member,
                "invited_by": inviter,
                "join_date": chat.join_date,
                "is_admin": member == inviter,
                "is_owner": member == inviter,
                "can_kick": False,
            }
            for member in chat.members
        ]
        items.append(
            {
                "member_id": -self.group_id,
                "invited_by": inviter,
                "join_date": chat.join_date,
                "is_admin": True,
                "is_owner": False,
                "can_kick": False,
            }
        )
        fields = list(params.get("fields") or [])
        profiles = [
            self._user_object(self.users[m], fields) for m in chat.members if m in self.users
        ]
        return {
            "count": len(items),
            "items": items,
            "profiles": profiles,
            "groups": [self._group_object()],
        }

    def m_messages_get_by_cmid(self, params: dict[str, Any]) -> dict[str, Any]:
        peer_id = int(self._require(params, "peer_id"))
        cmids = list(self._require(params, "conversation_message_ids"))
        if len(cmids) > 100:
            raise param_error("conversation_message_ids is too long (max 100)")
        if peer_id >= CHAT_PEER_BASE:
            chat = self.chats.get(peer_id - CHAT_PEER_BASE)
            if chat is None:
                raise VKError(917)
        items = []
        for cmid in cmids:
            message = self.by_cmid.get((peer_id, int(cmid)))
            if message is not None:
                items.append(self._message_object(message))
        return {"count": len(items), "items": items}

    def m_messages_set_activity(self, params: dict[str, Any]) -> int:
        peer_id = params.get("peer_id", params.get("user_id"))
        if peer_id is None:
            raise param_error("peer_id is a required parameter")
        if int(peer_id) >= CHAT_PEER_BASE and int(peer_id) - CHAT_PEER_BASE not in self.chats:
            raise VKError(917)
        return 1

    def m_messages_mark_as_read(self, params: dict[str, Any]) -> int:
        if "peer_id" not in params and "message_ids" not in params:
            raise param_error("peer_id is a required parameter")
        return 1
