"""The table of schools (`sferum-bot import-schools`): read, checked row by row, compared with what is stored.

Columns: name, ИНН, district, timezone, the director's and the deputies' ids in VK and in MAX,
an optional id (default `inn-<ИНН>`), optionally the VK community and the MAX bot (names from
[[vk.communities]] / [[max.bots]]) that write to the school's people, and the weekday and time of the
school's reminders («Напоминания»: «вт 09:00», `bot/imports/school_schedule.py`). A file with any bad row is refused
whole, each problem with the row number a person sees in the spreadsheet; nothing is stored then.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config import ORG_ID_RE, QuietHours
from bot.config_table import REMINDERS_KEY
from bot.domain.russian import count
from bot.imports.headers import norm_header
from bot.imports.reader import ImportRefused, Limits, read_sheets
from bot.imports.school_schedule import ScheduleCellError, parse_cell, quiet_problem
from bot.services.imports.plan import Preview

DEFAULT_TIMEZONE = "Europe/Moscow"
# A refusal lists this many problems and counts the rest.
PROBLEMS_SHOWN = 20
_HEADER_SCAN = 30
_TOTAL_ROW = re.compile(r"^(итого|всего)")


@dataclass(frozen=True)
class KnownBots:
    """The names a table school may give its bot: [[vk.communities]] and [[max.bots]] of the settings."""

    vk: tuple[str, ...] = ()
    max: tuple[str, ...] = ()


# The school fields naming a bot: (field, the messenger, how a problem names it, the config section).
BOT_FIELDS = (("vk_community", "vk", "сообщество ВКонтакте", "[[vk.communities]]"),
              ("max_bot", "max", "бот MAX", "[[max.bots]]"))


_REMINDER_HEADERS = ("расписаниенапоминаний", "времянапоминаний", "деньнапоминаний", "деньивремянапоминаний",
                     "когданапоминать", "reminders", "remindersat", "reminderschedule")


def _field(header: str) -> str | None:
    """The canonical field a normalized header names, or None."""
    if header.startswith("напомина") or header in _REMINDER_HEADERS:
        return REMINDERS_KEY
    vk = any(w in header for w in ("vk", "вк", "вконтакте"))
    max_ = any(w in header for w in ("max", "макс"))
    if any(w in header for w in ("сообществ", "группа", "community")) and not max_:
        return "vk_community"
    if (header.startswith("бот") or header.endswith("bot")) and not vk:
        return "max_bot"
    if "директор" in header and "замест" not in header:
        return "director_vk_id" if vk else "director_max_id" if max_ else None
    if "замест" in header:
        return "deputy_vk_ids" if vk else "deputy_max_ids" if max_ else None
    if header.startswith("инн"):
        return "inn"
    if header in ("id", "идентификатор", "кодшколы", "idшколы"):
        return "id"
    if header in ("район", "муниципалитет", "мо", "муниципальноеобразование", "district", "муниципальныйрайон"):
        return "district"
    if header in ("часовойпояс", "timezone", "поясвремени"):
        return "timezone"
    if header in ("наименование", "название", "школа", "оо", "наименованиеоо", "образовательнаяорганизация",
                  "названиешколы", "name", "организация"):
        return "name"
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _ids(raw: str, what: str, problems: list[str], row_no: int) -> list[int]:
    found: list[int] = []
    for part in re.split(r"[\s,;]+", raw.strip()):
        if not part:
            continue
        digits = part.removesuffix(".0")
        if not digits.isdigit() or int(digits) <= 0:
            problems.append(f"строка {row_no}: {what} — «{part}» не похоже на id (нужно положительное число)")
            continue
        found.append(int(digits))
    return found


@dataclass
class SchoolTable:
    """The schools of a file (SchoolConfig fields with `row_no`), in the file's order."""

    schools: list[dict[str, Any]] = field(default_factory=list)


