"""The scheduled-wave benchmark at a tiny scale, so that it cannot rot: each school's run happens at its own due
moment through the real scheduler and reminder service, and every teacher is planned, logged and staged once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from storage.db import Database
from tests import benchmark_scripts

bench = benchmark_scripts.load("bench_schedule_wave")
wave_plan = benchmark_scripts.load("wave_plan")


async def test_a_tiny_region_is_reminded_at_the_tables_times(tmp_path: Path) -> None:
    """8 schools × 3 teachers at the table's times: 8 due moments of one school each (4 times × 5 zones, in turn),
    each at its local time from the table; 24 reminders logged and staged, none twice."""
    settings = bench.table_settings(8, tmp_path, spread=True)
    db = await Database.open(tmp_path / "region.sqlite3")
    try:
        await wave_plan.seed(db, settings, 3)
        week = await bench.scheduled_week(db, settings)
    finally:
        await db.close()
    assert (week["planned"], week["outbox"]) == (24, 24)
    assert [count for _, count, _ in week["moments"]] == [1] * 8
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    expected = sorted(dt.datetime(2026, 11, 23 + days.index(s.schedule.reminders.day), s.schedule.reminders.hour,
                                  s.schedule.reminders.minute, tzinfo=s.tz) for s in settings.schools)
    assert [when for when, _, _ in week["moments"]] == expected
    by_school = {s.id: (s.schedule.reminders.day, s.schedule.reminders.time, s.timezone) for s in settings.schools}
    assert by_school["s0000"] == ("mon", "10:00", "Europe/Moscow")
    assert by_school["s0001"] == ("tue", "09:00", "Asia/Yekaterinburg")
    assert by_school["s0006"] == ("wed", "15:30", "Asia/Yekaterinburg")
