"""The reminders of every school due at one moment run as one set-wise wave (`Scheduler.check_wave`,
`ReminderService.run_wave`), on SQLite and PostgreSQL: each school keeps its quiet hours, timezone, slot and
deputy's report; a restart or a second check sends nothing again; a wave killed between staging and recording
is finished by the next start without a duplicate."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.composition import reminder_stores
from bot.config import Settings, parse_settings
from bot.domain.models import CONFIG_NAMES, Organization, Role
from bot.ports import Delivery, OutMessage
from bot.scheduler import Scheduler
from bot.services.chats import ChatsService
from bot.services.reachability import ReachabilityService
from bot.services.reminders import Links, ReminderService
from bot.vk.outbound import VkOutbound
from storage.chats import ChatsRepo, ChatsSql
from storage.outbox import OutboxRepo
from storage.people import PeopleRepo
from storage.reach import ReachRepo
from storage.sql import Database
from tests.conftest import open_backend
from tests.reminders.conftest import MONDAY_10, MovableClock, seed_stats
from tests.reminders.test_scheduler import FakeDeps, FakePrivacy

SUNDAY = MONDAY_10 - dt.timedelta(days=1)
# (school, timezone, its reminders and quiet hours): at Monday 10:00 in Moscow, «msk» and «yekt» (Monday 10:00
# local, two hours earlier) are due, «quiet» is in its own quiet hours, «vlat» (Monday 18:00 local) is not due yet.
SCHOOLS = [
    ("msk", "Europe/Moscow", {}, 2001),
    ("yekt", "Asia/Yekaterinburg", {}, 2002),
    ("quiet", "Europe/Moscow", {"quiet_hours": {"start": "09:00", "end": "11:00", "weekends": True}}, 2003),
    ("vlat", "Asia/Vladivostok", {"reminders": {"day": "mon", "time": "18:00"}}, 2004),
]
TEACHERS = 3


class Killed(BaseException):
    """A SIGKILL at the injected point: nothing after it runs, nothing catches it."""


class LedgerOutbound:
    """Stages each message in the real outbox and delivers each pending outbox row once (the messenger's
    ledger outlives a restart, as the people's chats do); a row already sent is not delivered again."""

    def __init__(self, db: Database, settings: Settings, ledger: list[OutMessage]) -> None:
        self._db = db
        self._vk = VkOutbound(None, OutboxRepo(db), settings)  # type: ignore[arg-type]  # stages only
        self.delivered = ledger

    async def enqueue_in(self, conn: Any, messages: Sequence[OutMessage]) -> None:
        await self._vk.enqueue_in(conn, messages)

    async def send_bulk(self, messages: Sequence[OutMessage]) -> list[Delivery]:
        async with self._db.transaction() as conn:
            await self._vk.enqueue_in(conn, messages)
        rows = await OutboxRepo(self._db).by_keys([m.idem_key or "" for m in messages])
        async with self._db.transaction() as conn:
            for message in messages:
                if rows[message.idem_key or ""].status == "pending":
                    self.delivered.append(message)
                    await conn.execute("UPDATE outbox SET status = 'sent' WHERE idem_key = ?", (message.idem_key,))
        return [Delivery(peer_id=m.peer_id, ok=True, person_id=m.person_id) for m in messages]


@dataclass
class Region:
    db: Database
    settings: Settings
    ledger: list[OutMessage] = field(default_factory=list)

    def start(self, now: dt.datetime, links: Links | None = None) -> tuple[Scheduler, ReminderService]:
        """A fresh process: a new service and scheduler over the same database and messenger."""
        clock = MovableClock(now)
        service = ReminderService(reminder_stores(self.db, self.settings), self.settings,
                                  LedgerOutbound(self.db, self.settings, self.ledger), clock, links=links)
        deps = FakeDeps(settings=self.settings, db=self.db, clock=clock, reminders=service, privacy=FakePrivacy())
        return Scheduler(deps), service  # type: ignore[arg-type]

    def reminded(self) -> Counter[int]:
        return Counter(m.peer_id for m in self.ledger if m.kind == "reminder")

    def reports(self) -> Counter[int]:
        return Counter(m.peer_id for m in self.ledger if m.kind == "reminder_report")


def _settings(tmp_path: Path) -> Settings:
    return parse_settings({"vk": {"token": "test"}, "schools": [
        {"id": org, "name": f"Школа {org}", "timezone": tz, "deputy_vk_ids": [deputy],
         "schedule": {k: v for k, v in extra.items() if k == "quiet_hours" or k == "reminders"}}
        for org, tz, extra, deputy in SCHOOLS]}, tmp_path)


def _teacher_vk(n: int, k: int) -> int:
    return 10_000 + n * 100 + k


@pytest.fixture(params=["sqlite", "postgres"])
async def region(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Region]:
    """Four schools of three teachers under the message threshold, each with its deputy."""
    db = await open_backend(request.param, tmp_path, request)
    settings = _settings(tmp_path)
    people = PeopleRepo(db)
    await people.sync_organizations(Organization(id=s.id, name=s.name, timezone=s.timezone) for s in settings.schools)
    for n, (org, _, _, deputy) in enumerate(SCHOOLS):
        await people.ensure_config_person(org, deputy, Role.DEPUTY, CONFIG_NAMES[Role.DEPUTY])
        teachers = [await people.add(org, f"Учитель{k} Анна Петровна", Role.TEACHER, vk_id=_teacher_vk(n, k))
                    for k in range(TEACHERS)]
        await seed_stats(db, [(t.id, {"group_messages": 1}) for t in teachers], org_id=org)
    try:
        yield Region(db, settings)
    finally:
        await db.close()


def _jobs(scheduler: Scheduler) -> list[str]:
    return [job_id for job_id, spec in scheduler.specs.items() if spec.kind == "reminders"]


async def test_one_wave_reminds_each_due_school_once_in_its_own_time(region: Region) -> None:
    """At Monday 10:00 in Moscow the due schools (Moscow and Yekaterinburg) are reminded in one wave, each deputy
    gets their own school's report; the school in its quiet hours waits, the one due later stays idle; a second
    check and a restarted scheduler send nothing again."""
    scheduler, _ = region.start(SUNDAY)
    assert set((await scheduler.catch_up(SUNDAY)).values()) == {"baseline"}
    now = MONDAY_10.astimezone(dt.UTC)
    outcome = await scheduler.check_wave(_jobs(scheduler), now)
    assert outcome == {"msk:reminders": "ok", "yekt:reminders": "ok", "quiet:reminders": "deferred",
                       "vlat:reminders": "idle"}
    assert region.reminded() == Counter({_teacher_vk(n, k): 1 for n in (0, 1) for k in range(TEACHERS)})
    assert region.reports() == Counter({2001: 1, 2002: 1})
    report = next(m for m in region.ledger if m.peer_id == 2002)
    assert report.org_id == "yekt" and f"из {TEACHERS}." in report.text.splitlines()[0]
    assert scheduler.deferred["quiet:reminders"] == dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)  # 11:00 MSK
    jobs = await scheduler.repo.jobs_of(["msk:reminders", "yekt:reminders"])
    assert {j: r.last_slot for j, r in jobs.items()} == {
        "msk:reminders": now, "yekt:reminders": dt.datetime(2026, 11, 23, 5, 0, tzinfo=dt.UTC)}

    assert set((await scheduler.check_wave(_jobs(scheduler), now)).values()) <= {"idle", "deferred"}
    restarted, _ = region.start(now)
    assert set((await restarted.catch_up(now)).values()) - {"ok"} <= {"idle", "deferred"}
    assert (await restarted.catch_up(now))["msk:reminders"] == "idle"
    assert max(region.reminded().values()) == 1 and max(region.reports().values()) == 1

    later = dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.UTC)  # 14:00 MSK: «quiet» is out of its quiet hours
    assert (await restarted.check_wave(_jobs(restarted), later))["quiet:reminders"] == "ok"
    assert region.reports() == Counter({2001: 1, 2002: 1, 2003: 1})
    assert max(region.reminded().values()) == 1 and len(region.reminded()) == 3 * TEACHERS


