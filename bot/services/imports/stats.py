"""The weekly statistics: read each row's figures, match the rows to people (or schools),
preview what a loaded week would lose, then write it."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.domain.models import Period
from bot.domain.names import name_key
from bot.imports import values as cells
from bot.imports.matching import Match, RosterIndex
from bot.imports.period import find_period
from bot.imports.reader import ImportRefused
from bot.imports.report import Problem, StatsResult
from bot.imports.table import DataRow, ParsedTable, TableKind, field_label
from bot.services.imports.orgs import OTHER_SCHOOL, OrgScope
from bot.services.imports.plan import Preview
from bot.services.imports.record import record_in, sorted_problems
from bot.services.imports.resolver import ScreenNames
from bot.services.imports.roster import vk_ref
from storage.roster import PersonRef
from storage.stats import Candidate, NewPending, OrgStats, StatsRepo

PERSON_VALUE_FIELDS = ("group_messages", "calls", "group_chats_created", "ejd_linked", "registered")
ORG_COUNT_FIELDS = ("students_total", "teachers_total", "teachers_created_chats", "teachers_3plus",
                    "teachers_10plus", "teachers_1call", "teachers_ejd", "students_ejd")
# Rows that match nobody are kept for the deputy up to this many; the rest become a count.
MAX_PENDING = 200
# The loop lets others' replies through every this many rows.
YIELD_EVERY = 2000
# (row number, school, VK id, screen name, figures, name): what matching needs of a row, without
# the row itself (a big table's rows are read a chunk at a time and not kept).
PersonRow = tuple[int, str, int | None, str | None, dict[str, Any], str]


def refuse_not_stats(table: ParsedTable) -> None:
    """A table without activity columns: a roster, or not a table the bot knows."""
    found = table.headers_text()
    if table.kind is TableKind.ROSTER or any(f in table.columns for f in ("full_name", "last_name")):
        raise ImportRefused(
            f"нет столбца с числом сообщений; найдены столбцы: {found}. "
            "Похоже, это список сотрудников: загрузите его как список (import-roster)"
        )
    raise ImportRefused(f"не понял, что это за таблица: нет столбца с ФИО; найдены столбцы: {found}")


def choose_period(table: ParsedTable, file_name: str, explicit: Period | None, now: dt.datetime) -> tuple[Period, str]:
    """The period (from the argument, the file, else the last completed one) and where it came from;
    a period that ends after today (`now` in the school's timezone) is refused."""
    if explicit is not None:
        chosen, source = explicit, "argument"
    else:
        found = find_period([*table.titles, file_name], today=now.date())
        chosen, source = (found, "file") if found is not None else (Period.last_completed(now), "default")
    if chosen.end > now.date():
        raise ImportRefused(
            f"неделя {chosen} ещё не закончилась: статистику загружают за прошедшую неделю — "
            "проверьте даты в заголовке таблицы (или укажите --period)"
        )
    return chosen, source


def person_value(name: str, cell: Any) -> tuple[Any, str | None]:
    """(value, None), or (None, the problem's reason) for a cell that cannot be read."""
    try:
        if name in ("group_messages", "calls"):
            return cells.count(cell), None
        if name == "group_chats_created":
            return cells.count_or_yes_no(cell), None
        return cells.yes_no(cell), None
    except cells.BadValue as exc:
        return None, f"столбец «{field_label(name)}»: {exc}"


def person_values(row: DataRow, problems: list[Problem],
                  converted: dict[tuple[str, type, Any], tuple[Any, str | None]] | None = None) -> dict[str, Any]:
    """The row's figures; `converted` remembers each distinct cell's reading (a column holds
    the same few «да», «нет», 0, 1 thousands of times)."""
    values: dict[str, Any] = {}
    cells_of = row.values
    for name in PERSON_VALUE_FIELDS:
        if name not in cells_of:
            continue
        cell = cells_of[name]
        # The cell's type is in the key: 1, 1.0 and True are equal but read differently.
        key = (name, type(cell), cell)
        found = converted.get(key) if converted is not None else None
        if found is None:
            found = person_value(name, cell)
            if converted is not None and len(converted) < 100_000:
                converted[key] = found
        value, reason = found
        if reason is None:
            values[name] = value
        else:
            problems.append(Problem(row=row.row_no, reason=reason))
    return values


def org_values(row: DataRow, problems: list[Problem]) -> dict[str, Any]:
    """A per-school row's indicators."""
    values: dict[str, Any] = {}
    for name in (*ORG_COUNT_FIELDS, "status"):
        if name not in row.values:
            continue
        try:
            values[name] = cells.status(row.values[name]) if name == "status" else cells.count(row.values[name])
        except cells.BadValue as exc:
            problems.append(Problem(row=row.row_no, reason=f"столбец «{field_label(name)}»: {exc}"))
    return values


async def read_person_rows(table: ParsedTable, scope: OrgScope, default: str | None, only: str | None,
                           problems: list[Problem]) -> tuple[list[PersonRow], list[str]]:
    """Each row's school, VK reference and figures; and the schools covered."""
    if not any(f in table.columns for f in ("full_name", "last_name", "vk")):
        raise ImportRefused(f"нет столбца с ФИО; найдены столбцы: {table.headers_text()}")
    scope.require_org_source(table, default)
    if "group_messages" not in table.columns:
        problems.append(Problem(row=table.header_row,
                                reason=f"нет столбца с числом сообщений; найдены столбцы: {table.headers_text()}"))
    parsed: list[PersonRow] = []
    assumed = scope.assumed_school(table, problems)
    converted: dict[tuple[str, type, Any], tuple[Any, str | None]] = {}
    for n, row in enumerate(table.rows, start=1):
        if n % YIELD_EVERY == 0:
            await asyncio.sleep(0)
        org = scope.row_org(row, default, problems, only, assumed)
        if org is None:
            continue
        vk_id, screen = vk_ref(row, problems)
        name = row.full_name or (f"VK {vk_id}" if vk_id else "")
        parsed.append((row.row_no, org, vk_id, screen, person_values(row, problems, converted), name))
    orgs = sorted({p[1] for p in parsed} | ({default} if default and "org" not in table.columns else set()))
    return parsed, orgs


@dataclass
class PersonMatches:
    """Rows matched to people, rows kept aside for the deputy, and the counts a refusal needs."""

    stats: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)
    pending: list[NewPending] = field(default_factory=list)
    unmatched: int = 0
    matching: int = 0
    remembered: int = 0
    examples: list[str] = field(default_factory=list)
    first_dropped: int = 0
    strangers: int = 0  # rows that name nobody of the roster at all
    cut_short: bool = False  # stopped once more than half the rows were strangers


