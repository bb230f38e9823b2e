"""Scheduled jobs as data, and when each fires next (pure; no scheduler runs here).

`bot/scheduler.py` turns these specs into APScheduler jobs; `sferum-bot status` and
«Мой статус» read the same next-run times, so all three agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.config import QuietHours, Settings, WeeklyTime

# Jobs per school (weekly, in the school's timezone) and global daily jobs.
WEEKLY_JOBS = ("reminders", "midweek_nudge", "missing_import_check")
JOB_LABELS = {
    "reminders": "напоминания",
    "midweek_nudge": "напоминание в середине недели",
    "missing_import_check": "проверка пятничной таблицы",
    "weekly_summary": "сводка после загрузки таблицы",
    "backup": "резервная копия",
    "retention": "удаление старых данных",
}
GLOBAL_ORG = "*"
# How far back to look for the slot a job last had (longer than a week).
_LOOKBACK = dt.timedelta(days=8)


def weekly_trigger(weekly: WeeklyTime, tz: ZoneInfo) -> CronTrigger:
    """A CronTrigger for «Monday 10:00» in the school's timezone."""
    return CronTrigger(day_of_week=weekly.day, hour=weekly.hour, minute=weekly.minute, timezone=tz)


def daily_trigger(hhmm: str, tz: ZoneInfo) -> CronTrigger:
    """A CronTrigger for every day at ЧЧ:ММ."""
    return CronTrigger(hour=int(hhmm[:2]), minute=int(hhmm[3:]), timezone=tz)


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: which school, what, when, and whether quiet hours hold it back."""

    job_id: str
    org_id: str
    kind: str
    trigger: Any  # an APScheduler trigger (CronTrigger)
    tz: ZoneInfo
    quiet: QuietHours | None

    @property
    def label(self) -> str:
        return JOB_LABELS[self.kind]


def job_specs(settings: Settings) -> list[JobSpec]:
    """Every job the settings switch on, with stable ids such as «school1:reminders»."""
    specs: list[JobSpec] = []
    for school in settings.schools:
        for kind in WEEKLY_JOBS:
            weekly: WeeklyTime = getattr(school.schedule, kind)
            if weekly.enabled:
                specs.append(JobSpec(f"{school.id}:{kind}", school.id, kind, weekly_trigger(weekly, school.tz),
                                     school.tz, school.schedule.quiet_hours))
    # Daily jobs run at the backup time in the first school's timezone; not messages, so no quiet hours.
    tz = settings.schools[0].tz
    if settings.backup.enabled:
        specs.append(JobSpec(f"{GLOBAL_ORG}:backup", GLOBAL_ORG, "backup",
                             daily_trigger(settings.backup.time, tz), tz, None))
    specs.append(JobSpec(f"{GLOBAL_ORG}:retention", GLOBAL_ORG, "retention",
                         daily_trigger(settings.backup.time, tz), tz, None))
    return specs


def next_fire(trigger: Any, after: dt.datetime) -> dt.datetime | None:
    """The first firing strictly after `after` (aware)."""
    found: dt.datetime | None = trigger.get_next_fire_time(None, after)
    if found is not None and found <= after:
        found = trigger.get_next_fire_time(found, found + dt.timedelta(seconds=1))
    return found


def last_slot(trigger: Any, now: dt.datetime, lookback: dt.timedelta = _LOOKBACK) -> dt.datetime | None:
    """The latest firing at or before `now` within `lookback` (None if there was none)."""
    slot: dt.datetime | None = None
    candidate: dt.datetime | None = trigger.get_next_fire_time(None, now - lookback)
    while candidate is not None and candidate <= now:
        slot = candidate
        candidate = trigger.get_next_fire_time(candidate, candidate + dt.timedelta(seconds=1))
    return slot


def next_runs(settings: Settings, now: dt.datetime) -> list[tuple[str, str, dt.datetime]]:
    """(school, job label, when) of the next scheduled runs, soonest first."""
    runs: list[tuple[str, str, dt.datetime]] = []
    for spec in job_specs(settings):
        when = next_fire(spec.trigger, now)
        if when is not None:
            runs.append((spec.org_id, spec.label, when))
    return sorted(runs, key=lambda r: r[2])