def read_school_table(data: bytes, limits: Limits, file_name: str = "", bots: KnownBots = KnownBots(),
                      quiet: dict[str, QuietHours] | None = None) -> SchoolTable:
    """The schools of an xlsx/xls/ods/csv file; ImportRefused with every problem (row numbers) otherwise.

    A school may name its VK community and MAX bot only among `bots` (the configured ones); its reminder
    time must be outside its quiet hours (`quiet`: the config schools' by id; the default for the others)."""
    for sheet in read_sheets(data, limits, file_name):
        for index, row in enumerate(sheet.rows[:_HEADER_SCAN]):
            columns = {n: _field(norm_header(c)) for n, c in enumerate(row)}
            fields = {f: n for n, f in columns.items() if f is not None}
            if "inn" in fields and "name" in fields:
                return _rows(sheet.rows[index + 1:], sheet.row_numbers[index + 1:], fields, bots, quiet or {})
    raise ImportRefused("не нашёл заголовок таблицы школ: нужны хотя бы столбцы «Наименование» и «ИНН» "
                        "(а также «Район», «Часовой пояс», «Директор VK», «Заместители VK», «Директор MAX», "
                        "«Заместители MAX», «id», «Сообщество ВК», «Бот MAX», «Напоминания» — по желанию)")


def _bot_names(values: dict[str, str], school: dict[str, Any], bots: KnownBots, problems: list[str],
               row_no: int) -> None:
    """The school's named VK community and MAX bot, each one of the configured names."""
    for key, messenger, what, section in BOT_FIELDS:
        named = values.get(key, "")
        if not named:
            continue
        known = bots.vk if messenger == "vk" else bots.max
        if named in known:
            school[key] = named
            continue
        listed = f"есть: {', '.join(known)}" if known else "в настройках их не задано"
        problems.append(f"строка {row_no}: {what} «{named}» — такого нет в {section} ({listed})")


def _reminders(values: dict[str, str], school: dict[str, Any], quiet: QuietHours, problems: list[str],
               row_no: int) -> None:
    """The school's reminder time from its «Напоминания» cell (none: the default)."""
    cell = values.get(REMINDERS_KEY, "")
    try:
        stored = parse_cell(cell)
    except ScheduleCellError as exc:
        problems.append(f"строка {row_no}: напоминания «{cell}» — {exc}")
        return
    if stored is None:
        return
    quiet_hours = quiet_problem(stored, quiet)
    if quiet_hours is not None:
        problems.append(f"строка {row_no}: напоминания «{cell}» — {quiet_hours}")
        return
    school[REMINDERS_KEY] = stored


