"""A table school's record (`import-schools`) as SchoolConfig fields: its reminder time joins the schedule.

The table keeps the reminder time as the config spells it, «tue 09:00» (or «off»: no reminders); a school
the table also names in the config keeps the config's schedule, with the table's reminder time over it
when the table gives one. No import of bot.config here: bot.config calls this.
"""

from __future__ import annotations

from typing import Any

# The record's key for the reminder time, and the value that switches the weekly reminders off.
REMINDERS_KEY = "reminders_at"
OFF = "off"
# Keys of a stored record that are not SchoolConfig fields.
_NOT_FIELDS = ("row_no", REMINDERS_KEY)


def canonical(day: str, hhmm: str) -> str:
    """The stored form of a weekly time: «tue 09:00» (day as in [schools.schedule], time ЧЧ:ММ)."""
    return f"{day} {hhmm}"


def weekly_fields(stored: str) -> dict[str, Any]:
    """The [schools.schedule.reminders] fields of a stored reminder time («tue 09:00» or «off»)."""
    if stored == OFF:
        return {"enabled": False}
    day, _, hhmm = stored.partition(" ")
    return {"enabled": True, "day": day, "time": hhmm}


def school_fields(record: dict[str, Any], config_schedule: dict[str, Any] | None = None) -> dict[str, Any]:
    """SchoolConfig fields of a stored table school; `config_schedule` is the config school's schedule
    (model_dump) when the config has a school with the same id."""
    fields = {k: v for k, v in record.items() if k not in _NOT_FIELDS}
    schedule = dict(config_schedule or {})
    stored = record.get(REMINDERS_KEY)
    if stored:
        schedule["reminders"] = weekly_fields(stored)
    if schedule:
        fields["schedule"] = schedule
    return fields
