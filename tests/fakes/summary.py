"""An in-memory summary store (`bot.stores.summary.SummaryStore`): figures given by the test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.domain.indicators import PersonFigures, Thresholds
from bot.domain.models import Period
from bot.stores.summary import SummaryData


class FakeSummaryStore:
    """Serves `data` (cut to the schools and periods asked), `people` per (school, period key), and
    remembers which weekly summaries went out."""

    def __init__(self, data: SummaryData, people: dict[tuple[str, str], list[PersonFigures]] | None = None) -> None:
        self.data = data
        self.people = people or {}
        self.sent: set[tuple[str, str]] = set()
        self.loads = 0

    async def load(self, org_ids: Sequence[str], thresholds: Thresholds, *, depth: int = 8,
                   until: dt.date | None = None) -> SummaryData:
        self.loads += 1
        periods = {org: [p for p in self.data.periods.get(org, []) if until is None or p.start <= until][:depth]
                   for org in org_ids}
        return SummaryData(periods=periods,
                           tables={k: v for k, v in self.data.tables.items() if k[0] in org_ids},
                           orgs={k: v for k, v in self.data.orgs.items() if k[0] in org_ids},
                           roster={k: v for k, v in self.data.roster.items() if k in org_ids})

    async def people_figures(self, org_id: str, period: Period) -> list[PersonFigures]:
        return list(self.people.get((org_id, period.key), []))

    async def weekly_sent(self, org_id: str, period: Period) -> bool:
        return (org_id, period.key) in self.sent

    async def mark_weekly_sent(self, org_id: str, period: Period) -> None:
        self.sent.add((org_id, period.key))