@pytest.mark.parametrize("point", ["finish_in", "mark_jobs"])
async def test_a_wave_killed_between_staging_and_recording_is_finished_once(region: Region, point: str,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed after the wave was logged and staged but before the log was finished (or before the slots were
    recorded): the next start runs the slots again, re-plans only what was not finished, and nobody gets a
    reminder or a report twice."""
    scheduler, service = region.start(SUNDAY)
    await scheduler.catch_up(SUNDAY)
    now = MONDAY_10.astimezone(dt.UTC)
    target = service.repo if point == "finish_in" else scheduler.repo

    async def killed(*args: Any, **kwargs: Any) -> None:
        raise Killed

    monkeypatch.setattr(target, point, killed)
    with pytest.raises((Killed, BaseExceptionGroup)):
        await scheduler.check_wave(_jobs(scheduler), now)
    staged = await OutboxRepo(region.db).counts("vk")
    assert sum(staged.values()) >= 2 * TEACHERS  # the wave was staged before the kill
    assert (await scheduler.repo.jobs_of(["msk:reminders"]))["msk:reminders"].outcome == "baseline"
    monkeypatch.undo()

    restarted, _ = region.start(now)
    outcome = await restarted.catch_up(now)
    assert (outcome["msk:reminders"], outcome["yekt:reminders"]) == ("ok", "ok")
    assert region.reminded() == Counter({_teacher_vk(n, k): 1 for n in (0, 1) for k in range(TEACHERS)})
    assert region.reports() == Counter({2001: 1, 2002: 1})
    async with region.db.read() as conn, conn.execute(
            "SELECT status, COUNT(*) FROM reminder_log GROUP BY status") as cur:
        assert {r[0]: r[1] for r in await cur.fetchall()} == {"sent": 2 * TEACHERS}
    assert (await restarted.catch_up(now))["msk:reminders"] == "idle"


async def test_a_failing_wave_runs_the_schools_one_by_one(region: Region, monkeypatch: pytest.MonkeyPatch) -> None:
    """A wave that fails (a bug, a lost connection) is run again school by school: every due school is still
    reminded once, and its slot recorded."""
    scheduler, service = region.start(SUNDAY)
    await scheduler.catch_up(SUNDAY)

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("wave broken")

    monkeypatch.setattr(service, "plan_wave", broken)
    outcome = await scheduler.check_wave(_jobs(scheduler), MONDAY_10.astimezone(dt.UTC))
    assert (outcome["msk:reminders"], outcome["yekt:reminders"]) == ("ok", "ok")
    assert region.reminded() == Counter({_teacher_vk(n, k): 1 for n in (0, 1) for k in range(TEACHERS)})
    assert region.reports() == Counter({2001: 1, 2002: 1})


async def test_timers_firing_together_join_one_wave(region: Region, monkeypatch: pytest.MonkeyPatch) -> None:
    """APScheduler starts the timers due at one moment in one pass: the scheduler runs them as one wave."""
    scheduler, service = region.start(MONDAY_10)
    await scheduler.catch_up(SUNDAY)
    waves: list[list[str]] = []
    real = service.run_wave

    async def recording(runs: dict[str, str], *, now: dt.datetime | None = None) -> Any:
        waves.append(sorted(runs))
        return await real(runs, now=now)

    monkeypatch.setattr(service, "run_wave", recording)
    await asyncio.gather(*(scheduler._timer(job_id) for job_id in _jobs(scheduler)))
    while scheduler._tasks:  # the wave task the timers spawned
        await asyncio.gather(*scheduler._tasks)
    assert waves == [["msk", "yekt"]]
    assert region.reports() == Counter({2001: 1, 2002: 1})


class PerSchoolRefused:
    """A feature's service whose per-school reads fail the test: a wave reads every school at once."""

    def __init__(self, service: Any, *refused: str) -> None:
        self._service = service
        self._refused = refused
        self.calls: list[list[str]] = []

    def __getattr__(self, name: str) -> Any:
        if name in self._refused:
            raise AssertionError(f"{name} read one school inside a wave")
        method = getattr(self._service, name)

        async def recorded(org_ids: Sequence[str]) -> Any:
            self.calls.append(list(org_ids))
            return await method(org_ids)

        return recorded


async def test_a_wave_reads_chats_and_reachability_once_for_all_its_schools(region: Region) -> None:
    """With the chats migration and reachability on, a wave reads each of them once for all its due schools
    (not once per school): a chat not confirmed still becomes a reason, and someone the school's community
    may not write to is still in the deputy's report."""
    people = {p.full_name: p for p in await PeopleRepo(region.db).in_org("msk")}
    async with region.db.transaction() as conn:
        await ChatsRepo.add_custom(conn, "msk", people["Учитель0 Анна Петровна"].id, "Кружок робототехники")
    await ReachRepo(region.db).deny(_teacher_vk(1, 2))  # yekt's third teacher forbade the community's messages
    chats = PerSchoolRefused(ChatsService(ChatsSql(region.db), region.settings), "missing_by_person")
    reach = PerSchoolRefused(ReachabilityService(ReachRepo(region.db)), "unreachable")
    scheduler, _ = region.start(SUNDAY, Links(chats=chats, reachability=reach))  # type: ignore[arg-type]
    await scheduler.catch_up(SUNDAY)
    outcome = await scheduler.check_wave(_jobs(scheduler), MONDAY_10.astimezone(dt.UTC))
    assert (outcome["msk:reminders"], outcome["yekt:reminders"]) == ("ok", "ok")
    assert chats.calls == [["msk", "yekt"]] and reach.calls == [["msk", "yekt"]]
    robotics = [m for m in region.ledger if m.kind == "reminder" and "Кружок робототехники" in m.text]
    assert [m.peer_id for m in robotics] == [_teacher_vk(0, 0)]
    reports = {m.org_id: m.text for m in region.ledger if m.kind == "reminder_report"}
    assert reports["yekt"].startswith(f"Напоминания за неделю 14.11.2026–20.11.2026: не дошли до 1 из {TEACHERS}.")
    assert "Учитель2 Анна Петровна — " in reports["yekt"] and "не дошли до 0" in reports["msk"]


async def test_the_garbage_collector_pauses_while_a_wave_runs(region: Region, monkeypatch: pytest.MonkeyPatch) -> None:
    """The collector is off while a wave runs (two overlapping waves: until the second ends) and on again after,
    also after a wave that failed; a collector someone had turned off stays off."""
    scheduler, service = region.start(SUNDAY)
    await scheduler.catch_up(SUNDAY)
    seen: list[bool] = []
    real = service.run_wave
    started, inner = asyncio.Event(), asyncio.Event()

    async def observed(runs: dict[str, str], *, now: dt.datetime | None = None) -> Any:
        seen.append(gc.isenabled())
        if "msk" in runs:  # the first wave waits until the second one has started and ended
            started.set()
            await inner.wait()
            seen.append(gc.isenabled())
        return await real(runs, now=now)

    monkeypatch.setattr(service, "run_wave", observed)
    now = MONDAY_10.astimezone(dt.UTC)

    async def second() -> dict[str, str]:
        await started.wait()
        try:
            return await scheduler.check_wave(["yekt:reminders"], now)
        finally:
            inner.set()

    assert gc.isenabled()
    first, other = await asyncio.gather(scheduler.check_wave(["msk:reminders"], now), second())
    assert (first, other) == ({"msk:reminders": "ok"}, {"yekt:reminders": "ok"})
    assert seen == [False, False, False] and gc.isenabled()

    async def broken(runs: dict[str, str], *, now: dt.datetime | None = None) -> Any:
        raise RuntimeError("wave broken")

    monkeypatch.setattr(service, "run_wave", broken)
    later = dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.UTC)
    assert (await scheduler.check_wave(["quiet:reminders"], later)) == {"quiet:reminders": "ok"}  # one by one
    assert gc.isenabled()
    gc.disable()
    try:
        monkeypatch.setattr(service, "run_wave", real)
        assert (await scheduler.check_wave(["vlat:reminders"], dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC))
                ) == {"vlat:reminders": "ok"}
        assert not gc.isenabled()
    finally:
        gc.enable()
