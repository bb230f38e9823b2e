"""What features ask of each other, as small interfaces the composition root wires.

A feature depends on these protocols, never on another feature's module, so that each
one works (and is tested) while the others are off: `Deps` holds `None` for a feature
that is not built, and a caller treats that as «no data».
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from bot.domain.models import Period, Person


class UnreachablePerson(BaseModel):
    """Someone the bot cannot write to yet, and why."""

    model_config = ConfigDict(frozen=True)

    person_id: int
    name: str
    vk_id: int | None
    # 901/902/943/944 from VK, or None when the person has no VK page bound yet.
    code: int | None
    reason: str


class Reachability(Protocol):
    """Who in a school the bot cannot write to (owned by the reachability feature)."""

    async def unreachable(self, org_id: str) -> list[UnreachablePerson]: ...

    async def unreachable_of(self, org_ids: Sequence[str]) -> dict[str, list[UnreachablePerson]]:
        """`unreachable` of several schools at once (a regional wave)."""
        ...


class MigrationProgress(BaseModel):
    """Chats expected, confirmed as moved, and checked by the bot, for one school."""

    model_config = ConfigDict(frozen=True)

    expected: int = 0
    confirmed: int = 0
    checked: int = 0


class ChatsProgress(Protocol):
    """The chats migration as other features see it (owned by the chats feature)."""

    async def progress(self, org_id: str) -> MigrationProgress: ...

    async def missing_by_person(self, org_id: str) -> dict[int, list[str]]:
        """person id → titles of the expected chats not yet confirmed."""
        ...

    async def missing_by_person_of(self, org_ids: Sequence[str]) -> dict[str, dict[int, list[str]]]:
        """`missing_by_person` of several schools at once (a regional wave): school → person id → titles."""
        ...

    async def missing_for(self, person: Person) -> list[str]:
        """Titles of one person's expected chats not yet confirmed (without reading the whole school)."""
        ...


class LiveCounts(Protocol):
    """Messages the bot saw a person write in group chats (owned by live counts)."""

    async def messages(self, person_id: int, period: Period) -> int | None: ...


class ReminderLog(Protocol):
    """Automatic reminders already sent (owned by the reminders feature)."""

    async def sent_count(self, org_id: str, period: Period) -> int: ...


class WeeklySummary(Protocol):
    """Sends the head's summary by itself (owned by the summary feature)."""

    async def send_weekly(self, org_id: str) -> bool:
        """Send the latest period's summary to the head and the deputies; False if nothing to send."""
        ...
