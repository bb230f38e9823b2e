"""The MAX emulator's world: people, group chats, messages, uploads, limits, faults and counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# A person's dialog with the bot has its own positive chat id, derived from the person's id.
DIALOG_BASE = 9_000_000_000_000
DEEP_LINK_MAX = 128
ADMIN_PERMISSIONS: tuple[str, ...] = (
    "write",
    "add_remove_members",
    "pin_message",
    "change_chat_info",
)


class ApiError(Exception):
    """A Bot API error: HTTP status plus `{"code", "message"}`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(f"{status} {code}: {message}")

    def body(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def bad_request(field_name: str, message: str) -> ApiError:
    """400 naming the field, as MAX's `proto.payload` answers do."""
    return ApiError(400, "proto.payload", f"{field_name}: {message}")


@dataclass
class User:
    user_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    started: bool = False
    stopped: bool = False
    last_activity: int = 0

    @property
    def dialog_id(self) -> int:
        return DIALOG_BASE + self.user_id

    @property
    def reachable(self) -> bool:
        return self.started and not self.stopped

    def as_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "username": self.username,
            "started": self.started,
            "stopped": self.stopped,
            "dialog_chat_id": self.dialog_id if self.started else None,
        }


@dataclass
class Chat:
    """A group chat with the bot in it."""

    chat_id: int
    title: str
    members: list[int]
    owner_id: int | None
    bot_is_admin: bool = False
    bot_reads_all: bool = False
    bot_removed: bool = False
    created: int = 0
    joined: dict[int, int] = field(default_factory=dict)

    def permissions(self) -> list[str] | None:
        if not self.bot_is_admin:
            return None
        extra = ["read_all_messages"] if self.bot_reads_all else []
        return [*ADMIN_PERMISSIONS, *extra]

    def as_dict(self) -> dict[str, Any]:
        return {
            "chat_id": self.chat_id,
            "title": self.title,
            "members": list(self.members),
            "owner_id": self.owner_id,
            "bot_is_admin": self.bot_is_admin,
            "bot_reads_all": self.bot_reads_all,
            "bot_removed": self.bot_removed,
        }


@dataclass
class Message:
    """A message in a dialog or group chat (the bot's or a person's)."""

    mid: str
    seq: int
    chat_id: int
    chat_type: str
    sender_id: int
    timestamp: int
    text: str | None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    format: str | None = None
    link: dict[str, Any] | None = None
    dialog_user_id: int | None = None
    from_bot: bool = False
    visible_to_bot: bool = True
    deleted: bool = False
    sent_seq: int = 0

    def keyboard(self) -> list[list[dict[str, Any]]] | None:
        for attachment in self.attachments:
            if attachment.get("type") == "inline_keyboard":
                buttons: list[list[dict[str, Any]]] = attachment["payload"]["buttons"]
                return buttons
        return None

    def sent_item(self) -> dict[str, Any]:
        """The `/_emu/sent` view."""
        files = []
        for attachment in self.attachments:
            if attachment.get("type") == "inline_keyboard":
                continue
            item: dict[str, Any] = {"type": attachment["type"]}
            if "filename" in attachment:
                item["filename"] = attachment["filename"]
            url = (attachment.get("payload") or {}).get("url")
            if url:
                item["url"] = url
            files.append(item)
        return {
            "seq": self.sent_seq,
            "chat_id": self.chat_id,
            "mid": self.mid,
            "text": self.text,
            "format": self.format,
            "keyboard": self.keyboard(),
            "attachments": files,
            "timestamp": self.timestamp,
        }


@dataclass
class StoredFile:
    """An uploaded file on the emulator's upload host."""

    token: str
    kind: str
    filename: str
    data: bytes
    ready_at: float
    file_id: int

    def url(self, base_url: str) -> str:
        return f"{base_url}/files/{self.token}/{self.filename}"


@dataclass
class UploadSlot:
    """A one-use upload URL handed out by `POST /uploads`."""

    slot: str
    kind: str
    token: str | None = None


@dataclass
class Callback:
    callback_id: str
    user_id: int
    mid: str
    chat_id: int
    payload: str


@dataclass
class Subscription:
    url: str
    time: int
    update_types: list[str] | None
    secret: str | None
    version: str | None = None

    def wants(self, update_type: str) -> bool:
        return not self.update_types or update_type in self.update_types

    def as_api(self) -> dict[str, Any]:
        body: dict[str, Any] = {"url": self.url, "time": self.time}
        if self.update_types:
            body["update_types"] = list(self.update_types)
        return body


@dataclass
class Limits:
    rps: int | None = 30
    per_chat_rps: int | None = 2
    max_text: int = 4000
    attachment_ready_after_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "rps": self.rps,
            "per_chat_rps": self.per_chat_rps,
            "max_text": self.max_text,
            "attachment_ready_after_s": self.attachment_ready_after_s,
        }


@dataclass
class Faults:
    http_429_rate: float = 0.0
    http_500_rate: float = 0.0
    drop_rate: float = 0.0
    delay_ms: tuple[float, float] = (0.0, 0.0)
    webhook_fail_rate: float = 0.0

    def active(self) -> bool:
        return bool(
            self.http_429_rate or self.http_500_rate or self.drop_rate or self.delay_ms[1] > 0
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "http_429_rate": self.http_429_rate,
            "http_500_rate": self.http_500_rate,
            "drop_rate": self.drop_rate,
            "delay_ms": list(self.delay_ms),
            "webhook_fail_rate": self.webhook_fail_rate,
        }


@dataclass
class Stats:
    requests: dict[str, int] = field(default_factory=dict)
    rate_limited: int = 0
    delivered: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    webhook_deliveries: int = 0
    webhook_failures: int = 0
    webhook_attempts: int = 0
    dropped_answers: int = 0

    def count_request(self, key: str) -> None:
        self.requests[key] = self.requests.get(key, 0) + 1

    def count_error(self, code: str) -> None:
        self.errors[code] = self.errors.get(code, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "rate_limited": self.rate_limited,
            "delivered": self.delivered,
            "errors": dict(self.errors),
            "webhook_deliveries": self.webhook_deliveries,
            "webhook_failures": self.webhook_failures,
            "webhook_attempts": self.webhook_attempts,
            "dropped_answers": self.dropped_answers,
        }
