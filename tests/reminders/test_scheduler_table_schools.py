"""The scheduler plans each table school's reminders at the time its «Напоминания» cell gives, in its own timezone,
as it does a config school's; a school the table overrides takes the table's time; a changed table moves the timer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.config import Settings, parse_settings
from bot.domain.models import Organization
from bot.scheduler import Scheduler
from storage.db import Database
from storage.people import PeopleRepo
from tests.reminders.conftest import MONDAY_10, MovableClock
from tests.reminders.test_scheduler import FakeDeps, FakePrivacy

UTC = dt.UTC
SUNDAY_NOON_UTC = dt.datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
# The table: (id, timezone, the «Напоминания» cell as stored).
TABLE = [("tue-yekt", "Asia/Yekaterinburg", "tue 09:00"), ("wed-vlat", "Asia/Vladivostok", "wed 15:30"),
         ("default-kgd", "Europe/Kaliningrad", None), ("off-msk", "Europe/Moscow", "off"),
         ("school1", "Europe/Moscow", "thu 11:00")]


@dataclass
class RecordingReminders:
    """Which school's reminders ran, at which moment of the controlled clock."""

    runs: list[tuple[str, dt.datetime]] = field(default_factory=list)

    async def run(self, org_id: str, *, now: dt.datetime, run_key: str | None = None) -> None:
        self.runs.append((org_id, now))

    async def run_wave(self, runs: dict[str, str], *, now: dt.datetime) -> None:
        self.runs.extend((org_id, now) for org_id in runs)

    async def nudge(self, org_id: str, *, now: dt.datetime) -> int:
        return 0

    async def missing_import_note(self, org_id: str, *, now: dt.datetime) -> bool:
        return False


def _records() -> list[dict[str, Any]]:
    return [{"id": org, "name": f"Школа {org}", "inn": f"05000000{n:02d}", "timezone": tz, "row_no": n + 2,
             **({"reminders_at": at} if at else {})} for n, (org, tz, at) in enumerate(TABLE)]


def _settings(tmp_path: Path) -> Settings:
    """A config school (Monday 10:00, Moscow) and a config school1 the table overrides with Thursday 11:00."""
    config = parse_settings({"schools": [{"id": "config-only", "name": "Школа из настроек"},
                                         {"id": "school1", "name": "Школа 1",
                                          "schedule": {"reminders": {"day": "fri", "time": "12:00"}}}]}, tmp_path)
    return config.with_table_schools(_records())


async def _scheduler(db: Database, settings: Settings, now: dt.datetime) -> tuple[Scheduler, RecordingReminders]:
    await PeopleRepo(db).sync_organizations(Organization(id=s.id, name=s.name) for s in settings.schools)
    reminders = RecordingReminders()
    deps = FakeDeps(settings=settings, db=db, clock=MovableClock(now), reminders=reminders, privacy=FakePrivacy())
    return Scheduler(deps), reminders  # type: ignore[arg-type]


async def test_each_school_is_reminded_at_its_own_local_time(db: Database, tmp_path: Path) -> None:
    """Checked every 10 minutes from Sunday to Saturday: each school's reminders run once, at its local time;
    the table's «off» school never; the overridden school1 on Thursday (the table's), not Friday (the config's)."""
    settings = _settings(tmp_path)
    sched, reminders = await _scheduler(db, settings, SUNDAY_NOON_UTC)
    assert set((await sched.catch_up(SUNDAY_NOON_UTC)).values()) == {"baseline"}
    jobs = [j for j in sched.specs if j.endswith(":reminders")]
    moment = SUNDAY_NOON_UTC
    while moment < SUNDAY_NOON_UTC + dt.timedelta(days=6):
        moment += dt.timedelta(minutes=10)
        for job in jobs:
            await sched.check(job, moment)
    local = {org: at.astimezone(settings.school(org).tz) for org, at in reminders.runs}
    assert len(reminders.runs) == len(local) == 5
    assert {org: (at.strftime("%a %H:%M")) for org, at in local.items()} == {
        "tue-yekt": "Tue 09:00", "wed-vlat": "Wed 15:30", "default-kgd": "Mon 10:00", "school1": "Thu 11:00",
        "config-only": "Mon 10:00"}
    assert local["tue-yekt"].astimezone(UTC) == dt.datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
    assert local["wed-vlat"].astimezone(UTC) == dt.datetime(2026, 11, 25, 5, 30, tzinfo=UTC)
    assert "off-msk:reminders" not in sched.specs


async def test_a_table_school_is_not_reminded_on_monday(db: Database, tmp_path: Path) -> None:
    """At the default Monday 10:00 the Tuesday school's job is idle; at Tuesday 09:00 its time it runs, once."""
    settings = _settings(tmp_path)
    sched, reminders = await _scheduler(db, settings, SUNDAY_NOON_UTC)
    await sched.catch_up(SUNDAY_NOON_UTC)
    yekt = settings.school("tue-yekt").tz
    assert await sched.check("tue-yekt:reminders", MONDAY_10) == "idle"
    assert await sched.check("tue-yekt:reminders", dt.datetime(2026, 11, 23, 10, 0, tzinfo=yekt)) == "idle"
    tuesday_9 = dt.datetime(2026, 11, 24, 9, 0, tzinfo=yekt)
    assert await sched.check("tue-yekt:reminders", tuesday_9 - dt.timedelta(minutes=1)) == "idle"
    assert await sched.check("tue-yekt:reminders", tuesday_9) == "ok"
    assert await sched.check("tue-yekt:reminders", tuesday_9 + dt.timedelta(hours=1)) == "idle"
    assert reminders.runs == [("tue-yekt", tuesday_9)]


async def test_a_changed_table_moves_the_running_timer(db: Database, tmp_path: Path) -> None:
    """The running scheduler's timer of a school follows a new time after the table is read again; a school
    switched off loses its timer."""
    settings = _settings(tmp_path)
    sched, _ = await _scheduler(db, settings, SUNDAY_NOON_UTC)
    await sched.start()
    try:
        assert sched._aps is not None
        before = sched._aps.get_job("tue-yekt:reminders").trigger.get_next_fire_time(None, SUNDAY_NOON_UTC)
        assert before == dt.datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
        records = _records()
        records[0]["reminders_at"], records[1]["reminders_at"] = "fri 08:15", "off"
        assert settings.refresh_table_schools(records) is True
        sched.refresh_schools()
        after = sched._aps.get_job("tue-yekt:reminders").trigger.get_next_fire_time(None, SUNDAY_NOON_UTC)
        assert after == dt.datetime(2026, 11, 27, 3, 15, tzinfo=UTC)
        assert sched._aps.get_job("wed-vlat:reminders") is None and "wed-vlat:reminders" not in sched.specs
    finally:
        await sched.shutdown()
