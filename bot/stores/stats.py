"""Reads of the imported weekly statistics that features other than imports need."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from bot.domain.models import Period
from bot.domain.records import PersonStats


class StatsReads(Protocol):
    """A school's imported periods and per-person figures (storage.stats.StatsRepo)."""

    async def latest_period(self, org_id: str, kind: str | None = None) -> Period | None: ...

    async def person_stats(self, org_id: str, period: Period) -> list[PersonStats]: ...

    async def latest_periods(self, org_ids: Sequence[str], kind: str | None = None) -> dict[str, Period]:
        """`latest_period` of several organizations at once (those with no import left out)."""
        ...

    async def person_stats_of(self, periods: Mapping[str, Period]) -> dict[str, list[PersonStats]]:
        """`person_stats` of several organizations, each for its period."""
        ...

    async def for_person(self, person_id: int, period: Period) -> PersonStats | None: ...
