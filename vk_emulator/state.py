"""The emulator's world: people, chats, community settings, limits, faults, messages and files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CHAT_PEER_BASE = 2_000_000_000

ALL_SCOPES: tuple[str, ...] = ("messages", "photos", "docs", "manage")
# VK's group token permission bits.
SCOPE_BITS: dict[str, int] = {
    "stories": 1,
    "photos": 4,
    "app_widget": 64,
    "messages": 4096,
    "docs": 131072,
    "manage": 262144,
}
DEFAULT_EVENTS: tuple[str, ...] = (
    "message_new",
    "message_reply",
    "message_edit",
    "message_allow",
    "message_deny",
    "message_event",
    "message_typing_state",
)


@dataclass
class User:
    id: int
    first_name: str
    last_name: str
    screen_name: str | None = None
    allows_messages: bool = False
    blocks_messages: bool = False
    last_message_date: int | None = None
    has_written: bool = False
    intent_uses: int = 0

    def reachable(self) -> bool:
        return self.allows_messages or self.has_written

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "screen_name": self.screen_name,
            "allows_messages": self.allows_messages,
            "blocks_messages": self.blocks_messages,
            "last_message_date": self.last_message_date,
            "has_written": self.has_written,
        }


@dataclass
class Chat:
    chat_id: int
    title: str
    members: list[int]
    bot_is_admin: bool = False
    bot_reads_all: bool = False
    join_date: int = 0

    @property
    def peer_id(self) -> int:
        return CHAT_PEER_BASE + self.chat_id

    def as_dict(self) -> dict[str, Any]:
        return {
            "chat_id": self.chat_id,
            "peer_id": self.peer_id,
            "title": self.title,
            "members": list(self.members),
            "bot_is_admin": self.bot_is_admin,
            "bot_reads_all": self.bot_reads_all,
        }


@dataclass
class Community:
    long_poll: bool = True
    api_version: str = "5.199"
    events: list[str] = field(default_factory=lambda: list(DEFAULT_EVENTS))
    bots_capabilities: bool = True
    token_scopes: list[str] = field(default_factory=lambda: list(ALL_SCOPES))
    name: str = "Test community"
    screen_name: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "long_poll": self.long_poll,
            "api_version": self.api_version,
            "events": list(self.events),
            "bots_capabilities": self.bots_capabilities,
            "token_scopes": list(self.token_scopes),
            "name": self.name,
            "screen_name": self.screen_name,
        }


@dataclass
class Limits:
    rps: int | None = 20
    execute_max_calls: int = 25
    max_message_length: int = 4096
    dedupe_window_s: int = 3600
    intent_window_hours: int | None = None
    intent_quota: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "rps": self.rps,
            "execute_max_calls": self.execute_max_calls,
            "max_message_length": self.max_message_length,
            "dedupe_window_s": self.dedupe_window_s,
            "intent_window_hours": self.intent_window_hours,
            "intent_quota": self.intent_quota,
        }


@dataclass
class Faults:
    error_rate: dict[int, float] = field(default_factory=dict)
    http_500_rate: float = 0.0
    drop_rate: float = 0.0
    delay_ms: tuple[float, float] = (0.0, 0.0)
    longpoll_failed: list[int] = field(default_factory=list)

    def active(self) -> bool:
        return bool(self.error_rate or self.http_500_rate or self.drop_rate or self.delay_ms[1] > 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "error_rate": {str(k): v for k, v in self.error_rate.items()},
            "http_500_rate": self.http_500_rate,
            "drop_rate": self.drop_rate,
            "delay_ms": list(self.delay_ms),
            "longpoll_failed": list(self.longpoll_failed),
        }


@dataclass
class Stats:
    requests: dict[str, int] = field(default_factory=dict)
    rate_limited: int = 0
    deduplicated: int = 0
    delivered: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def count_error(self, code: int) -> None:
        key = str(code)
        self.errors[key] = self.errors.get(key, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "rate_limited": self.rate_limited,
            "deduplicated": self.deduplicated,
            "delivered": self.delivered,
            "errors": dict(self.errors),
        }


@dataclass
class Doc:
    id: int
    owner_id: int
    title: str
    ext: str
    data: bytes
    date: int
    url: str
    access_key: str

    def attachment(self) -> str:
        return f"doc{self.owner_id}_{self.id}"

    def as_vk(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "owner_id": self.owner_id,
            "title": self.title,
            "size": len(self.data),
            "ext": self.ext,
            "url": self.url,
            "date": self.date,
            "type": _doc_type(self.ext),
            "access_key": self.access_key,
            "is_licensed": 0,
        }


@dataclass
class Photo:
    id: int
    owner_id: int
    album_id: int
    data: bytes
    date: int
    url: str
    access_key: str

    def attachment(self) -> str:
        return f"photo{self.owner_id}_{self.id}"

    def as_vk(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "album_id": self.album_id,
            "owner_id": self.owner_id,
            "date": self.date,
            "access_key": self.access_key,
            "has_tags": False,
            "text": "",
            "sizes": [{"type": "x", "url": self.url, "width": 604, "height": 604}],
        }


@dataclass
class Message:
    """A message in a conversation (the bot's or a person's)."""

    id: int
    peer_id: int
    from_id: int
    conversation_message_id: int
    text: str
    date: int
    out: int
    random_id: int = 0
    keyboard: dict[str, Any] | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    payload: str | None = None
    seq: int = 0
    version: int = 0
    update_time: int | None = None
    forward: dict[str, Any] | None = None
    reply_to: int | None = None

    def sent_item(self) -> dict[str, Any]:
        """The `/_emu/sent` view."""
        return {
            "seq": self.seq,
            "peer_id": self.peer_id,
            "conversation_message_id": self.conversation_message_id,
            "message_id": self.id,
            "text": self.text,
            "keyboard": self.keyboard,
            "attachments": [_attachment_summary(a) for a in self.attachments],
            "random_id": self.random_id,
            "date": self.date,
            "update_time": self.update_time,
            "forward": self.forward,
            "reply_to": self.reply_to,
        }


def _attachment_summary(attachment: dict[str, Any]) -> dict[str, Any]:
    kind = attachment["type"]
    obj = attachment.get(kind, {})
    if kind == "doc":
        return {
            "type": "doc",
            "title": obj.get("title", ""),
            "url": obj.get("url", ""),
            "id": obj.get("id"),
            "owner_id": obj.get("owner_id"),
        }
    url = ""
    sizes = obj.get("sizes") or []
    if sizes:
        url = sizes[-1].get("url", "")
    return {
        "type": kind,
        "title": obj.get("text", "") or "photo",
        "url": url,
        "id": obj.get("id"),
        "owner_id": obj.get("owner_id"),
    }


_DOC_TYPES: dict[str, int] = {
    "txt": 1,
    "doc": 1,
    "docx": 1,
    "pdf": 1,
    "rtf": 1,
    "odt": 1,
    "xls": 1,
    "xlsx": 1,
    "csv": 1,
    "zip": 2,
    "rar": 2,
    "7z": 2,
    "tar": 2,
    "gz": 2,
    "gif": 3,
    "jpg": 4,
    "jpeg": 4,
    "png": 4,
    "bmp": 4,
    "webp": 4,
    "ogg": 5,
    "wav": 5,
    "mp4": 6,
    "avi": 6,
    "mkv": 6,
    "epub": 7,
    "fb2": 7,
    "djvu": 7,
}


def _doc_type(ext: str) -> int:
    return _DOC_TYPES.get(ext.lower(), 8)
