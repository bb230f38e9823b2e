"""Interfaces between services and the outside world (VK, clocks).

Services in `bot/` send through `Outbound` and never see vkbottle, so a CLI,
the tests or another messenger can drive them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from bot.domain.ui import Keyboard


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class OutMessage(BaseModel):
    """A message to send. `idem_key` (organization, kind, period, person, chunk) makes
    a re-send after a crash a no-op; without it the message is an interactive reply."""

    model_config = ConfigDict(frozen=True)

    peer_id: int
    text: str = ""
    keyboard: Keyboard | None = None
    attachments: tuple[str, ...] = ()
    idem_key: str | None = None
    org_id: str | None = None
    kind: str = "reply"
    person_id: int | None = None
    intent: str | None = None


class Delivery(BaseModel):
    """What became of one message."""

    model_config = ConfigDict(frozen=True)

    peer_id: int
    ok: bool
    message_id: int | None = None
    conversation_message_id: int | None = None
    error_code: int | None = None
    error: str | None = None
    person_id: int | None = None

    @property
    def unreachable(self) -> bool:
        """VK will not let the community write to this person (901, 902, 943, 944)."""
        return self.error_code in (901, 902, 943, 944)


class Outbound(Protocol):
    """The one way services send messages and files."""

    async def reply(self, message: OutMessage) -> Delivery:
        """Send an interactive reply now, ahead of any bulk send."""
        ...

    async def send_bulk(self, messages: Sequence[OutMessage]) -> list[Delivery]:
        """Store the messages in the outbox and deliver each exactly once."""
        ...

    async def edit(self, peer_id: int, conversation_message_id: int, text: str,
                   keyboard: Keyboard | None = None) -> None:
        """Edit a message the bot sent (progress reports)."""
        ...

    async def upload_document(self, peer_id: int, data: bytes, filename: str) -> str:
        """Upload a file for `peer_id`; returns an attachment string."""
        ...

    async def upload_photo(self, peer_id: int, data: bytes, filename: str) -> str:
        """Upload a picture for `peer_id`; returns an attachment string."""
        ...

    async def answer_callback(self, event_id: str, user_id: int, peer_id: int,
                              text: str | None = None) -> None:
        """Answer a callback button press (a snackbar, or nothing)."""
        ...
