"""Interfaces between services and the outside world (VK, clocks).

Services in `bot/` send through `Outbound` and never see vkbottle, so a CLI,
the tests or another messenger can drive them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from bot.domain.models import Person, Role
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

    async def enqueue_in(self, conn: Any, messages: Sequence[OutMessage]) -> None:
        """Store messages with idem_keys in the outbox inside the caller's open transaction
        (`conn`), unsent: a later `send_bulk` of the same messages or the start-up resume sends them."""
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


class PeopleStore(Protocol):
    """Organizations and people (storage.people.PeopleRepo; a fake in tests)."""

    async def add(self, org_id: str | None, full_name: str, role: Role, *, vk_id: int | None = None,
                  classes: Iterable[str] = (), source: str = "roster") -> Person: ...

    async def get(self, person_id: int) -> Person | None: ...

    async def by_vk_id(self, vk_id: int) -> list[Person]: ...

    async def in_org(self, org_id: str, *, active_only: bool = True) -> list[Person]: ...

    async def by_name_key(self, key: str, org_id: str | None = None) -> list[Person]: ...

    async def bind_vk(self, person_id: int, vk_id: int) -> None: ...


class DialogStore(Protocol):
    """Persistent dialog state (storage.runtime.DialogStateRepo)."""

    async def get(self, key: str) -> DialogStateValue | None: ...

    async def set(self, key: str, state: str, payload: dict[str, Any] | None = None) -> None: ...

    async def delete(self, key: str) -> None: ...


class DialogStateValue(Protocol):
    state: str
    payload: dict[str, Any]
