"""The scheduler: weekly reminders, the mid-week nudge, the missing-table note, the weekly
summary, the daily backup and retention, each in its school's timezone.

Storage is the source of truth and APScheduler only a set of timers: every timer
calls `check(job_id, now)`, which looks up the job's latest slot and the slot last
handled (`job_runs`) and runs the job at most once per slot. So a run missed while
the bot was down fires once at start (`catch_up`), a run that falls in quiet hours
waits for the first minute outside them, and a run killed half-way is finished by
the next start (its sends are idempotent). The reminder timers that fire at one moment (a region's
schools at the default Monday 10:00) join one set-wise wave (`check_wave`): each school keeps its own
slot, quiet hours and report, but the wave is planned, logged and staged with a few queries and
transactions instead of a few per school. Nothing is created at import time; the
composition root builds a `Scheduler`, `App.run()` starts it, `App.close()` stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from bot.collector import collector_paused
from bot.domain.quiet import first_loud_minute, is_quiet
from bot.domain.schedule import JobSpec, job_specs, last_slot, next_runs
from storage.reminders import JobRun, ReminderRepo
from storage.stats import StatsRepo

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot.deps import Deps

__all__ = ["Scheduler", "next_runs"]

log = logging.getLogger(__name__)

# The summary goes a while after the import, so the deputy can resolve kept-aside rows first.
SUMMARY_SETTLE = dt.timedelta(minutes=10)
# A table older than this is history, not «the Friday import» (no summary on a first start).
SUMMARY_FRESH = dt.timedelta(days=14)
SUMMARY_JOB = "weekly_summary"


class Scheduler:
    """Timers for every school's jobs, fired at most once per slot and never in quiet hours."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._settings = deps.settings
        self._clock = deps.clock
        self.repo = ReminderRepo(deps.db)
        self._stats = StatsRepo(deps.db)
        self.specs: dict[str, JobSpec] = {s.job_id: s for s in job_specs(deps.settings)}
        self.deferred: dict[str, dt.datetime] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._aps: AsyncIOScheduler | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        # Reminder timers that fired and wait to run together as one wave (see `_timer`).
        self._due: set[str] = set()

    # --- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Add the timers, start APScheduler and catch up on missed runs in the background."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler
        from apscheduler.triggers.cron import CronTrigger

        aps = AsyncIOScheduler(timezone=dt.UTC)
        for spec in self.specs.values():
            aps.add_job(self._timer, spec.trigger, args=[spec.job_id], id=spec.job_id, replace_existing=True,
                        coalesce=True, max_instances=1, misfire_grace_time=None)
        aps.add_job(self._summary_timer, CronTrigger(minute="*", timezone=dt.UTC), id=SUMMARY_JOB,
                    replace_existing=True, coalesce=True, max_instances=1, misfire_grace_time=None)
        aps.start()
        self._aps = aps
        self._spawn(self.catch_up())

    def refresh_schools(self) -> None:
        """The schools changed (bot.live_schools): jobs of new schools are added, changed ones rescheduled,
        and those of schools that left removed."""
        specs = {s.job_id: s for s in job_specs(self._settings)}

        def same(old: JobSpec | None, new: JobSpec) -> bool:
            # APScheduler's triggers have no equality: their text says when they fire.
            return old is not None and (old.tz, old.quiet, str(old.trigger)) == (new.tz, new.quiet, str(new.trigger))

        if self._aps is not None:
            for job_id in self.specs.keys() - specs.keys():
                self._aps.remove_job(job_id)
            for spec in specs.values():
                if not same(self.specs.get(spec.job_id), spec):
                    self._aps.add_job(self._timer, spec.trigger, args=[spec.job_id], id=spec.job_id,
                                      replace_existing=True, coalesce=True, max_instances=1, misfire_grace_time=None)
        self.specs = specs

    async def shutdown(self) -> None:
        """Stop the timers and cancel jobs still running (their sends resume at the next start)."""
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("задача расписания завершилась с ошибкой", exc_info=task.exception())

    async def _timer(self, job_id: str) -> None:
        # APScheduler awaits this; the job itself runs as our task so shutdown can cancel it.
        spec = self.specs.get(job_id)
        if spec is None or spec.kind != "reminders":
            self._spawn(self.check(job_id, self._clock.now()))
            return
        # The reminder timers due at one moment (a region's schools at the default Monday 10:00) are
        # started by APScheduler in one pass, one task each, queued before the wave task spawned by the
        # first: by the time it runs they have all joined it, and the schools are planned as one wave.
        first = not self._due
        self._due.add(job_id)
        if first:
            self._spawn(self._wave())

    async def _wave(self) -> None:
        await asyncio.sleep(0)  # let the timers started in the same pass join (see `_timer`)
        due, self._due = sorted(self._due), set()
        await self.check_wave(due, self._clock.now())

    async def _summary_timer(self) -> None:
        self._spawn(self.summary_check(self._clock.now()))

    # --- firing ----------------------------------------------------------------------

    def next_runs(self, now: dt.datetime) -> list[tuple[str, str, dt.datetime]]:
        """(school, job label, when) of the next runs, soonest first."""
        return next_runs(self._settings, now)

    async def catch_up(self, now: dt.datetime | None = None) -> dict[str, str]:
        """Check every job once: a slot missed while the bot was down runs now (or after quiet hours)."""
        now = now or self._clock.now()
        waves = [job_id for job_id, spec in self.specs.items() if spec.kind == "reminders"]
        outcome = await self.check_wave(waves, now)
        outcome.update({job_id: await self.check(job_id, now) for job_id in self.specs if job_id not in outcome})
        await self.summary_check(now)
        return {job_id: outcome[job_id] for job_id in self.specs}

    async def check(self, job_id: str, now: dt.datetime) -> str:
        """Run the job for its latest slot if that slot was not handled yet.

        Returns what happened: 'baseline' (first start: nothing counts as missed),
        'idle' (already handled), 'deferred' (quiet hours), or the job's outcome.
        """
        spec = self.specs[job_id]
        async with self._locks.setdefault(job_id, asyncio.Lock()):
            state, slot = self._state(spec, await self.repo.job(job_id), now)
            if state == "baseline":
                await self.repo.mark_job(job_id, slot, "baseline", now)
            if state != "due":
                return state
            log.info("running %s for its slot %s", job_id, slot.isoformat())
            try:
                outcome = await self._run(spec, slot, now)
            except Exception:
                # Marked as handled all the same: a failing job must not fire in a loop.
                log.exception("задача расписания %s завершилась с ошибкой", job_id)
                outcome = "error"
            await self.repo.mark_job(job_id, slot, outcome, self._clock.now())
            return outcome

    async def check_wave(self, job_ids: Sequence[str], now: dt.datetime) -> dict[str, str]:
        """`check` of several schools' reminder jobs due at one moment, run as one set-wise wave.

        Each job keeps its own slot, baseline, quiet hours and timezone; the schools whose slot is due are
        planned, logged and staged together (`ReminderService.run_wave`) and their slots recorded in one
        transaction. A wave that fails is run again school by school, so one school's fault stays its own.
        """
        specs = [self.specs[job_id] for job_id in dict.fromkeys(job_ids)]
        if any(spec.kind != "reminders" for spec in specs):
            raise ValueError("check_wave runs reminder jobs only")
        outcome: dict[str, str] = {}
        async with contextlib.AsyncExitStack() as stack:
            for spec in sorted(specs, key=lambda s: s.job_id):  # one order: two waves never wait on each other
                await stack.enter_async_context(self._locks.setdefault(spec.job_id, asyncio.Lock()))
            records = await self.repo.jobs_of([spec.job_id for spec in specs])
            baseline: list[tuple[str, dt.datetime, str]] = []
            runs: dict[str, tuple[JobSpec, dt.datetime]] = {}
            for spec in specs:
                state, slot = self._state(spec, records.get(spec.job_id), now)
                if state == "due":
                    runs[spec.org_id] = (spec, slot)
                    continue
                if state == "baseline":
                    baseline.append((spec.job_id, slot, "baseline"))
                outcome[spec.job_id] = state
            if baseline:
                await self.repo.mark_jobs(baseline, now)
            if runs:
                log.info("running the reminders of %d schools as one wave", len(runs))
                with collector_paused():
                    outcome.update(await self._run_wave(runs, now))
                await self.repo.mark_jobs([(spec.job_id, slot, outcome[spec.job_id]) for spec, slot in runs.values()],
                                          self._clock.now())
        return outcome

    async def _run_wave(self, runs: dict[str, tuple[JobSpec, dt.datetime]], now: dt.datetime) -> dict[str, str]:
        reminders = self._deps.reminders
        if reminders is None:
            log.info("reminders of %d schools skipped: reminders are off", len(runs))
            return {spec.job_id: "skipped" for spec, _ in runs.values()}
        keys = {org_id: _run_key(spec, slot) for org_id, (spec, slot) in runs.items()}
        try:
            await reminders.run_wave(keys, now=now)
            return {spec.job_id: "ok" for spec, _ in runs.values()}
        except Exception:
            # Run again school by school: what the wave finished is not planned again, what it staged goes
            # under the same keys, and a faulty school fails alone (marked handled, not fired in a loop).
            log.exception("волна напоминаний %d школ завершилась с ошибкой; школы запускаются по одной", len(runs))
        outcome: dict[str, str] = {}
        for org_id, (spec, _) in runs.items():
            try:
                await reminders.run(org_id, now=now, run_key=keys[org_id])
                outcome[spec.job_id] = "ok"
            except Exception:
                log.exception("задача расписания %s завершилась с ошибкой", spec.job_id)
                outcome[spec.job_id] = "error"
        return outcome

    def _state(self, spec: JobSpec, record: JobRun | None, now: dt.datetime) -> tuple[str, dt.datetime]:
        """Where the job stands now, with the slot to record or run: 'baseline' (never started: nothing counts
        as missed), 'idle' (its latest slot is handled), 'deferred' (quiet hours; a timer is set) or 'due'."""
        slot = last_slot(spec.trigger, now)
        if record is None:
            return "baseline", slot or now
        if slot is None or slot <= record.last_slot:
            return "idle", now
        if spec.quiet is not None and is_quiet(now, spec.quiet, spec.tz):
            self._defer(spec.job_id, first_loud_minute(now, spec.quiet, spec.tz))
            return "deferred", now
        self.deferred.pop(spec.job_id, None)
        return "due", slot

    def _defer(self, job_id: str, when: dt.datetime) -> None:
        self.deferred[job_id] = when
        log.info("%s waits for the end of quiet hours: %s", job_id, when.isoformat())
        if self._aps is not None:
            from apscheduler.triggers.date import DateTrigger

            self._aps.add_job(self._timer, DateTrigger(run_date=when), args=[job_id], id=f"deferred:{job_id}",
                              replace_existing=True, misfire_grace_time=None)

    async def _run(self, spec: JobSpec, slot: dt.datetime, now: dt.datetime) -> str:
        deps = self._deps
        if spec.kind == "backup":
            path = await deps.privacy.scheduled_backup()
            log.info("backup saved to %s", path)
            return "ok"
        if spec.kind == "retention":
            await deps.privacy.enforce_retention()
            purged = await deps.dialogs.purge_expired()  # lapsed dialog steps read as absent; their rows go here
            log.info("retention: %s expired dialog steps removed", purged)
            return "ok"
        reminders = deps.reminders
        if reminders is None:
            log.info("%s skipped: reminders are off", spec.job_id)
            return "skipped"
        actions: dict[str, Callable[[], Awaitable[Any]]] = {
            "reminders": lambda: reminders.run(spec.org_id, now=now, run_key=_run_key(spec, slot)),
            "midweek_nudge": lambda: reminders.nudge(spec.org_id, now=now),
            "missing_import_check": lambda: reminders.missing_import_note(spec.org_id, now=now),
        }
        await actions[spec.kind]()
        return "ok"

    # --- the weekly summary after a new import -----------------------------------------

    async def summary_check(self, now: dt.datetime) -> list[str]:
        """Send the weekly summary of each school whose newest table has no summary yet."""
        summary = self._deps.summary
        sent: list[str] = []
        if summary is None:
            return sent
        for school in self._settings.schools:
            if not school.schedule.weekly_summary or is_quiet(now, school.schedule.quiet_hours, school.tz):
                continue
            job_id = f"{school.id}:{SUMMARY_JOB}"
            async with self._locks.setdefault(job_id, asyncio.Lock()):
                if await self._summary_due(school.id, job_id, now):
                    latest = await self._stats.latest_period(school.id)
                    assert latest is not None
                    try:
                        ok = await summary.send_weekly(school.id)
                        outcome = "ok" if ok else "nothing"
                    except Exception:
                        log.exception("недельная сводка школы %s не отправлена из-за ошибки", school.id)
                        outcome = "error"
                    await self.repo.mark_job(job_id, now, outcome, self._clock.now(), detail=latest.key)
                    sent.append(school.id)
        return sent

    async def _summary_due(self, org_id: str, job_id: str, now: dt.datetime) -> bool:
        latest = await self._stats.latest_period(org_id)
        if latest is None:
            return False
        record = await self.repo.job(job_id)
        if record is not None and record.detail is not None and record.detail >= latest.key:
            return False
        if latest.end < (now - SUMMARY_FRESH).date():
            await self.repo.mark_job(job_id, now, "baseline", now, detail=latest.key)
            return False
        imported = [r.imported_at for r in await self._stats.imports(org_id, limit=20)
                    if r.period is not None and r.period.start == latest.start]
        newest = max((dt.datetime.fromisoformat(at) for at in imported), default=None)
        return newest is None or now - newest >= SUMMARY_SETTLE


def _run_key(spec: JobSpec, slot: dt.datetime) -> str:
    """The name of a reminder run: its slot in the school's time (the deputy's report is sent once per key)."""
    return slot.astimezone(spec.tz).strftime("%Y-%m-%dT%H:%M")
