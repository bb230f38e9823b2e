"""The deputy's broadcasts: the records the broadcast store returns and the store itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel, ConfigDict


class Broadcast(BaseModel):
    """One broadcast: who it is for, its text and where it stands."""

    model_config = ConfigDict(frozen=True)

    id: int
    org_id: str
    created_by: int
    audience: str
    audience_arg: str | None
    text: str
    status: str
    # The deputy's dialog showing the progress: its messenger ('vk', 'max') and chat id.
    progress_messenger: str = "vk"
    progress_peer: int | None
    progress_cmid: int | None
    # The bot of that dialog, by name (None: the school's bot).
    progress_bot: str | None = None
    created_at: str
    started_at: str | None
    finished_at: str | None


class AudiencePerson(BaseModel):
    """Someone a broadcast is meant for."""

    model_config = ConfigDict(frozen=True)

    person_id: int
    full_name: str
    vk_id: int | None
    max_id: int | None = None


class Recipient(BaseModel):
    """A recipient of a started broadcast and what became of the message."""

    model_config = ConfigDict(frozen=True)

    person_id: int
    full_name: str
    vk_id: int | None
    status: str
    error_code: int | None
    # The person's MAX account now (the run addresses each person on the school's messenger).
    max_id: int | None = None


class BroadcastStore(Protocol):
    """Drafts, runs, each recipient's outcome, and audience queries (storage.broadcasts.BroadcastRepo)."""

    async def create(self, org_id: str, created_by: int, audience: str, audience_arg: str | None,
                     text: str) -> Broadcast: ...

    async def get(self, broadcast_id: int) -> Broadcast | None: ...

    async def unfinished(self) -> list[Broadcast]: ...

    async def set_text(self, broadcast_id: int, text: str) -> bool: ...

    async def cancel(self, broadcast_id: int) -> bool: ...

    async def start(self, broadcast_id: int, recipients: Sequence[AudiencePerson]) -> bool: ...

    async def set_progress_message(self, broadcast_id: int, messenger: str, chat_id: int,
                                   cmid: int | None, bot: str | None = None) -> None: ...

    async def recipients(self, broadcast_id: int) -> list[Recipient]: ...

    async def finish(self, broadcast_id: int, outcomes: Sequence[tuple[int, str, int | None]]) -> bool: ...

    async def staff(self, org_id: str) -> list[AudiencePerson]: ...

    async def below_threshold(self, org_id: str, period_start: str, threshold: int) -> list[AudiencePerson]: ...

    async def not_registered(self, org_id: str, period_start: str) -> list[AudiencePerson]: ...

    async def people(self, org_id: str, person_ids: Sequence[int]) -> list[AudiencePerson]: ...

    async def classes(self, org_id: str) -> dict[str, list[AudiencePerson]]: ...
