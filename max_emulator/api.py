"""The Bot API operations, as `https://platform-api2.max.ru` answers them (after auth, limits and
schema checks, which the server does)."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from max_emulator.core import MaxCore
from max_emulator.messages import apply_edit, check_text, render_attachments, render_link
from max_emulator.world import (
    ApiError,
    Chat,
    Message,
    StoredFile,
    Subscription,
    UploadSlot,
    bad_request,
)

Result = dict[str, Any]
Operation = Callable[[dict[str, Any], Any, dict[str, Any]], Result | Awaitable[Result]]
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})
LONG_POLL_MAX_S = 90.0


class BotApi:
    """One method per operation; `routes` maps (verb, path template) to it."""

    def __init__(self, core: MaxCore) -> None:
        self.core = core
        self.routes: dict[tuple[str, str], Operation] = {
            ("GET", "/me"): self.get_me,
            ("POST", "/messages"): self.send_message,
            ("GET", "/messages"): self.get_messages,
            ("PUT", "/messages"): self.edit_message,
            ("DELETE", "/messages"): self.delete_message,
            ("GET", "/messages/{messageId}"): self.get_message,
            ("POST", "/answers"): self.answer,
            ("GET", "/updates"): self.get_updates,
            ("GET", "/subscriptions"): self.get_subscriptions,
            ("POST", "/subscriptions"): self.subscribe,
            ("DELETE", "/subscriptions"): self.unsubscribe,
            ("POST", "/uploads"): self.upload_url,
            ("GET", "/chats/{chatId}"): self.get_chat,
            ("GET", "/chats/{chatId}/members"): self.get_members,
            ("GET", "/chats/{chatId}/members/me"): self.get_membership,
            ("GET", "/chats/{chatId}/members/admins"): self.get_admins,
            ("POST", "/chats/{chatId}/actions"): self.send_action,
        }

    # -- bot ----------------------------------------------------------------------------------

    def get_me(self, query: dict[str, Any], body: Any, path: dict[str, Any]) -> Result:
        info = self.core.bot_object(photo=True)
        info["commands"] = None
        return info

    # -- messages -----------------------------------------------------------------------------

    def _target(self, query: dict[str, Any]) -> tuple[int, str, int | None, Chat | None]:
        """(chat_id, chat_type, dialog user, group chat) of a send, or 400/403/404."""
        core = self.core
        user_id: int | None = query.get("user_id")
        chat_id: int | None = query.get("chat_id")
        if user_id is not None and chat_id is None:
            user = core.writable_dialog(core.users.get(user_id))
            return user.dialog_id, "dialog", user.user_id, None
        if chat_id is None or user_id is not None:
            raise bad_request("user_id", "give exactly one of user_id and chat_id")
        if chat_id > 0:
            user = core.writable_dialog(core.user_of_dialog(chat_id))
            return chat_id, "dialog", user.user_id, None
        chat = core.bot_chat(chat_id)
        return chat_id, "chat", None, chat

    def send_message(self, query: dict[str, Any], body: Any, path: dict[str, Any]) -> Result:
        core = self.core
        chat_id, chat_type, dialog_user, _chat = self._target(query)
        text = body.get("text")
        check_text(core, text)
        attachments = render_attachments(core, body.get("attachments") or [])
        if not text and not attachments:
            raise bad_request("text", "message is empty: give text or attachments")
        link = render_link(core, body.get("link"))
        core.check_chat_rate(chat_id)
        message = Message(
            mid=core.new_mid(),
            seq=core.next_seq(),
            chat_id=chat_id,
            chat_type=chat_type,
            sender_id=core.bot_id,
            timestamp=core.now_ms(),
            text=text,
            attachments=attachments,
            format=body.get("format"),
            link=link,
            dialog_user_id=dialog_user,
            from_bot=True,
        )
        core.store(message)
        return {"message": core.message_object(message)}

    def _readable_chat(self, chat_id: int) -> None:
        core = self.core
        if chat_id > 0:
            core.writable_dialog(core.user_of_dialog(chat_id))
        else:
            core.bot_chat(chat_id)

    def get_messages(self, query: dict[str, Any], body: Any, path: dict[str, Any]) -> Result:
        core = self.core
        chat_id: int | None = query.get("chat_id")
        mids = query.get("message_ids")
        if mids:
            found = [core.messages.get(mid) for mid in mids]
            items = [m for m in found if m is not None and not m.deleted and m.visible_to_bot]
            if chat_id is not None:
                items = [m for m in items if m.chat_id == chat_id]
        elif chat_id is not None:
            self._readable_chat(chat_id)
            items = [m for m in core.by_chat.get(chat_id, []) if not m.deleted and m.visible_to_bot]
        else:
            raise bad_request("chat_id", "give chat_id or message_ids")
        # Messages are traversed newest first: `from` is where the page starts (the newest
        # timestamp), `to` where it ends (the oldest); `before`/`after` are their exclusive twins.
        if query.get("from") is not None:
            items = [m for m in items if m.timestamp <= query["from"]]
        if query.get("to") is not None:
            items = [m for m in items if m.timestamp >= query["to"]]
        if query.get("before") is not None:
            items = [m for m in items if m.timestamp < query["before"]]
        if query.get("after") is not None:
            items = [m for m in items if m.timestamp > query["after"]]
        items.sort(key=lambda m: m.seq, reverse=True)
        count = query.get("count", 50)
        return {"messages": [core.message_object(m) for m in items[:count]]}

    def _own_message(self, mid: str) -> Message:
        message = self.core.messages.get(mid)
        if message is None or message.deleted:
            raise ApiError(404, "message.not.found", f"Message {mid} is not found")
        if not message.from_bot:
            raise ApiError(403, "access.denied", "Only the bot's own messages can be changed")
        return message

    def edit_message(self, query: dict[str, Any], body: Any, path: dict[str, Any]) -> Result:
        message = self._own_message(query["message_id"])
        apply_edit(self.core, message, body)
        self.core.sent_wakeup.fire()
        return {"success": True}

    def delete_message(self, query: dict[str, Any], body: Any, path: dict[str, Any]) -> Result:
        message = self._own_message(query["message_id"])
        message.deleted = True
        self.core.sent_wakeup.fire()
        return {"success": True}

    def get_message(self, query: dict[str, Any], body: Any, path: dict[str, Any]) -> Result:
        message = self.core.messages.get(path["messageId"])
        if message is None or message.deleted or not message.visible_to_bot:
            raise ApiError(404, "message.not.found", f"Message {path['messageId']} is not found")
        return self.core.message_object(message)

    def answer(self, query: dict[str, Any], body: Any, path: dict[str, Any]) -> Result:
        core = self.core
        callback = core.callbacks.get(query["callback_id"])
        if callback is None:
            raise bad_request("callback_id", "unknown callback_id")
        new_message = body.get("message")
        notification = body.get("notification")
        if new_message is None and notification is None:
            raise bad_request("message", "give message or notification")
        target = core.messages.get(callback.mid)
        if new_message is not None and (target is None or target.deleted):
            raise ApiError(404, "message.not.found", f"Message {callback.mid} is not found")
        core.check_chat_rate(callback.chat_id)
        if new_message is not None and target is not None:
            apply_edit(core, target, new_message)
            core.sent_wakeup.fire()
        core.answers.setdefault(callback.user_id, []).append(
            {
                "callback_id": callback.callback_id,
                "notification": notification,
                "message": new_message,
            }
        )
        core.sent_wakeup.fire()
        return {"success": True}

    # -- updates and subscriptions ------------------------------------------------------------

    async def get_updates(self, query: dict[str, Any], body: Any, path: dict[str, Any]) -> Result:
        core = self.core
        if core.subscriptions:
            raise ApiError(
                405,
                "method.not.allowed",
                "Long polling is off while a webhook subscription is active",
            )
        types = query.get("types")
        updates, marker = await core.updates.poll(
            query.get("marker"),
            query.get("limit", 100),
            min(float(query.get("timeout", 30)), LONG_POLL_MAX_S),
            set(types) if types else None,
            core.clock,
            lambda: not core.subscriptions,
        )
        return {"updates": updates, "marker": marker}

    def get_subscriptions(self, query: dict[str, Any], body: Any, path: dict[str, Any]) -> Result:
        return {"subscriptions": [s.as_api() for s in self.core.subscriptions.values()]}

    def subscribe(self, query: dict[str, Any], body: Any, path: dict[str, Any]) -> Result:
        core = self.core
        url = body["url"]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.hostname not in LOOPBACK_HOSTS:
            raise bad_request(
                "url",
                "the emulator delivers only to http(s)://127.0.0.1 or localhost "
                "(MAX itself demands HTTPS on port 443)",
            )
        core.subscriptions[url] = Subscription(
            url=url,
            time=core.now_ms(),
            update_types=body.get("update_types") or None,
            secret=body.get("secret"),
            version=body.get("version"),
        )
        # Queued updates go to the webhook from now on.
        for update in core.updates.drain():
            core.webhooks.add(update)
        core.subscriptions_wakeup.fire()
        return {"success": True}

    def unsubscribe(self, query: dict[str, Any], body: Any, path: dict[str, Any]) -> Result:
        core = self.core
        url = query["url"]
        if core.subscriptions.pop(url, None) is None:
            return {"success": False, "message": f"No subscription for {url}"}
        core.webhooks.forget_url(url)
        core.subscriptions_wakeup.fire()
        # Long polls that were waiting may go on (they were answered 405 before anyway).
        return {"success": True}

    # -- uploads ------------------------------------------------------------------------------

    def upload_url(self, query: dict[str, Any], body: Any, path: dict[str, Any]) -> Result:
        core = self.core
        kind = query["type"]
        slot = UploadSlot(slot=secrets.token_urlsafe(12), kind=kind)
        core.upload_slots[slot.slot] = slot
        url = f"{core.base_url}/upload/{slot.slot}"
        if kind in ("video", "audio"):
            slot.token = secrets.token_urlsafe(24)
            return {"url": url, "token": slot.token}
        return {"url": url}

    def accept_upload(self, slot_id: str, filename: str, data: bytes) -> StoredFile | None:
        """The upload host took a file (None: the URL is unknown or used)."""
        core = self.core
        slot = core.upload_slots.pop(slot_id, None)
        if slot is None:
            return None
        stored = StoredFile(
            token=slot.token or secrets.token_urlsafe(24),
            kind=slot.kind,
            filename=filename,
            data=data,
            ready_at=core.clock.now() + core.limits.attachment_ready_after_s,
            file_id=core.next_file_id(),
        )
        core.files[stored.token] = stored
        return stored

    # -- chats --------------------------------------------------------------------------------

    def get_chat(self, query: dict[str, Any], body: Any, path: dict[str, Any]) -> Result:
        core = self.core
        chat_id = path["chatId"]
        if chat_id > 0:
            user = core.user_of_dialog(chat_id)
            if user is None or not user.started:
                raise ApiError(404, "chat.not.found", f"Chat {chat_id} is not found")
            return {
                "chat_id": chat_id,
                "type": "dialog",
                "status": "suspended" if user.stopped else "active",
                "title": None,
                "last_event_time": core.now_ms(),
                "participants_count": 2,
                "is_public": False,
                "dialog_with_user": core.user_object(user, photo=True),
            }
        chat = core.chats.get(chat_id)
        if chat is None:
            raise ApiError(404, "chat.not.found", f"Chat {chat_id} is not found")
        return {
            "chat_id": chat_id,
            "type": "chat",
            "status": "removed" if chat.bot_removed else "active",
            "title": chat.title,
            "last_event_time": core.now_ms(),
            "participants_count": len(chat.members) + (0 if chat.bot_removed else 1),
            "owner_id": chat.owner_id,
            "is_public": False,
            "link": None,
            "description": None,
            "messages_count": len(core.by_chat.get(chat_id, [])),
        }

    def _group(self, chat_id: int) -> Chat:
        if chat_id > 0:
            raise ApiError(403, "chat.denied", "A dialog has no members list")
        return self.core.bot_chat(chat_id)

    def _admin_group(self, chat_id: int) -> Chat:
        chat = self._group(chat_id)
        if not chat.bot_is_admin:
            raise ApiError(403, "chat.denied", f"The bot is not an admin of chat {chat_id}")
        return chat

    def _member(self, chat: Chat, user_id: int) -> dict[str, Any]:
        core = self.core
        joined = chat.joined.get(user_id, chat.created)
        if user_id == core.bot_id:
            obj = core.bot_object(photo=True)
            obj.update(is_owner=False, is_admin=chat.bot_is_admin, permissions=chat.permissions())
        else:
            user = core.users.get(user_id)
            if user is not None:
                obj = core.user_object(user, photo=True)
            else:
                obj = {"user_id": user_id, "first_name": str(user_id), "is_bot": False}
            owner = user_id == chat.owner_id
            obj.update(is_owner=owner, is_admin=owner, permissions=None)
        obj.update(last_access_time=core.now_ms(), join_time=joined)
        return obj

    def get_members(self, query: dict[str, Any], body: Any, path: dict[str, Any]) -> Result:
        chat = self._admin_group(path["chatId"])
        everyone = sorted({*chat.members, self.core.bot_id})
        wanted = query.get("user_ids")
        if wanted:
            return {"members": [self._member(chat, u) for u in everyone if u in set(wanted)]}
        after = query.get("marker")
        rest = [u for u in everyone if after is None or u > after]
        page = rest[: query.get("count", 20)]
        marker = page[-1] if len(rest) > len(page) else None
        return {"members": [self._member(chat, u) for u in page], "marker": marker}

    def get_membership(self, query: dict[str, Any], body: Any, path: dict[str, Any]) -> Result:
        chat = self._group(path["chatId"])
        return self._member(chat, self.core.bot_id)

    def get_admins(self, query: dict[str, Any], body: Any, path: dict[str, Any]) -> Result:
        chat = self._admin_group(path["chatId"])
        admins = [self.core.bot_id]
        if chat.owner_id is not None:
            admins.append(chat.owner_id)
        return {"members": [self._member(chat, u) for u in admins], "marker": None}

    def send_action(self, query: dict[str, Any], body: Any, path: dict[str, Any]) -> Result:
        self._readable_chat(path["chatId"])
        return {"success": True}
