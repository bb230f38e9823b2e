"""An in-memory broadcast store (`bot.stores.broadcasts.BroadcastStore`) and statistics reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.domain.models import Period
from bot.domain.records import PersonStats
from bot.stores.broadcasts import AudiencePerson, Broadcast, Recipient

NOW = "2026-11-23T10:00:00+00:00"


class FakeBroadcastStore:
    """A school's staff (with the classes they lead), drafts, runs and each recipient's outcome."""

    def __init__(self, staff: dict[str, list[AudiencePerson]] | None = None,
                 leads: dict[str, dict[str, list[AudiencePerson]]] | None = None) -> None:
        self._staff = staff or {}
        self._leads = leads or {}
        self.broadcasts: dict[int, Broadcast] = {}
        self._recipients: dict[int, list[Recipient]] = {}

    async def create(self, org_id: str, created_by: int, audience: str, audience_arg: str | None,
                     text: str) -> Broadcast:
        new = Broadcast(id=len(self.broadcasts) + 1, org_id=org_id, created_by=created_by, audience=audience,
                        audience_arg=audience_arg, text=text, status="draft", progress_peer=None,
                        progress_cmid=None, created_at=NOW, started_at=None, finished_at=None)
        self.broadcasts[new.id] = new
        return new

    async def get(self, broadcast_id: int) -> Broadcast | None:
        return self.broadcasts.get(broadcast_id)

    async def unfinished(self) -> list[Broadcast]:
        return [b for b in self.broadcasts.values() if b.status == "sending"]

    def _change(self, broadcast_id: int, was: str, **update: object) -> bool:
        found = self.broadcasts.get(broadcast_id)
        if found is None or found.status != was:
            return False
        self.broadcasts[broadcast_id] = found.model_copy(update=update)
        return True

    async def set_text(self, broadcast_id: int, text: str) -> bool:
        return self._change(broadcast_id, "draft", text=text)

    async def cancel(self, broadcast_id: int) -> bool:
        return self._change(broadcast_id, "draft", status="cancelled")

    async def start(self, broadcast_id: int, recipients: Sequence[AudiencePerson]) -> bool:
        if not self._change(broadcast_id, "draft", status="sending", started_at=NOW):
            return False
        self._recipients[broadcast_id] = [
            Recipient(person_id=p.person_id, full_name=p.full_name, vk_id=p.vk_id, max_id=p.max_id,
                      status="pending", error_code=None) for p in recipients]
        return True

    async def set_progress_message(self, broadcast_id: int, messenger: str, chat_id: int,
                                   cmid: int | None, bot: str | None = None) -> None:
        found = self.broadcasts[broadcast_id]
        self.broadcasts[broadcast_id] = found.model_copy(update={
            "progress_messenger": messenger, "progress_peer": chat_id, "progress_cmid": cmid, "progress_bot": bot})

    async def recipients(self, broadcast_id: int) -> list[Recipient]:
        return list(self._recipients.get(broadcast_id, []))

    async def finish(self, broadcast_id: int, outcomes: Sequence[tuple[int, str, int | None]]) -> bool:
        if not self._change(broadcast_id, "sending", status="done", finished_at=NOW):
            return False
        by_person = {pid: (status, code) for pid, status, code in outcomes}
        self._recipients[broadcast_id] = [
            r.model_copy(update={"status": by_person[r.person_id][0], "error_code": by_person[r.person_id][1]})
            if r.person_id in by_person else r for r in self._recipients[broadcast_id]]
        return True

    async def staff(self, org_id: str) -> list[AudiencePerson]:
        return list(self._staff.get(org_id, []))

    async def below_threshold(self, org_id: str, period_start: str, threshold: int) -> list[AudiencePerson]:
        return []

    async def not_registered(self, org_id: str, period_start: str) -> list[AudiencePerson]:
        return []

    async def people(self, org_id: str, person_ids: Sequence[int]) -> list[AudiencePerson]:
        return [p for p in self._staff.get(org_id, []) if p.person_id in person_ids]

    async def classes(self, org_id: str) -> dict[str, list[AudiencePerson]]:
        return dict(self._leads.get(org_id, {}))


class FakeStats:
    """`bot.stores.stats.StatsReads`: per-person figures of the periods the test imported."""

    def __init__(self, rows: Sequence[PersonStats] = ()) -> None:
        self.rows = list(rows)

    async def latest_period(self, org_id: str, kind: str | None = None) -> Period | None:
        periods = [r.period for r in self.rows if r.org_id == org_id]
        return max(periods, key=lambda p: p.start) if periods else None

    async def person_stats(self, org_id: str, period: Period) -> list[PersonStats]:
        return [r for r in self.rows if r.org_id == org_id and r.period == period]

    async def latest_periods(self, org_ids: Sequence[str], kind: str | None = None) -> dict[str, Period]:
        return {org_id: period for org_id in org_ids if (period := await self.latest_period(org_id, kind))}

    async def person_stats_of(self, periods: Mapping[str, Period]) -> dict[str, list[PersonStats]]:
        return {org_id: await self.person_stats(org_id, period) for org_id, period in periods.items()}

    async def for_person(self, person_id: int, period: Period) -> PersonStats | None:
        return next((r for r in self.rows if r.person_id == person_id and r.period == period), None)
