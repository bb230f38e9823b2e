"""Quiet hours: when the bot sends nothing but direct replies.

Pure functions over a school's `QuietHours` (start/end as ЧЧ:ММ in the school's
timezone, and optionally the whole weekend). A window whose start is after its end
runs over midnight (20:00–08:00); equal start and end mean no nightly window.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.config import QuietHours

SATURDAY = 5
# Longer than any quiet stretch (a weekend joined to two nights): a guard, never reached.
_MAX_STEPS = 16


def _hhmm(value: str) -> dt.time:
    return dt.time(int(value[:2]), int(value[3:]))


def is_quiet_local(local: dt.datetime, quiet: QuietHours) -> bool:
    """Whether a wall-clock moment in the school's timezone falls in quiet hours."""
    if quiet.weekends and local.weekday() >= SATURDAY:
        return True
    start, end, now = _hhmm(quiet.start), _hhmm(quiet.end), local.time().replace(tzinfo=None)
    if start == end:
        return False
    if start < end:
        return start <= now < end
    return now >= start or now < end


def is_quiet(moment: dt.datetime, quiet: QuietHours, tz: ZoneInfo) -> bool:
    """Whether an aware moment is in the school's quiet hours."""
    return is_quiet_local(moment.astimezone(tz), quiet)


def _ceil_minute(local: dt.datetime) -> dt.datetime:
    if local.second or local.microsecond:
        return local.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    return local


def _at(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    # A wall-clock time that a DST jump skips is read as the later offset (fold=1).
    return dt.datetime.combine(day, time, tzinfo=tz)


def first_loud_minute(moment: dt.datetime, quiet: QuietHours, tz: ZoneInfo) -> dt.datetime:
    """The first whole minute at or after `moment` outside quiet hours (aware, in `tz`).

    A moment already outside quiet hours is returned as is (a scheduled run keeps
    its time); inside them the answer is where they end: 08:00, or Monday 08:00
    after a quiet weekend.
    """
    local = moment.astimezone(tz)
    if not is_quiet_local(local, quiet):
        return local
    candidate = _ceil_minute(local)
    end = _hhmm(quiet.end)
    for _ in range(_MAX_STEPS):
        if not is_quiet_local(candidate, quiet):
            return candidate
        if quiet.weekends and candidate.weekday() >= SATURDAY:
            # The first minute of Monday may itself be inside the night window: loop on.
            candidate = _at(candidate.date() + dt.timedelta(days=7 - candidate.weekday()), dt.time(0, 0), tz)
            continue
        day = candidate.date()
        if candidate.time().replace(tzinfo=None) >= end:
            day += dt.timedelta(days=1)
        candidate = _at(day, end, tz)
    raise AssertionError("quiet hours never end")  # unreachable for valid settings
