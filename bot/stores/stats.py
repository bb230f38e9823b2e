"""Reads of the imported weekly statistics that features other than imports need."""

from __future__ import annotations

from typing import Protocol

from bot.domain.models import Period
from bot.domain.records import PersonStats


class StatsReads(Protocol):
    """A school's imported periods and per-person figures (storage.stats.StatsRepo)."""

    async def latest_period(self, org_id: str, kind: str | None = None) -> Period | None: ...

    async def person_stats(self, org_id: str, period: Period) -> list[PersonStats]: ...

    async def for_person(self, person_id: int, period: Period) -> PersonStats | None: ...
