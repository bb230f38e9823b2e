"""A region's (or a district's) schools side by side: ranking and the schools that slipped.

Pure rules on figures already aggregated per school: no storage, no messenger. The
ranking follows letter № 450's main figure, the share of teachers who wrote at least
three messages in group chats: inactive profiles first, then the lowest share first.
A school «slipped» this week when that share fell by at least `SLIP_POINTS` percentage
points or its profile became «Не активен».
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from bot.domain.indicators import ProfileState, rank

#: A fall of this many percentage points (or more) in the share of active teachers is a slip.
SLIP_POINTS = 10
#: The chat shows this many schools from each end of the ranking; the xlsx holds every school.
SHOWN = 10


class RegionSchool(BaseModel):
    """One school's figures for the regional view (this week and the week before)."""

    model_config = ConfigDict(frozen=True)

    org_id: str
    name: str
    district: str | None = None
    status: ProfileState = "unknown"
    previous_status: ProfileState | None = None
    teachers_total: int | None = None
    teachers_3plus: int | None = None
    share: float | None = None
    previous_share: float | None = None
    has_data: bool = False

    @property
    def change_points(self) -> float | None:
        """The share's change in percentage points since the week before (None if unknown)."""
        if self.share is None or self.previous_share is None:
            return None
        return (self.share - self.previous_share) * 100

    @property
    def became_inactive(self) -> bool:
        """The profile is «Не активен» now and was not the week before."""
        return self.status == "inactive" and self.previous_status not in (None, "inactive")

    @property
    def slipped(self) -> bool:
        """The share fell by ≥ SLIP_POINTS points, or the profile became «Не активен»."""
        change = self.change_points
        # A float difference like 0.5 - 0.4 gives 9.999…; a tenth of a point is below any table's precision.
        return self.became_inactive or (change is not None and change <= -SLIP_POINTS + 1e-6)


def ranked(schools: Sequence[RegionSchool]) -> list[RegionSchool]:
    """The schools ranked: inactive profiles first, then the lowest share first (unknown last)."""
    by_id = {s.org_id: s for s in schools}
    return [by_id[o] for o in rank({s.org_id: (s.status, s.share) for s in schools})]


def slipped(schools: Sequence[RegionSchool]) -> list[RegionSchool]:
    """The schools that slipped this week, in ranking order (the inactive first)."""
    return [s for s in ranked(schools) if s.slipped]