async def match_person_rows(parsed: Sequence[PersonRow], refs: Sequence[PersonRef],
                            earlier: Sequence[tuple[str, str, int]], screens: ScreenNames,
                            problems: list[Problem]) -> PersonMatches:
    """Match every row to one person; the rest wait for the deputy (the first MAX_PENDING of them)."""
    index = RosterIndex.build(refs)
    # The deputy's earlier choices for names that match nobody or several people.
    by_id = {r.id: r for r in refs}
    remembered_for = {(org, name_key(name)): pid for org, name, pid in earlier if pid in by_id}
    found = PersonMatches()
    seen: dict[int, int] = {}
    for n, (row_no, org, vk_id, screen, values, name) in enumerate(parsed, start=1):
        if n % YIELD_EVERY == 0:
            await asyncio.sleep(0)
        # Most rows name one person plainly: found without building a Match.
        person = index.quick(org, name, vk_id)
        if person is None:
            match = index.match(org, name, vk_id)
            if match.person is None and screen is not None:
                found_id = await screens.get(screen)
                if found_id is not None:
                    match = index.match(org, name, found_id)
            if match.person is None and (org, name_key(name)) in remembered_for:
                match = Match(by_id[remembered_for[(org, name_key(name))]])
                found.remembered += 1
            if match.person is None:
                _keep_aside(found, row_no, org, name, values, match, problems)
                # More than half are strangers: the file is refused whatever the other rows say.
                if found.strangers * 2 > len(parsed) and len(found.examples) >= 5:
                    found.cut_short = True
                    break
                continue
            person = match.person
        found.matching += 1
        if person.id in seen:
            problems.append(Problem(row=row_no, reason=(
                f"«{name}» уже есть в строке {seen[person.id]} — эта строка пропущена")))
            continue
        seen[person.id] = row_no
        found.stats.append((org, person.id, values))
    if found.unmatched > MAX_PENDING:
        more = found.unmatched - MAX_PENDING
        problems.append(Problem(row=found.first_dropped, reason=(
            f"эта и ещё {more - 1} строк ниже не нашлись в списке сотрудников и не сохранены "
            f"(отложены только первые {MAX_PENDING})" if more > 1 else
            f"строка не нашлась в списке сотрудников и не сохранена (отложены только первые {MAX_PENDING})")))
    return found


def _keep_aside(found: PersonMatches, row_no: int, org: str, name: str, values: dict[str, Any], match: Match,
                problems: list[Problem]) -> None:
    """A row that names nobody or several people: kept for the deputy, or only counted."""
    found.unmatched += 1
    if match.candidates:
        found.matching += 1  # it names people of the roster, only not one of them
    else:
        found.strangers += 1
        if len(found.examples) < 5 and name:
            found.examples.append(name)
    if found.unmatched > MAX_PENDING:
        found.first_dropped = found.first_dropped or row_no
        return
    problems.append(Problem(row=row_no, reason=match.reason))
    found.pending.append(NewPending(
        org_id=org, row_no=row_no, name=name or "(без имени)", data=values, reason=match.reason,
        candidates=[Candidate(id=p.id, name=p.full_name) for p in match.candidates]))


