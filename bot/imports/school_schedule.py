"""The «Напоминания» cell of the table of schools: when the school's weekly reminders go out.

A cell holds a weekday and a time in the school's timezone, the way people write them («вт 09:00»,
«вторник 9:00», «по средам в 15.30», «Tue 09:00»), or «нет» for no reminders; an empty cell keeps
the default (the config school's schedule, else Monday 10:00). It is kept in the config's spelling
(`bot.config_table`: «tue 09:00», «off»).
"""

from __future__ import annotations

import datetime as dt
import re

from bot.config import WEEKDAYS, QuietHours, WeeklyTime
from bot.config_table import OFF, canonical
from bot.domain.quiet import is_quiet_local

# The full Russian and English names, in WEEKDAYS order.
_RU_NAMES = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")
_EN_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SHORT = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")
# «по понедельникам», «по средам»: the dative plural people write for «every Monday».
_EVERY = ("понедельникам", "вторникам", "средам", "четвергам", "пятницам", "субботам", "воскресеньям")
# Words around the day and the time that say nothing: «каждый вторник в 9:00», «9:00 утра».
_FILLER = frozenset({"в", "во", "по", "каждый", "каждую", "каждое", "утра", "утром", "днем", "ч", "час", "часов",
                     "at", "every", "on"})
_OFF_WORDS = frozenset({"нет", "не напоминать", "не отправлять", "выкл", "выключено", "выключены", "off", "no"})
_TIME = re.compile(r"(?<!\d)(\d{1,2})[:.\-](\d{2})(?!\d)")
_WORD = re.compile(r"[a-zа-я]+")
_HINT = ("напишите день недели и время, например «вт 09:00» или «понедельник 10:00» (пустая клетка — "
         "по умолчанию, «нет» — без напоминаний)")


class ScheduleCellError(ValueError):
    """A cell that names no weekly time; the message (Russian) says what is wrong and what to write."""


def _day(word: str) -> str | None:
    """WEEKDAYS code of one word: a short name, a full name or its first letters (3 at least), «по средам»."""
    for code, short, ru, en, every in zip(WEEKDAYS, _SHORT, _RU_NAMES, _EN_NAMES, _EVERY, strict=True):
        if word in (short, code, every) or (len(word) >= 3 and (ru.startswith(word) or en.startswith(word))):
            return code
    return None


def parse_cell(cell: str) -> str | None:
    """The stored form («tue 09:00», «off») of a cell; None for an empty cell; ScheduleCellError otherwise."""
    text = " ".join(cell.lower().replace("ё", "е").split())
    if not text:
        return None
    if text.strip(" .!") in _OFF_WORDS:
        return OFF
    times = _TIME.findall(text)
    if len(times) != 1:
        raise ScheduleCellError(f"не нашёл время: {_HINT}" if not times else f"указано больше одного времени: {_HINT}")
    hour, minute = int(times[0][0]), int(times[0][1])
    if hour > 23 or minute > 59:
        raise ScheduleCellError(f"нет такого времени «{times[0][0]}:{times[0][1]}»: {_HINT}")
    words = [w for w in _WORD.findall(_TIME.sub(" ", text)) if w not in _FILLER]
    days = {_day(w) for w in words}
    if not words or None in days:
        raise ScheduleCellError(f"не понял день недели: {_HINT}")
    if len(days) > 1:
        raise ScheduleCellError(f"указано несколько дней, а напоминания идут раз в неделю: {_HINT}")
    [day] = days
    assert day is not None
    return canonical(day, f"{hour:02d}:{minute:02d}")


def quiet_problem(stored: str, quiet: QuietHours) -> str | None:
    """Why a stored time falls in the school's quiet hours (the reminders would wait for their end), or None."""
    if stored == OFF:
        return None
    weekly = WeeklyTime.model_validate({"day": stored[:3], "time": stored[4:]})
    # Any date on that weekday: 2026-11-23 is a Monday.
    local = dt.datetime(2026, 11, 23 + WEEKDAYS.index(weekly.day), weekly.hour, weekly.minute, tzinfo=dt.UTC)
    if not is_quiet_local(local, quiet):
        return None
    nights = quiet.start != quiet.end
    window = " и ".join(([f"с {quiet.start} до {quiet.end}"] if nights else []) + (["в выходные"] if quiet.weekends else []))
    weekday = " в будний день" if quiet.weekends else ""
    loud = f"время с {quiet.end} до {quiet.start}{weekday}" if nights else "будний день"
    return f"это тихие часы школы ({window}): напоминания ждали бы их конца; укажите {loud}, например «вт 09:00»"


def shown(stored: str | None) -> str:
    """A stored time in Russian for the preview: «вторник, 09:00», «выключены», «по умолчанию»."""
    if stored is None:
        return "по умолчанию"
    if stored == OFF:
        return "выключены"
    return f"{_RU_NAMES[WEEKDAYS.index(stored[:3])]}, {stored[4:]}"
