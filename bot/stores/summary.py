"""The head's summary: aggregated figures of many schools, and the weekly send's marks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from bot.domain.indicators import OrgFigures, PersonFigures, TableCounts, Thresholds
from bot.domain.models import Period


class RosterCounts(BaseModel):
    """A school's roster: active people (not the district's), those from a real roster, classes."""

    model_config = ConfigDict(frozen=True)

    people: int = 0
    from_roster: int = 0
    classes: int = 0


class SummaryData(BaseModel):
    """Everything the summary needs for a set of schools, keyed by (org_id, period start ISO)."""

    periods: dict[str, list[Period]] = {}
    tables: dict[tuple[str, str], TableCounts] = {}
    orgs: dict[tuple[str, str], OrgFigures] = {}
    roster: dict[str, RosterCounts] = {}


class SummaryStore(Protocol):
    """Aggregate reads for summaries and the weekly send's marks (storage.summary.SummaryRepo)."""

    async def load(self, org_ids: Sequence[str], thresholds: Thresholds, *, depth: int = 8,
                   until: dt.date | None = None) -> SummaryData:
        """Each school's `depth` latest imported periods (starting on or before `until`), aggregated."""
        ...

    async def people_figures(self, org_id: str, period: Period) -> list[PersonFigures]:
        """One school's per-person rows for a period, with names, ordered by name."""
        ...

    async def weekly_sent(self, org_id: str, period: Period) -> bool: ...

    async def mark_weekly_sent(self, org_id: str, period: Period) -> None: ...
