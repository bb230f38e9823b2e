"""The VK emulator's state and the helpers every part of it shares: ids, peers, rendering of
messages, the schema checks and emitting Bots Long Poll events."""

from __future__ import annotations

import random
import re
import secrets
from dataclasses import dataclass
from typing import Any

from emulator_common.clock import Clock
from emulator_common.ratelimit import RateWindows
from emulator_common.schema import SchemaViolation
from emulator_common.waiting import Wakeup
from vk_emulator.errors import VKError, param_error
from vk_emulator.keyboard import validate_keyboard
from vk_emulator.schema import VKSchema, load_schema
from vk_emulator.state import (
    CHAT_PEER_BASE,
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


class CoreBase:
    """The world and the helpers shared by the method, long-poll and control parts."""

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
        # Counters and the long-poll log survive /_emu/reset so running clients never go back in time.
        self._seq = 0
        self._message_id = 0
        self._file_id = 0
        self._event_counter = 0
        self.lp_ts = 0
        self._lp_base = 0
        self._lp_log: list[dict[str, Any]] = []
        self.lp_keys: set[str] = set()
        self.lp_wakeup = Wakeup()
        self.sent_wakeup = Wakeup()
        self.holding_wakeup = Wakeup()
        self.lp_holding = 0
        self.closing = False
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
        self.rates = RateWindows()
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
        self.lp_wakeup.fire()
        return event_id

    def shutdown(self) -> None:
        """Make every held request return now (the server is stopping)."""
        self.closing = True
        for wakeup in (self.lp_wakeup, self.sent_wakeup, self.holding_wakeup):
            wakeup.fire()

    def _wake_sent(self) -> None:
        self.sent_wakeup.fire()
