"""What a summary holds: one school's, or a district's with its ranking."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from bot.contracts import MigrationProgress
from bot.domain.indicators import (
    INDICATOR_IDS,
    Indicator,
    PersonFigures,
    ProfileStatus,
    Registration,
    Thresholds,
    Weak,
)
from bot.domain.models import Period
from bot.domain.region import RegionSchool


class TrendPoint(BaseModel):
    """One period's indicator counts (for the chart and the spreadsheet)."""

    model_config = ConfigDict(frozen=True)

    period: Period
    values: dict[str, int | None]

    def share(self, indicator_id: str) -> float | None:
        """The indicator's share of its total in this period."""
        from bot.domain.indicators import share

        base = "students_total" if indicator_id.startswith("students") else "teachers_total"
        return share(self.values.get(indicator_id), self.values.get(base))


class SchoolSummary(BaseModel):
    """One school's summary for one period.

    `migration`, `reminders_sent` and `unreachable` are None while that feature is off;
    `people` and the names in `weakest` are empty when names may not be shown.
    """

    org_id: str
    name: str
    period: Period
    previous: Period | None = None
    has_data: bool = False
    indicators: list[Indicator]
    profile: ProfileStatus
    registration: Registration
    migration: MigrationProgress | None = None
    reminders_sent: int | None = None
    unreachable: int | None = None
    weakest: list[Weak] = []
    people: list[PersonFigures] = []
    trend: list[TrendPoint] = []
    thresholds: Thresholds = Thresholds()

    def indicator(self, indicator_id: str) -> Indicator:
        """The indicator with this id."""
        return next(i for i in self.indicators if i.id == indicator_id)

    def as_json(self) -> dict[str, Any]:
        """The machine output fixed by the issue (`sferum-bot summary --json`)."""
        migration = self.migration or MigrationProgress()
        return {
            "org": self.org_id,
            "period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
            "indicators": {
                i.id: {"count": i.count, "share": None if i.share is None else round(i.share, 4),
                       "change": i.change}
                for i in sorted(self.indicators, key=lambda i: INDICATOR_IDS.index(i.id))
            },
            "profile_status": self.profile.status,
            "registered": {"count": self.registration.count, "total": self.registration.total},
            "migration": {"expected": migration.expected, "confirmed": migration.confirmed},
            "unreachable": self.unreachable or 0,
        }


class RankedSchool(BaseModel):
    """A school's place for one indicator."""

    model_config = ConfigDict(frozen=True)

    org_id: str
    name: str
    status: str
    share: float | None
    count: int | None


class DistrictSummary(BaseModel):
    """Every school of the bot together: the total, the schools, and a ranking per indicator."""

    name: str
    total: SchoolSummary
    schools: list[SchoolSummary]
    # indicator id → schools, inactive profiles first, then the lowest share first.
    ranking: dict[str, list[RankedSchool]]

    @property
    def status_counts(self) -> dict[str, int]:
        """How many schools are active, inactive and unknown."""
        counts = {"active": 0, "inactive": 0, "unknown": 0}
        for school in self.schools:
            counts[school.profile.status] += 1
        return counts


class RegionSummary(BaseModel):
    """A region's or one district's schools: ranked, with the ones that slipped this week."""

    name: str
    #: The district asked for; None for the whole region.
    district: str | None = None
    period: Period
    #: Every school, ranked: inactive profiles first, then the lowest share of active teachers.
    schools: list[RegionSchool]
    slipped: list[RegionSchool]

    @property
    def status_counts(self) -> dict[str, int]:
        """How many schools are active, inactive and unknown."""
        counts = {"active": 0, "inactive": 0, "unknown": 0}
        for school in self.schools:
            counts[school.status] += 1
        return counts

    def as_json(self) -> dict[str, Any]:
        """The machine output of `sferum-bot summary --region/--district --json`."""
        def one(s: RegionSchool) -> dict[str, Any]:
            return {"org": s.org_id, "name": s.name, "district": s.district, "status": s.status,
                    "teachers_total": s.teachers_total, "teachers_3plus": s.teachers_3plus,
                    "share": None if s.share is None else round(s.share, 4),
                    "change_points": None if s.change_points is None else round(s.change_points, 1),
                    "slipped": s.slipped}
        return {
            "scope": "district" if self.district is not None else "region",
            "name": self.name,
            "period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
            "statuses": self.status_counts,
            "schools": [one(s) for s in self.schools],
            "slipped": [s.org_id for s in self.slipped],
        }