def refuse_mostly_strangers(rows: int, found: PersonMatches) -> None:
    """A per-person table where fewer than half the rows name roster people: the wrong file or school."""
    if rows and (found.cut_short or found.matching * 2 < rows):
        examples = ", ".join(f"«{n}»" for n in found.examples[:5]) or "строки без ФИО"
        counted = ("больше половины не нашлись в списке сотрудников" if found.cut_short else
                   f"в списке сотрудников нашлись только {found.matching}")
        raise ImportRefused(
            f"из {rows} строк таблицы {counted} (не нашлись, например: {examples}). Похоже, это таблица "
            "другой школы или другой файл; если список сотрудников устарел — сначала загрузите новый список"
        )


@dataclass(kw_only=True)
class _StatsPlan:
    """What both kinds of statistics plan carry: the period, the schools, the file and its preview."""

    orgs: list[str]
    period: Period
    source: str
    problems: list[Problem]
    file_name: str
    imported_by: int | None
    rows_read: int
    sheet: str
    replaced: bool
    preview: Preview


@dataclass(kw_only=True)
class PersonStatsPlan(_StatsPlan):
    """Per-person figures for one period, ready to write."""

    parsed: list[PersonRow]
    found: PersonMatches

    async def apply(self, conn: Any) -> StatsResult:
        """Replace the period's figures of these schools and record the import."""
        await StatsRepo.clear_period_in(conn, self.orgs, "person", self.period)
        stats = self.found.stats
        ids = await record_in(conn, self.orgs, "person", self.period, self.file_name, self.parsed, stats,
                              self.problems, self.imported_by)
        await StatsRepo.put_person_values_in(conn, self.period, [(pid, o, ids[o], v) for o, pid, v in stats])
        for org in self.orgs:
            rows = [p for p in self.found.pending if p.org_id == org]
            if rows:
                await StatsRepo.add_pending_in(conn, ids[org], rows)
        return StatsResult(period=self.period, kind="person", rows_read=self.rows_read, rows_imported=len(stats),
                           problems=sorted_problems(self.problems), orgs=self.orgs, replaced=self.replaced,
                           pending=len(self.found.pending), remembered=self.found.remembered,
                           import_ids=list(ids.values()), sheet=self.sheet, period_source=self.source)


async def loaded_before_in(conn: Any, orgs: Sequence[str], kind: str, period: Period,
                           ids: Sequence[object]) -> tuple[bool, Preview]:
    """Whether the period is loaded already, and the preview of writing figures for `ids`."""
    replaced = await StatsRepo.has_period_in(conn, orgs, kind, period)
    had = await StatsRepo.stored_ids_in(conn, orgs, kind, period) if replaced else set()
    changed = sum(1 for i in ids if i in had)
    return replaced, Preview(added=len(ids) - changed, changed=changed,
                             replaces_period=period if replaced else None)


@dataclass(kw_only=True)
class OrgStatsPlan(_StatsPlan):
    """Per-school indicators for one period, ready to write."""

    parsed: list[tuple[DataRow, str]]
    stored: list[tuple[str, OrgStats]]

    async def apply(self, conn: Any) -> StatsResult:
        """Replace the period's indicators of these schools and record the import."""
        await StatsRepo.clear_period_in(conn, self.orgs, "organization", self.period)
        ids = await record_in(conn, self.orgs, "organization", self.period, self.file_name, self.parsed,
                              self.stored, self.problems, self.imported_by)
        await StatsRepo.put_org_stats_in(conn, [s.model_copy(update={"import_id": ids[o]}) for o, s in self.stored])
        return StatsResult(period=self.period, kind="organization", rows_read=self.rows_read,
                           rows_imported=len(self.stored), problems=sorted_problems(self.problems), orgs=self.orgs,
                           replaced=self.replaced, import_ids=list(ids.values()), sheet=self.sheet,
                           period_source=self.source)


def read_org_rows(table: ParsedTable, scope: OrgScope, period: Period, only: str | None,
                  problems: list[Problem]) -> tuple[list[tuple[DataRow, str]], list[tuple[str, OrgStats]]]:
    """Each per-school row's school and indicators."""
    if "org" not in table.columns and "inn" not in table.columns:
        raise ImportRefused(f"нет столбца с названием школы или ИНН; найдены столбцы: {table.headers_text()}")
    stored: list[tuple[str, OrgStats]] = []
    parsed: list[tuple[DataRow, str]] = []
    seen: dict[str, int] = {}
    lookup = scope.lookup
    for row in table.rows:
        raw = row.get_text("org") or row.get_text("inn")
        org = lookup.find(row.get_text("inn")) if row.get_text("inn") else None
        org = org or lookup.find(row.get_text("org"))
        if org is None:
            problems.append(Problem(row=row.row_no, reason=(
                f"школы «{raw}» нет в настройках бота — строка пропущена" if raw else "не указана школа")))
            continue
        if only is not None and org != only:
            problems.append(Problem(row=row.row_no, reason=OTHER_SCHOOL.format(raw=raw)))
            continue
        if org in seen:
            problems.append(Problem(row=row.row_no, reason=f"школа «{raw}» уже есть в строке {seen[org]}"))
            continue
        seen[org] = row.row_no
        parsed.append((row, org))
        stored.append((org, OrgStats(org_id=org, period=period, **org_values(row, problems))))
    return parsed, stored
