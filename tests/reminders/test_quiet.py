"""Quiet hours: nights, weekends, edges and timezones."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.config import QuietHours
from bot.domain.quiet import first_loud_minute, is_quiet, is_quiet_local

MSK = ZoneInfo("Europe/Moscow")
Q = QuietHours()  # 20:00–08:00 and weekends


def at(day: int, hh: int, mm: int = 0, tz: ZoneInfo = MSK) -> dt.datetime:
    """A moment in November 2026 (the 23rd is a Monday)."""
    return dt.datetime(2026, 11, day, hh, mm, tzinfo=tz)


@pytest.mark.parametrize(("moment", "quiet"), [
    (at(23, 7, 59), True), (at(23, 8, 0), False), (at(23, 19, 59), False), (at(23, 20, 0), True),
    (at(23, 23, 30), True), (at(24, 0, 0), True), (at(27, 12, 0), False),
    (at(28, 12, 0), True), (at(29, 12, 0), True),  # Saturday, Sunday
])
def test_default_quiet_hours(moment: dt.datetime, quiet: bool) -> None:
    """20:00 is quiet, 08:00 is not; weekends are quiet all day."""
    assert is_quiet(moment, Q, MSK) is quiet


def test_weekends_can_be_allowed() -> None:
    """With weekends off, Saturday noon is not quiet but Saturday night is."""
    q = QuietHours(weekends=False)
    assert not is_quiet(at(28, 12), q, MSK)
    assert is_quiet(at(28, 22), q, MSK)


def test_daytime_window_and_no_window() -> None:
    """A window that does not cross midnight; equal start and end mean no nightly window."""
    lunch = QuietHours(start="13:00", end="14:00", weekends=False)
    assert is_quiet_local(at(23, 13, 30), lunch)
    assert not is_quiet_local(at(23, 14, 0), lunch)
    assert first_loud_minute(at(23, 13, 30), lunch, MSK) == at(23, 14, 0)
    assert not is_quiet(at(23, 3, 0), QuietHours(start="00:00", end="00:00", weekends=False), MSK)


def test_first_loud_minute_keeps_a_loud_moment() -> None:
    """Outside quiet hours the moment itself is the answer."""
    assert first_loud_minute(at(23, 10, 0), Q, MSK) == at(23, 10, 0)


@pytest.mark.parametrize(("moment", "expected"), [
    (at(23, 21, 0), at(24, 8, 0)),  # Monday night → Tuesday morning
    (at(24, 3, 17), at(24, 8, 0)),  # the small hours → this morning
    (at(27, 20, 0), at(30, 8, 0)),  # Friday 20:00 → Monday 08:00
    (at(28, 9, 0), at(30, 8, 0)),  # Saturday → Monday 08:00
    (at(29, 23, 59), at(30, 8, 0)),  # Sunday late → Monday 08:00
])
def test_first_loud_minute_after_quiet(moment: dt.datetime, expected: dt.datetime) -> None:
    """A quiet moment moves to where quiet hours end, over a weekend to Monday."""
    assert first_loud_minute(moment, Q, MSK) == expected


def test_seconds_round_up_to_a_whole_minute() -> None:
    """A quiet moment with seconds never gives a moment before it."""
    moment = at(23, 7, 59) + dt.timedelta(seconds=30)
    assert first_loud_minute(moment, Q, MSK) == at(23, 8, 0)


def test_timezones_decide_for_the_school() -> None:
    """06:30 UTC is 09:30 in Moscow (loud) but 11:30 in Yekaterinburg and 13:30 in Novosibirsk."""
    moment = dt.datetime(2026, 11, 23, 18, 30, tzinfo=dt.UTC)  # 21:30 MSK, 23:30 YEKT, 01:30 (Tue) NOVT
    assert is_quiet(moment, Q, MSK)
    assert is_quiet(moment - dt.timedelta(hours=3), QuietHours(), ZoneInfo("Asia/Yekaterinburg"))
    assert not is_quiet(moment - dt.timedelta(hours=3), QuietHours(), MSK)
    novosibirsk = ZoneInfo("Asia/Novosibirsk")
    loud = first_loud_minute(moment, Q, novosibirsk)
    assert loud == dt.datetime(2026, 11, 24, 8, 0, tzinfo=novosibirsk)
    assert loud.astimezone(dt.UTC) == dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)


def test_daylight_saving_jump() -> None:
    """In a zone with DST the answer is 08:00 local on the day the clocks moved."""
    berlin = ZoneInfo("Europe/Berlin")
    night = dt.datetime(2026, 3, 29, 1, 30, tzinfo=berlin)  # Sunday; clocks jump at 02:00
    loud = first_loud_minute(night, QuietHours(weekends=False), berlin)
    assert (loud.hour, loud.minute, loud.utcoffset()) == (8, 0, dt.timedelta(hours=2))
