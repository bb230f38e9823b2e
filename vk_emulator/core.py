"""The emulator's state and VK behaviour, independent of HTTP."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import json
import random
import re
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator_common.clock import Clock
from vk_emulator import execute as vkscript
from vk_emulator.errors import VKError, param_error
from vk_emulator.keyboard import validate_keyboard
from vk_emulator.schema import GLOBAL_PARAMS, VKSchema, load_schema
from vk_emulator.state import (
    ALL_SCOPES,
    CHAT_PEER_BASE,
    DEFAULT_EVENTS,
    SCOPE_BITS,
    Chat,
    Community,
    Doc,
    Faults,
    Limits,
    Message,
    Photo,
    Stats,
    User,
)

EVENT_TTL_S = 60.0
LONGPOLL_MAX_WAIT_S = 90.0
MAX_EVENT_LOG = 50_000
CLIENT_INFO: dict[str, Any] = {
    "button_actions": [
        "text",
        "vkpay",
        "open_app",
        "location",
        "open_link",
        "callback",
        "intent_subscribe",
        "intent_unsubscribe",
    ],
    "keyboard": True,
    "inline_keyboard": True,
    "carousel": True,
    "lang_id": 0,
}
_ATTACHMENT = re.compile(r"^(doc|photo)(-?\d+)_(\d+)(?:_([0-9A-Za-z]+))?$")
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
_SCOPE_OF_SECTION = {"messages": "messages", "docs": "docs", "photos": "photos"}


class SchemaViolation(Exception):
    """Something the emulator produced does not match the VK schema (an emulator bug)."""

    def __init__(self, where: str, errors: list[str]) -> None:
        self.where = where
        self.errors = errors
        super().__init__(f"{where}: {'; '.join(errors[:5])}")


class ControlError(Exception):
    """A bad control-API request (HTTP 400)."""


@dataclass
class ExecuteResult:
    response: Any
    errors: list[dict[str, Any]]


@dataclass
class CallbackEvent:
    event_id: str
    user_id: int
    peer_id: int
    created: float


@dataclass
class PendingUpload:
    kind: str
    filename: str
    data: bytes
    peer_id: int | None


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ControlError(f"{name} must be an integer")
    return value


def _opt_int(value: Any, name: str) -> int | None:
    return None if value is None else _int(value, name)


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ControlError(f"{name} must be a boolean")
    return value


def _str(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise ControlError(f"{name} must be a string")
    return value


def _rate(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ControlError(f"{name} must be a number between 0 and 1")
    return float(value)


def _check_keys(data: dict[str, Any], allowed: set[str], what: str) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ControlError(f"unknown {what} fields: {sorted(unknown)}")


class EmulatorCore:
    """Everything the emulator knows and does; the HTTP layer only translates."""

    def __init__(
        self,
        token: str = "t",
        group_id: int = 1,
        *,
        strict: bool = True,
        validate: bool | None = None,
        rps: int | None = 20,
        seed: int | None = None,
        schema_dir: str | None = None,
    ) -> None:
        self.token = token
        self.group_id = group_id
        self.strict = strict
        self.validate = strict if validate is None else validate
        self.default_rps = rps
        self.schema: VKSchema = load_schema(schema_dir)
        self.rng = random.Random(seed)
        self.clock = Clock()
        self.base_url = "http://127.0.0.1:0"
        self.schema_violations: list[str] = []
        self.handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "groups.getById": self.m_groups_get_by_id,
            "groups.getLongPollServer": self.m_groups_get_long_poll_server,
            "groups.getLongPollSettings": self.m_groups_get_long_poll_settings,
            "groups.getTokenPermissions": self.m_groups_get_token_permissions,
            "messages.send": self.m_messages_send,
            "messages.edit": self.m_messages_edit,
            "messages.sendMessageEventAnswer": self.m_messages_send_event_answer,
            "messages.isMessagesFromGroupAllowed": self.m_messages_is_allowed,
            "messages.getConversationMembers": self.m_messages_get_members,
            "messages.getByConversationMessageId": self.m_messages_get_by_cmid,
            "messages.setActivity": self.m_messages_set_activity,
            "messages.markAsRead": self.m_messages_mark_as_read,
            "users.get": self.m_users_get,
            "utils.resolveScreenName": self.m_utils_resolve,
            "docs.getMessagesUploadServer": self.m_docs_upload_server,
            "docs.save": self.m_docs_save,
            "photos.getMessagesUploadServer": self.m_photos_upload_server,
            "photos.saveMessagesPhoto": self.m_photos_save,
        }
        # Counters and the long-poll log survive /_emu/reset so running clients never go back in time.
        self._seq = 0
        self._message_id = 0
        self._file_id = 0
        self._event_counter = 0
        self.lp_ts = 0
        self._lp_base = 0
        self._lp_log: list[dict[str, Any]] = []
        self.lp_keys: set[str] = set()
        self._lp_wakeup: asyncio.Event | None = None
        self._sent_wakeup: asyncio.Event | None = None
        self.lp_holding = 0
        self.closing = False
        self._holding_wakeup: asyncio.Event | None = None
        self._reset_world()

    # -- world --------------------------------------------------------------------------------

    def _reset_world(self) -> None:
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.community = Community()
        self.limits = Limits(rps=self.default_rps)
        self.faults = Faults()
        self.stats = Stats()
        self.clock.reset()
        self.messages: dict[int, list[Message]] = {}  # peer -> all messages, both directions
        self.sent: dict[int, list[Message]] = {}  # peer -> the community's messages
        self.by_cmid: dict[tuple[int, int], Message] = {}
        self.by_id: dict[int, Message] = {}
        self.cmid: dict[int, int] = {}
        self.dedupe: dict[tuple[int, int], Message] = {}
        self.snackbars: dict[int, list[dict[str, Any]]] = {}
        self.callback_events: dict[str, CallbackEvent] = {}
        self.docs: dict[tuple[int, int], Doc] = {}
        self.photos: dict[tuple[int, int], Photo] = {}
        self.uploads: dict[str, PendingUpload] = {}
        self._rate_windows: dict[str, deque[float]] = {}
        self._intent_uses: dict[int, int] = {}

    def reset(self) -> dict[str, Any]:
        """Forget people, chats, messages, files, faults, limits, clock and counters."""
        self._reset_world()
        # Drop undelivered events but keep ts monotonic for pollers that keep running.
        self._lp_log = []
        self._lp_base = self.lp_ts
        return {"ok": True}

    def now(self) -> int:
        return int(self.clock.now())

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _next_cmid(self, peer_id: int) -> int:
        value = self.cmid.get(peer_id, 0) + 1
        self.cmid[peer_id] = value
        return value

    def _next_message_id(self) -> int:
        self._message_id += 1
        return self._message_id

    def _unique_hex(self) -> str:
        self._event_counter += 1
        return f"{self._event_counter:08x}{secrets.token_hex(12)}"

    # -- the method pipeline ------------------------------------------------------------------

    def handle(self, method: str, raw: dict[str, str], token: str | None) -> dict[str, Any]:
        """One `/method/...` request after faults: token, rate limit, method. Returns the body."""
        requests = self.stats.requests
        requests[method] = requests.get(method, 0) + 1
        try:
            if token != self.token:
                raise VKError(5)
            self._check_rate(token)
            if method == "execute":
                result = self._execute(raw)
                body: dict[str, Any] = {"response": result.response}
                if result.errors:
                    body["execute_errors"] = result.errors
                return body
            return {"response": self.run_method(method, raw)}
        except VKError as error:
            return self.error_body(error, method, raw)

    def error_body(self, error: VKError, method: str, raw: dict[str, str]) -> dict[str, Any]:
        self.stats.count_error(error.code)
        params = [{"key": "method", "value": method}, {"key": "oauth", "value": "1"}]
        params.extend(
            {"key": key, "value": value} for key, value in raw.items() if key != "access_token"
        )
        body = {
            "error": {"error_code": error.code, "error_msg": error.msg, "request_params": params}
        }
        if self.validate:
            errors = self.schema.error_errors(body)
            if errors:
                self._violation(f"error body of {method}", errors)
        return body

    def _violation(self, where: str, errors: list[str]) -> None:
        self.schema_violations.append(f"{where}: {errors}")
        raise SchemaViolation(where, errors)

    def _check_rate(self, token: str) -> None:
        rps = self.limits.rps
        if rps is None:
            return
        now = self.clock.now()
        window = self._rate_windows.get(token)
        if window is None:
            window = self._rate_windows[token] = deque()
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= rps:
            self.stats.rate_limited += 1
            raise VKError(6)
        window.append(now)

    def run_method(self, method: str, raw: dict[str, str]) -> Any:
        """Run one API method with every VK rule (used by requests and by execute's inner calls)."""
        handler = self.handlers.get(method)
        if handler is None:
            raise VKError(3, method)
        section = method.split(".", 1)[0]
        scope = _SCOPE_OF_SECTION.get(section)
        if scope is not None and scope not in self.community.token_scopes:
            raise VKError(15, f"no access to call this method (token has no {scope} scope)")
        schema = self.schema
        if self.strict:
            known = schema.methods[method].params
            for key in raw:
                if key not in known and key not in GLOBAL_PARAMS:
                    raise param_error(f"unknown parameter {key}")
        params = schema.coerce_params(method, raw)
        if self.validate:
            schema.check_params(method, params)
        value = handler(params)
        if self.validate:
            errors = schema.response_errors(method, {"response": value})
            if errors:
                self._violation(f"response of {method}", errors)
        return value

    # -- execute ------------------------------------------------------------------------------

    def _execute(self, raw: dict[str, str]) -> ExecuteResult:
        code = raw.get("code")
        if self.strict:
            for key in raw:
                if key not in ("code", "func_v") and key not in GLOBAL_PARAMS:
                    raise param_error(f"unknown parameter {key}")
        if not code:
            raise param_error("code is a required parameter")
        statements = vkscript.parse(code)
        calls = vkscript.count_calls(statements)
        if calls > self.limits.execute_max_calls:
            raise VKError(13, f"too many API calls ({calls} > {self.limits.execute_max_calls})")
        errors: list[dict[str, Any]] = []

        def call(method: str, args: dict[str, Any]) -> Any:
            if method == "execute":
                raise VKError(12, "execute cannot be nested")
            inner = {k: vkscript.to_form(v) for k, v in args.items() if v is not None}
            try:
                return self.run_method(method, inner)
            except VKError as error:
                self.stats.count_error(error.code)
                errors.append({"method": method, "error_code": error.code, "error_msg": error.msg})
                return False

        response = vkscript.run(statements, call)
        return ExecuteResult(response, errors)

    # -- helpers for peers --------------------------------------------------------------------

    def _group_object(self) -> dict[str, Any]:
        screen = self.community.screen_name or f"club{self.group_id}"
        photo = f"{self.base_url}/static/group.png"
        return {
            "id": self.group_id,
            "name": self.community.name,
            "screen_name": screen,
            "is_closed": 0,
            "type": "group",
            "is_admin": 0,
            "is_member": 0,
            "is_advertiser": 0,
            "photo_50": photo,
            "photo_100": photo,
            "photo_200": photo,
        }

    def _user_object(self, user: User, fields: list[str]) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "id": user.id,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "can_access_closed": True,
            "is_closed": False,
        }
        for name in fields:
            if name == "screen_name":
                obj["screen_name"] = user.screen_name or f"id{user.id}"
            elif name == "domain":
                obj["domain"] = user.screen_name or f"id{user.id}"
            elif name == "can_write_private_message":
                obj["can_write_private_message"] = int(not user.blocks_messages)
            elif name == "sex":
                obj["sex"] = 0
        return obj

    def _check_group(self, params: dict[str, Any]) -> None:
        group_id = params.get("group_id")
        if group_id is not None and group_id != self.group_id:
            raise param_error("group_id is invalid")

    def _require(self, params: dict[str, Any], name: str) -> Any:
        if name not in params or params[name] == "":
            raise param_error(f"{name} is a required parameter")
        return params[name]

    def _check_reachable(self, peer_id: int, intent: str | None) -> Chat | User:
        """Whether the community may write to this peer now (901/902/917/943/944)."""
        if peer_id >= CHAT_PEER_BASE:
            chat = self.chats.get(peer_id - CHAT_PEER_BASE)
            if chat is None:
                raise VKError(917)
            return chat
        if peer_id <= 0:
            raise param_error("peer_id is invalid")
        user = self.users.get(peer_id)
        if user is None or not user.reachable():
            raise VKError(901)
        if user.blocks_messages:
            raise VKError(902)
        if intent is not None:
            self._check_intent(user, intent)
        return user

    def _check_intent(self, user: User, intent: str) -> None:
        window = self.limits.intent_window_hours
        if intent == "default":
            if window is not None:
                last = user.last_message_date
                if last is None or self.now() - last > window * 3600:
                    raise VKError(943)
            return
        quota = self.limits.intent_quota
        if quota is not None:
            used = self._intent_uses.get(user.id, 0)
            if used >= quota:
                raise VKError(944)
            self._intent_uses[user.id] = used + 1

    def _parse_attachments(self, attachment: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for part in attachment.split(","):
            part = part.strip()
            if not part:
                continue
            match = _ATTACHMENT.match(part)
            if match is None:
                raise param_error(f"attachment {part} is invalid")
            kind, owner, item_id = match.group(1), int(match.group(2)), int(match.group(3))
            if kind == "doc":
                doc = self.docs.get((owner, item_id))
                if doc is None:
                    raise param_error(f"attachment {part} is not found")
                items.append({"type": "doc", "doc": doc.as_vk()})
            else:
                photo = self.photos.get((owner, item_id))
                if photo is None:
                    raise param_error(f"attachment {part} is not found")
                items.append({"type": "photo", "photo": photo.as_vk()})
        return items

    def _check_keyboard(self, keyboard: Any) -> dict[str, Any]:
        if not self.community.bots_capabilities:
            raise VKError(912)
        return validate_keyboard(keyboard)

    def _check_text(self, text: str) -> None:
        if len(text) > self.limits.max_message_length:
            raise VKError(914)

    # -- messages.* ---------------------------------------------------------------------------

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

    def _store(self, message: Message) -> None:
        self.messages.setdefault(message.peer_id, []).append(message)
        self.by_cmid[(message.peer_id, message.conversation_message_id)] = message
        if message.id:
            self.by_id[message.id] = message

    def _message_object(self, message: Message) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "id": message.id,
            "date": message.date,
            "peer_id": message.peer_id,
            "from_id": message.from_id,
            "text": message.text,
            "conversation_message_id": message.conversation_message_id,
            "out": message.out,
            "version": message.version,
            "attachments": message.attachments,
            "fwd_messages": [],
            "important": False,
            "is_hidden": False,
        }
        if message.out:
            obj["random_id"] = message.random_id
            if message.keyboard is not None:
                keyboard = dict(message.keyboard)
                keyboard.setdefault("one_time", False)
                keyboard["author_id"] = -self.group_id
                obj["keyboard"] = keyboard
        if message.payload is not None:
            obj["payload"] = message.payload
        if message.update_time is not None:
            obj["update_time"] = message.update_time
        return obj

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

    # -- users, utils, groups -----------------------------------------------------------------

    def m_users_get(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        fields = [str(f) for f in params.get("fields") or []]
        result = []
        seen: set[int] = set()
        for ref in params.get("user_ids") or []:
            user = self._user_by_ref(ref)
            if user is not None and user.id not in seen:
                seen.add(user.id)
                result.append(self._user_object(user, fields))
        return result

    def _user_by_ref(self, ref: Any) -> User | None:
        if isinstance(ref, int):
            return self.users.get(ref)
        text = str(ref)
        if text.isdigit():
            return self.users.get(int(text))
        for user in self.users.values():
            if user.screen_name == text or f"id{user.id}" == text:
                return user
        return None

    def m_utils_resolve(self, params: dict[str, Any]) -> Any:
        name = str(self._require(params, "screen_name")).strip().lstrip("@")
        if name.startswith("id") and name[2:].isdigit() and int(name[2:]) in self.users:
            return {"type": "user", "object_id": int(name[2:])}
        for user in self.users.values():
            if user.screen_name and user.screen_name == name:
                return {"type": "user", "object_id": user.id}
        group_names = {f"club{self.group_id}", f"public{self.group_id}"}
        if self.community.screen_name:
            group_names.add(self.community.screen_name)
        if name in group_names:
            return {"type": "group", "object_id": self.group_id}
        return []

    def m_groups_get_by_id(self, params: dict[str, Any]) -> dict[str, Any]:
        refs: list[Any] = list(params.get("group_ids") or [])
        if "group_id" in params:
            refs.append(params["group_id"])
        own = {str(self.group_id), f"club{self.group_id}", f"public{self.group_id}"}
        if self.community.screen_name:
            own.add(self.community.screen_name)
        for ref in refs:
            if str(ref) not in own:
                raise param_error("group_ids is invalid")
        return {"groups": [self._group_object()], "profiles": []}

    def m_groups_get_long_poll_server(self, params: dict[str, Any]) -> dict[str, Any]:
        self._require(params, "group_id")
        self._check_group(params)
        if not self.community.long_poll:
            raise param_error("Long Poll is disabled for this community")
        key = secrets.token_hex(20)
        self.lp_keys.add(key)
        return {"key": key, "server": f"{self.base_url}/lp", "ts": str(self.lp_ts)}

    def m_groups_get_long_poll_settings(self, params: dict[str, Any]) -> dict[str, Any]:
        self._require(params, "group_id")
        self._check_group(params)
        names = self.schema.docs["groups/objects.json"]["definitions"]["groups_long_poll_events"][
            "properties"
        ]
        enabled = set(self.community.events)
        events = {name: int(name in enabled) for name in names}
        events["message_event"] = int("message_event" in enabled)
        return {
            "is_enabled": self.community.long_poll,
            "api_version": self.community.api_version,
            "events": events,
        }

    def m_groups_get_token_permissions(self, params: dict[str, Any]) -> dict[str, Any]:
        scopes = [s for s in self.community.token_scopes if s in SCOPE_BITS]
        return {
            "mask": sum(SCOPE_BITS[s] for s in scopes),
            "permissions": [{"name": s, "setting": SCOPE_BITS[s]} for s in scopes],
        }

    # -- uploads ------------------------------------------------------------------------------

    def _upload_peer_check(self, params: dict[str, Any]) -> int | None:
        peer_id = params.get("peer_id")
        if peer_id is None:
            return None
        self._check_reachable(int(peer_id), None)
        return int(peer_id)

    def _new_upload_url(self, kind: str, peer_id: int | None) -> str:
        token = secrets.token_hex(8)
        peer = "" if peer_id is None else str(peer_id)
        return f"{self.base_url}/upload/{kind}?gid={self.group_id}&peer_id={peer}&t={token}"

    def m_docs_upload_server(self, params: dict[str, Any]) -> dict[str, Any]:
        kind = str(params.get("type", "doc"))
        if kind not in ("doc", "audio_message", "graffiti"):
            raise param_error("type is invalid")
        peer_id = self._upload_peer_check(params)
        return {"upload_url": self._new_upload_url("doc", peer_id)}

    def m_photos_upload_server(self, params: dict[str, Any]) -> dict[str, Any]:
        self._upload_peer_check(params)
        return {
            "upload_url": self._new_upload_url("photo", params.get("peer_id")),
            "album_id": -3,
            "user_id": 0,
            "group_id": self.group_id,
        }

    def accept_upload(self, kind: str, filename: str, data: bytes, peer_id: int | None) -> str:
        """Store an uploaded file; return the opaque upload token."""
        token = f"{secrets.token_hex(10)}"
        self.uploads[token] = PendingUpload(kind, filename, data, peer_id)
        return token

    def _next_file_id(self) -> int:
        self._file_id += 1
        return self._file_id

    def store_doc(self, owner_id: int, filename: str, data: bytes, title: str | None = None) -> Doc:
        doc_id = self._next_file_id()
        ext = filename.rsplit(".", 1)[1].lower() if "." in filename else ""
        access_key = secrets.token_hex(8)
        doc = Doc(
            id=doc_id,
            owner_id=owner_id,
            title=title or filename,
            ext=ext,
            data=data,
            date=self.now(),
            url=f"{self.base_url}/doc/{owner_id}_{doc_id}?hash={access_key}",
            access_key=access_key,
        )
        self.docs[(owner_id, doc_id)] = doc
        return doc

    def m_docs_save(self, params: dict[str, Any]) -> dict[str, Any]:
        token = str(self._require(params, "file"))
        upload = self.uploads.get(token.split("|", 1)[0])
        if upload is None or upload.kind != "doc":
            raise param_error("file is invalid")
        del self.uploads[token.split("|", 1)[0]]
        title = str(params.get("title") or upload.filename)
        doc = self.store_doc(-self.group_id, upload.filename, upload.data, title)
        return {"type": "doc", "doc": doc.as_vk()}

    def m_photos_save(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        raw = str(self._require(params, "photo"))
        try:
            token = json.loads(raw)[0]["upload"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise param_error("photo is invalid") from exc
        upload = self.uploads.get(str(token))
        if upload is None or upload.kind != "photo":
            raise param_error("photo is invalid")
        if params.get("hash") != _photo_hash(str(token)):
            raise param_error("hash is invalid")
        del self.uploads[str(token)]
        photo_id = self._next_file_id()
        owner_id = -self.group_id
        photo = Photo(
            id=photo_id,
            owner_id=owner_id,
            album_id=-3,
            data=upload.data,
            date=self.now(),
            url=f"{self.base_url}/photo/{owner_id}_{photo_id}.jpg",
            access_key=secrets.token_hex(8),
        )
        self.photos[(owner_id, photo_id)] = photo
        return [photo.as_vk()]

    def photo_upload_answer(self, token: str) -> dict[str, Any]:
        return {
            "server": 1,
            "photo": json.dumps([{"upload": token}]),
            "hash": _photo_hash(token),
        }

    # -- long poll ----------------------------------------------------------------------------

    def emit(self, event_type: str, obj: dict[str, Any]) -> str | None:
        """Queue an event for Bots Long Poll if the community has it on; return its event_id."""
        community = self.community
        if not community.long_poll or event_type not in community.events:
            return None
        event_id = self._unique_hex()
        event = {
            "group_id": self.group_id,
            "type": event_type,
            "event_id": event_id,
            "v": community.api_version,
            "object": obj,
        }
        if self.validate:
            errors = self.schema.event_errors(event)
            if errors:
                self._violation(f"{event_type} event", errors)
        self.lp_ts += 1
        self._lp_log.append(event)
        if len(self._lp_log) > MAX_EVENT_LOG:
            drop = len(self._lp_log) - MAX_EVENT_LOG
            del self._lp_log[:drop]
            self._lp_base += drop
        if self._lp_wakeup is not None:
            self._lp_wakeup.set()
            self._lp_wakeup = None
        return event_id

    def shutdown(self) -> None:
        """Make every held request return now (the server is stopping)."""
        self.closing = True
        for name in ("_lp_wakeup", "_sent_wakeup", "_holding_wakeup"):
            event: asyncio.Event | None = getattr(self, name)
            if event is not None:
                event.set()
                setattr(self, name, None)

    def invalidate_keys(self) -> None:
        self.lp_keys.clear()

    async def long_poll(self, key: str, ts: str, wait: float) -> dict[str, Any]:
        """One `a_check`: failed answers first, then events after ts, held up to `wait` real seconds."""
        if self.faults.longpoll_failed:
            code = self.faults.longpoll_failed.pop(0)
            if code == 1:
                return {"failed": 1, "ts": str(self.lp_ts)}
            self.invalidate_keys()
            return {"failed": code}
        if key not in self.lp_keys:
            return {"failed": 2}
        try:
            position = int(ts)
        except ValueError:
            return {"failed": 1, "ts": str(self.lp_ts)}
        if position > self.lp_ts or position < self._lp_base:
            return {"failed": 1, "ts": str(self.lp_ts)}
        loop = asyncio.get_running_loop()
        hold = max(0.0, min(wait, LONGPOLL_MAX_WAIT_S))
        deadline = loop.time() + hold
        # The hold ends by real time (so a frozen clock never strands a client) or when the
        # emulator's clock has been advanced past it (so tests need not wait).
        clock_deadline = self.clock.now() + hold
        while True:
            if position < self.lp_ts:
                updates = self._lp_log[position - self._lp_base :]
                return {"ts": str(self.lp_ts), "updates": updates}
            remaining = deadline - loop.time()
            if remaining <= 0 or self.closing or self.clock.now() >= clock_deadline:
                return {"ts": str(self.lp_ts), "updates": []}
            if self._lp_wakeup is None:
                self._lp_wakeup = asyncio.Event()
            wakeup = self._lp_wakeup
            self.lp_holding += 1
            if self._holding_wakeup is not None:
                self._holding_wakeup.set()
                self._holding_wakeup = None
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wakeup.wait(), remaining)
            finally:
                self.lp_holding -= 1
            if position < self._lp_base:
                return {"failed": 1, "ts": str(self.lp_ts)}

    async def wait_poller(self, wait: float) -> bool:
        """Wait up to `wait` real seconds until a long-poll request is being held (a bot is
        listening, so events emitted from now on reach it); return whether one is."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, min(wait, 600.0))
        while self.lp_holding == 0:
            remaining = deadline - loop.time()
            if remaining <= 0 or self.closing:
                return False
            if self._holding_wakeup is None:
                self._holding_wakeup = asyncio.Event()
            wakeup = self._holding_wakeup
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), remaining)
        return True

    # -- control: people, chats, community ----------------------------------------------------

    def add_user(self, data: dict[str, Any]) -> dict[str, Any]:
        _check_keys(
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
        user_id = _int(data.get("id"), "id")
        if user_id <= 0 or user_id >= CHAT_PEER_BASE:
            raise ControlError("id must be a positive user id")
        screen_name = data.get("screen_name")
        if screen_name is not None:
            _str(screen_name, "screen_name")
        last = _opt_int(data.get("last_message_date"), "last_message_date")
        user = User(
            id=user_id,
            first_name=_str(data.get("first_name", ""), "first_name"),
            last_name=_str(data.get("last_name", ""), "last_name"),
            screen_name=screen_name,
            allows_messages=_bool(data.get("allows_messages", False), "allows_messages"),
            blocks_messages=_bool(data.get("blocks_messages", False), "blocks_messages"),
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
        _check_keys(data, {"chat_id", "title", "members", "bot_is_admin", "bot_reads_all"}, "chat")
        chat_id = _int(data.get("chat_id"), "chat_id")
        if chat_id <= 0:
            raise ControlError("chat_id must be positive")
        members = data.get("members", [])
        if not isinstance(members, list):
            raise ControlError("members must be a list of user ids")
        member_ids = [_int(m, "members[]") for m in members]
        chat = Chat(
            chat_id=chat_id,
            title=_str(data.get("title", f"Chat {chat_id}"), "title"),
            members=member_ids,
            bot_is_admin=_bool(data.get("bot_is_admin", False), "bot_is_admin"),
            bot_reads_all=_bool(data.get("bot_reads_all", False), "bot_reads_all"),
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
        _check_keys(
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
            community.long_poll = _bool(data["long_poll"], "long_poll")
        if "api_version" in data:
            community.api_version = _str(data["api_version"], "api_version")
        if "events" in data:
            events = data["events"]
            if not isinstance(events, list):
                raise ControlError("events must be a list")
            community.events = [_str(e, "events[]") for e in events]
        if "bots_capabilities" in data:
            community.bots_capabilities = _bool(data["bots_capabilities"], "bots_capabilities")
        if "token_scopes" in data:
            scopes = data["token_scopes"]
            if not isinstance(scopes, list):
                raise ControlError("token_scopes must be a list")
            community.token_scopes = [_str(s, "token_scopes[]") for s in scopes]
        if "name" in data:
            community.name = _str(data["name"], "name")
        if data.get("screen_name") is not None:
            community.screen_name = _str(data["screen_name"], "screen_name")
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
        _check_keys(data, {"from_id", "peer_id", "text", "payload", "attachments"}, "say")
        from_id = _int(data.get("from_id"), "from_id")
        user = self._user(from_id)
        peer_id = _int(data.get("peer_id", from_id), "peer_id")
        text = _str(data.get("text", ""), "text")
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
            filename = _str(item.get("filename"), "filename")
            try:
                content = base64.b64decode(
                    _str(item.get("content_base64"), "content_base64"), validate=True
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
        _check_keys(data, {"user_id", "peer_id", "conversation_message_id", "payload"}, "press")
        user_id = _int(data.get("user_id"), "user_id")
        self._user(user_id)
        peer_id = _int(data.get("peer_id", user_id), "peer_id")
        cmid = _int(data.get("conversation_message_id"), "conversation_message_id")
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

    def _wake_sent(self) -> None:
        if self._sent_wakeup is not None:
            self._sent_wakeup.set()
            self._sent_wakeup = None

    async def wait_sent(
        self, peer_id: int | None, after: int | None, min_count: int, wait: float
    ) -> list[dict[str, Any]]:
        """Sent items after `after`, holding up to `wait` real seconds until there are min_count."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, min(wait, 600.0))
        while True:
            items = self.sent_items(peer_id, after)
            remaining = deadline - loop.time()
            if len(items) >= min_count or remaining <= 0 or self.closing:
                return items
            if self._sent_wakeup is None:
                self._sent_wakeup = asyncio.Event()
            wakeup = self._sent_wakeup
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), remaining)

    def snackbar_items(self, user_id: int) -> dict[str, Any]:
        return {"items": list(self.snackbars.get(user_id, []))}

    # -- control: faults, limits, clock -------------------------------------------------------

    def set_faults(self, data: dict[str, Any]) -> dict[str, Any]:
        _check_keys(
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
                faults.error_rate[int(code)] = _rate(rate, f"error_rate[{code}]")
            except ValueError as exc:
                raise ControlError("error_rate keys must be error codes") from exc
        faults.http_500_rate = _rate(data.get("http_500_rate", 0.0), "http_500_rate")
        faults.drop_rate = _rate(data.get("drop_rate", 0.0), "drop_rate")
        delay = data.get("delay_ms", [0, 0])
        if (
            not isinstance(delay, list)
            or len(delay) != 2
            or not all(isinstance(d, int | float) and d >= 0 for d in delay)
            or delay[0] > delay[1]
        ):
            raise ControlError("delay_ms must be [min, max]")
        faults.delay_ms = (float(delay[0]), float(delay[1]))
        failed = data.get("longpoll_failed", [])
        if not isinstance(failed, list) or any(f not in (1, 2, 3) for f in failed):
            raise ControlError("longpoll_failed must be a list of 1, 2 or 3")
        faults.longpoll_failed = list(failed)
        self.faults = faults
        return faults.as_dict()

    def set_limits(self, data: dict[str, Any]) -> dict[str, Any]:
        _check_keys(
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
            limits.rps = _opt_int(data["rps"], "rps")
        if "execute_max_calls" in data:
            limits.execute_max_calls = _int(data["execute_max_calls"], "execute_max_calls")
        if "max_message_length" in data:
            limits.max_message_length = _int(data["max_message_length"], "max_message_length")
        if "dedupe_window_s" in data:
            limits.dedupe_window_s = _int(data["dedupe_window_s"], "dedupe_window_s")
        if "intent_window_hours" in data:
            limits.intent_window_hours = _opt_int(
                data["intent_window_hours"], "intent_window_hours"
            )
        if "intent_quota" in data:
            limits.intent_quota = _opt_int(data["intent_quota"], "intent_quota")
        self.limits = limits
        return limits.as_dict()

    def set_clock(self, data: dict[str, Any]) -> dict[str, Any]:
        _check_keys(data, {"frozen", "advance_s"}, "clock")
        if "frozen" in data and data["frozen"] is not None:
            self.clock.freeze(_bool(data["frozen"], "frozen"))
        advance = data.get("advance_s")
        if advance is not None:
            if isinstance(advance, bool) or not isinstance(advance, int | float) or advance < 0:
                raise ControlError("advance_s must be a non-negative number")
            self.clock.advance(float(advance))
            # Held long polls re-check their deadline against the new time.
            if self._lp_wakeup is not None:
                self._lp_wakeup.set()
                self._lp_wakeup = None
        return self.clock.as_dict()

    def seed_users(self, users: list[dict[str, Any]]) -> None:
        """Create people; keys other than the control API's user fields are ignored, so that a
        richer fixture (with roles, classes, ...) can be passed as it is."""
        for user in users:
            self.add_user({k: v for k, v in user.items() if k in USER_FIELDS})


def _photo_hash(token: str) -> str:
    # Derived from the token so that saveMessagesPhoto can check it without extra state.
    return hashlib.sha256(f"photo:{token}".encode()).hexdigest()[:20]


__all__ = ["ALL_SCOPES", "DEFAULT_EVENTS", "ControlError", "EmulatorCore", "SchemaViolation"]
