"""The scheduler: missed runs fire once, quiet hours defer, kills are finished, daily jobs, the summary."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.config import Settings, parse_settings
from bot.domain.models import Period
from bot.domain.schedule import job_specs, last_slot, next_fire, next_runs
from bot.messaging.events import ChatRef, Identity, Messenger
from bot.messaging.state import StateKey
from bot.scheduler import SUMMARY_SETTLE, Scheduler
from storage.db import Database
from tests.fakes.states import FakeStateStore
from tests.reminders.conftest import MONDAY_10, MSK, PERIOD, MovableClock, seed_stats

SUNDAY = MONDAY_10 - dt.timedelta(days=1)


@dataclass
class FakeReminders:
    calls: list[tuple[str, str]] = field(default_factory=list)
    hang: asyncio.Event | None = None
    fail: bool = False
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, org_id: str, *, now: dt.datetime, run_key: str | None = None) -> None:
        self.calls.append(("run", run_key or ""))
        self.started.set()
        if self.hang is not None:
            await self.hang.wait()
        if self.fail:
            raise RuntimeError("boom")

    async def run_wave(self, runs: dict[str, str], *, now: dt.datetime) -> None:
        for org_id, run_key in runs.items():
            await self.run(org_id, now=now, run_key=run_key)

    async def nudge(self, org_id: str, *, now: dt.datetime) -> int:
        self.calls.append(("nudge", ""))
        return 0

    async def missing_import_note(self, org_id: str, *, now: dt.datetime) -> bool:
        self.calls.append(("note", ""))
        return False

    def count(self, what: str) -> int:
        return sum(1 for c in self.calls if c[0] == what)


@dataclass
class FakePrivacy:
    backups: int = 0
    retentions: int = 0

    async def scheduled_backup(self) -> Path:
        self.backups += 1
        return Path("backup.sqlite3")

    async def enforce_retention(self) -> dict[str, int]:
        self.retentions += 1
        return {}


@dataclass
class FakeSummary:
    sent: list[str] = field(default_factory=list)

    async def send_weekly(self, org_id: str) -> bool:
        self.sent.append(org_id)
        return True


@dataclass
class FakeDeps:
    settings: Settings
    db: Database
    clock: MovableClock
    reminders: Any = field(default_factory=FakeReminders)
    privacy: Any = field(default_factory=FakePrivacy)
    summary: Any = None
    dialogs: Any = None

    def __post_init__(self) -> None:
        self.dialogs = FakeStateStore(self.clock.now)


def make(rdb: Database, settings: Settings, now: dt.datetime, **kwargs: Any) -> tuple[Scheduler, FakeDeps]:
    deps = FakeDeps(settings=settings, db=rdb, clock=MovableClock(now), **kwargs)
    return Scheduler(deps), deps  # type: ignore[arg-type]


async def test_first_start_is_a_baseline(rdb: Database, settings: Settings) -> None:
    """On a fresh database nothing counts as missed: no job runs at the first start."""
    sched, deps = make(rdb, settings, SUNDAY)
    outcome = await sched.catch_up(SUNDAY)
    assert set(outcome.values()) == {"baseline"}
    assert deps.reminders.calls == [] and deps.privacy.backups == 0


async def test_missed_run_fires_once(rdb: Database, settings: Settings) -> None:
    """Down over Monday 10:00: at Tuesday noon the reminders run once, and never again for that slot."""
    sched, deps = make(rdb, settings, SUNDAY)
    await sched.catch_up(SUNDAY)
    tuesday = MONDAY_10 + dt.timedelta(days=1, hours=2)
    restarted = Scheduler(deps)  # type: ignore[arg-type]
    outcome = await restarted.catch_up(tuesday)
    assert outcome["school1:reminders"] == "ok"
    assert outcome["school1:missing_import_check"] == "ok"
    assert deps.reminders.calls[0] == ("run", "2026-11-23T10:00")
    again = await Scheduler(deps).catch_up(tuesday + dt.timedelta(hours=1))  # type: ignore[arg-type]
    assert again["school1:reminders"] == "idle"
    assert deps.reminders.count("run") == 1 and deps.reminders.count("note") == 1


async def test_missed_run_waits_for_the_end_of_quiet_hours(rdb: Database, settings: Settings) -> None:
    """Back on Friday 21:00: the missed run waits until Monday 08:00 and then fires once."""
    sched, deps = make(rdb, settings, SUNDAY)
    await sched.catch_up(SUNDAY)
    friday_night = dt.datetime(2026, 11, 27, 21, 0, tzinfo=MSK)
    assert (await sched.check("school1:reminders", friday_night)) == "deferred"
    assert sched.deferred["school1:reminders"] == dt.datetime(2026, 11, 30, 8, 0, tzinfo=MSK)
    assert deps.reminders.calls == []
    monday_8 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=MSK)
    # 08:00 Monday: the slot now due is still the missed 23.11 one; it fires once.
    assert (await sched.check("school1:reminders", monday_8)) == "ok"
    assert deps.reminders.calls == [("run", "2026-11-23T10:00")]
    assert (await sched.check("school1:reminders", monday_8 + dt.timedelta(minutes=1))) == "idle"
    # At 10:00 the regular slot of 30.11 fires as usual.
    assert (await sched.check("school1:reminders", monday_8 + dt.timedelta(hours=2))) == "ok"
    assert deps.reminders.count("run") == 2 and "school1:reminders" not in sched.deferred


async def test_run_killed_half_way_is_run_again_at_restart(rdb: Database, settings: Settings) -> None:
    """A run cancelled mid-way is not marked done: the next start runs it (sends are idempotent)."""
    sched, deps = make(rdb, settings, SUNDAY)
    await sched.catch_up(SUNDAY)
    deps.reminders.hang = asyncio.Event()
    task = asyncio.create_task(sched.check("school1:reminders", MONDAY_10))
    await deps.reminders.started.wait()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    deps.reminders.hang = None
    restarted = Scheduler(deps)  # type: ignore[arg-type]
    assert (await restarted.check("school1:reminders", MONDAY_10 + dt.timedelta(minutes=3))) == "ok"
    assert (await restarted.check("school1:reminders", MONDAY_10 + dt.timedelta(minutes=4))) == "idle"
    assert deps.reminders.count("run") == 2


async def test_failing_job_is_not_retried_in_a_loop(rdb: Database, settings: Settings) -> None:
    """A job that raises is logged and its slot marked, so it does not fire again."""
    sched, deps = make(rdb, settings, SUNDAY)
    await sched.catch_up(SUNDAY)
    deps.reminders.fail = True
    assert (await sched.check("school1:reminders", MONDAY_10)) == "error"
    assert (await sched.check("school1:reminders", MONDAY_10 + dt.timedelta(minutes=1))) == "idle"


async def test_reminders_off_skip(rdb: Database, settings: Settings) -> None:
    """Without the reminders feature the weekly jobs are skipped, not failed."""
    sched, _ = make(rdb, settings, SUNDAY, reminders=None)
    await sched.catch_up(SUNDAY)
    assert (await sched.check("school1:reminders", MONDAY_10)) == "skipped"


async def test_daily_backup_and_retention_ignore_quiet_hours(rdb: Database, settings: Settings) -> None:
    """Backup and retention run at 03:00 (quiet for messages) once a day, a missed day once."""
    sched, deps = make(rdb, settings, SUNDAY)
    await sched.catch_up(SUNDAY)
    three = dt.datetime(2026, 11, 23, 3, 0, tzinfo=MSK)
    assert (await sched.check("*:backup", three)) == "ok"
    assert (await sched.check("*:retention", three)) == "ok"
    assert (await sched.check("*:backup", three + dt.timedelta(hours=5))) == "idle"
    await sched.catch_up(three + dt.timedelta(days=3))  # down for three days: one more run each
    assert (deps.privacy.backups, deps.privacy.retentions) == (2, 2)


async def test_retention_drops_expired_dialog_steps(rdb: Database, settings: Settings) -> None:
    """The daily retention removes dialog steps past their expiry and keeps live ones."""
    sched, deps = make(rdb, settings, SUNDAY)
    await sched.catch_up(SUNDAY)
    who = Identity(messenger=Messenger.VK, external_id=2001)
    lapsed, live = (StateKey.of(1, ChatRef.dialog_with(who), who, feature) for feature in ("broadcast", "chats"))
    await deps.dialogs.set(lapsed, "text", ttl=dt.timedelta(hours=2))
    await deps.dialogs.set(live, "link", ttl=dt.timedelta(days=60))
    three = dt.datetime(2026, 11, 23, 3, 0, tzinfo=MSK)
    deps.clock.set(three)
    assert (await sched.check("*:retention", three)) == "ok"
    assert await deps.dialogs.purge_expired() == 0  # the job already removed the lapsed one
    assert await deps.dialogs.get(live) is not None


async def test_weekly_summary_after_a_new_import(rdb: Database, settings: Settings) -> None:
    """The summary goes once per newly imported period, after it settles, outside quiet hours."""
    summary = FakeSummary()
    imported = dt.datetime.now(dt.UTC)  # the import below is stamped with the real time
    # A weekday noon in Moscow a few days after the import: loud, settled, the table still fresh.
    loud = (imported + dt.timedelta(days=3)).astimezone(MSK).replace(hour=12, minute=0, second=0, microsecond=0)
    while loud.weekday() >= 5:
        loud += dt.timedelta(days=1)
    sched, _ = make(rdb, settings, loud, summary=summary)
    assert await sched.summary_check(loud) == []  # nothing imported yet
    await seed_stats(rdb, [], period=Period.last_completed(loud))
    # Just imported: the deputy may still resolve kept-aside rows.
    assert not await sched._summary_due("school1", "school1:weekly_summary", imported + SUMMARY_SETTLE / 2)
    assert await sched._summary_due("school1", "school1:weekly_summary", imported + SUMMARY_SETTLE)
    assert await sched.summary_check(loud) == ["school1"]
    assert await sched.summary_check(loud + dt.timedelta(minutes=1)) == []
    assert summary.sent == ["school1"]
    # The next week's table brings the next summary.
    await seed_stats(rdb, [], period=Period.last_completed(loud).next())
    assert await sched.summary_check(loud + dt.timedelta(days=7)) == ["school1"]


async def test_weekly_summary_quiet_and_stale(rdb: Database, settings: Settings) -> None:
    """No summary in quiet hours; an old table at the first start is history, not news."""
    summary = FakeSummary()
    await seed_stats(rdb, [])
    sched, _ = make(rdb, settings, MONDAY_10, summary=summary)
    saturday = dt.datetime(2026, 11, 28, 12, 0, tzinfo=MSK)
    assert await sched.summary_check(saturday) == []
    much_later = dt.datetime(2027, 1, 11, 12, 0, tzinfo=MSK)
    assert await sched.summary_check(much_later) == [] and summary.sent == []


async def test_start_builds_timers_in_the_school_timezone(rdb: Database, tmp_path: Path) -> None:
    """start() adds one timer per job (Monday 10:00 in Yekaterinburg is 05:00 UTC); shutdown stops it."""
    settings = parse_settings({"schools": [{"id": "s", "timezone": "Asia/Yekaterinburg",
                                            "schedule": {"midweek_nudge": {"enabled": True}}}]}, tmp_path)
    from bot.domain.models import Organization
    from storage.people import PeopleRepo

    await PeopleRepo(rdb).sync_organizations([Organization(id="s", name="s")])
    sched, _ = make(rdb, settings, SUNDAY)
    await sched.start()
    try:
        aps = sched._aps
        assert aps is not None
        ids = {job.id for job in aps.get_jobs()}
        assert {"s:reminders", "s:midweek_nudge", "s:missing_import_check", "*:backup", "*:retention",
                "weekly_summary"} <= ids
        when = aps.get_job("s:reminders").next_run_time
        assert when.astimezone(dt.UTC).hour == 5 and when.astimezone(dt.UTC).weekday() == 0
    finally:
        await sched.shutdown()
    assert sched._aps is None


def test_next_fire_and_last_slot(settings: Settings) -> None:
    """The pure helpers agree with each other and with the trust status command."""
    spec = next(s for s in job_specs(settings) if s.job_id == "school1:reminders")
    assert next_fire(spec.trigger, MONDAY_10) == MONDAY_10 + dt.timedelta(days=7)
    assert next_fire(spec.trigger, SUNDAY) == MONDAY_10
    assert last_slot(spec.trigger, MONDAY_10) == MONDAY_10
    assert last_slot(spec.trigger, MONDAY_10 - dt.timedelta(seconds=1)) == MONDAY_10 - dt.timedelta(days=7)
    from bot.commands.trust import next_runs as trust_runs

    assert trust_runs(settings, SUNDAY) == next_runs(settings, SUNDAY)
    assert next_runs(settings, SUNDAY)[0][1] == "резервная копия"
    assert PERIOD.end < MONDAY_10.date()