def _rows(rows: Sequence[list[Any]], numbers: Sequence[int], fields: dict[str, int], bots: KnownBots,
          quiet: dict[str, QuietHours]) -> SchoolTable:
    problems: list[str] = []
    found = SchoolTable()
    seen_ids: dict[str, int] = {}
    seen_inns: dict[str, int] = {}
    for cells, row_no in zip(rows, numbers, strict=True):
        values = {f: _text(cells[n]) if n < len(cells) else "" for f, n in fields.items()}
        if not any(values.values()) or _TOTAL_ROW.match(values["name"].lower()):
            continue
        before = len(problems)
        name, inn = values["name"], re.sub(r"\s", "", values["inn"])
        if not name:
            problems.append(f"строка {row_no}: нет названия школы")
        if not re.fullmatch(r"\d{10}|\d{12}", inn):
            problems.append(f"строка {row_no}: ИНН «{values['inn']}» — нужно 10 или 12 цифр")
        org_id = values.get("id") or f"inn-{inn}"
        if not ORG_ID_RE.match(org_id):
            problems.append(f"строка {row_no}: id «{org_id}» — латинские строчные буквы, цифры, «-» и «_», "
                            "до 32 знаков")
        timezone = values.get("timezone") or DEFAULT_TIMEZONE
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"строка {row_no}: неизвестный часовой пояс «{timezone}», пример: Europe/Moscow")
        school: dict[str, Any] = {"id": org_id, "name": name, "inn": inn, "timezone": timezone, "row_no": row_no}
        if values.get("district"):
            school["district"] = values["district"]
        for key, what in (("director_vk_id", "id директора в VK"), ("director_max_id", "id директора в MAX")):
            ids = _ids(values.get(key, ""), what, problems, row_no)
            if len(ids) > 1:
                problems.append(f"строка {row_no}: {what} — у школы один директор, а указано {len(ids)}")
            elif ids:
                school[key] = ids[0]
        for key, what in (("deputy_vk_ids", "id заместителей в VK"), ("deputy_max_ids", "id заместителей в MAX")):
            school[key] = _ids(values.get(key, ""), what, problems, row_no)
        _bot_names(values, school, bots, problems, row_no)
        _reminders(values, school, quiet.get(org_id, QuietHours()), problems, row_no)
        for key, seen, label in ((org_id, seen_ids, "id"), (inn, seen_inns, "ИНН")):
            if key in seen:
                problems.append(f"строка {row_no}: {label} «{key}» уже есть в строке {seen[key]}")
            seen.setdefault(key, row_no)
        if len(problems) == before:
            found.schools.append(school)
    if problems:
        shown = problems[:PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        tail = [f"и ещё {count(more, 'ошибка')}"] if more else []
        raise ImportRefused("в таблице школ есть ошибки, ничего не изменено:\n" + "\n".join([*shown, *tail]))
    if not found.schools:
        raise ImportRefused("в таблице школ нет ни одной школы под заголовком")
    return found


def compare(stored: list[dict[str, Any]], table: SchoolTable) -> Preview:
    """What storing `table` changes: schools added, changed, and stored ones the file no longer has."""
    before = {s["id"]: s for s in stored}
    new_ids = {s["id"] for s in table.schools}
    added = sum(1 for s in table.schools if s["id"] not in before)
    changed = sum(1 for s in table.schools if s["id"] in before and _plain(s) != _plain(before[s["id"]]))
    left = [s["name"] for s in stored if s["id"] not in new_ids]
    return Preview(added=added, changed=changed, left=len(left), left_names=tuple(left))


def _plain(school: dict[str, Any]) -> dict[str, Any]:
    """A school's fields as stored, without the row number (comparable across files)."""
    return {k: v for k, v in school.items() if k != "row_no" and v not in (None, [])}


@dataclass(frozen=True)
class BotChange:
    """A school whose VK community or MAX bot the table changes (None: the first one of the settings)."""

    org: str
    name: str
    messenger: str
    bot: str | None
    was: str | None
    new_school: bool

    def as_json(self) -> dict[str, object]:
        """The machine form (import-schools --json)."""
        return {"org": self.org, "messenger": self.messenger, "bot": self.bot, "was": self.was}


def bot_changes(stored: list[dict[str, Any]], table: SchoolTable) -> list[BotChange]:
    """The schools of `table` whose named bots differ from what is stored (a new school: when it names one)."""
    before = {s["id"]: s for s in stored}
    changes: list[BotChange] = []
    for school in table.schools:
        old = before.get(school["id"])
        for key, messenger, _, _ in BOT_FIELDS:
            bot, was = school.get(key), (old or {}).get(key)
            if bot != was:
                changes.append(BotChange(school["id"], school["name"], messenger, bot, was, old is None))
    return changes


@dataclass(frozen=True)
class ScheduleChange:
    """A school whose reminder time the table changes (None: the default; «off»: no reminders)."""

    org: str
    name: str
    reminders: str | None
    was: str | None
    new_school: bool

    def as_json(self) -> dict[str, object]:
        """The machine form (import-schools --json): times as the config spells them, «tue 09:00»."""
        return {"org": self.org, "reminders": self.reminders, "was": self.was}


def schedule_changes(stored: list[dict[str, Any]], table: SchoolTable) -> list[ScheduleChange]:
    """The schools of `table` whose reminder time differs from what is stored (a new school: when it gives one)."""
    before = {s["id"]: s for s in stored}
    changes: list[ScheduleChange] = []
    for school in table.schools:
        old = before.get(school["id"])
        now, was = school.get(REMINDERS_KEY), (old or {}).get(REMINDERS_KEY)
        if now != was:
            changes.append(ScheduleChange(school["id"], school["name"], now, was, old is None))
    return changes
