"""The weekly statistics: read each row's figures, match the rows to people (or schools),
preview what a loaded week would lose, then write it."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from bot.domain.models import Period
from bot.domain.names import name_key
from bot.imports import values as cells
from bot.imports.matching import Match, PersonLike, RosterIndex
from bot.imports.period import find_period
from bot.imports.reader import ImportRefused
from bot.imports.report import Problem, StatsResult
from bot.imports.table import DataRow, ParsedTable, RowsView, TableKind, aplain_chunks, field_label
from bot.messaging.events import Identity
from bot.services.imports.orgs import OTHER_SCHOOL, OrgScope
from bot.services.imports.plan import Preview
from bot.services.imports.record import record_in, sorted_problems
from bot.services.imports.resolver import ScreenNames
from bot.stores.imports import Candidate, ImportTx, NewPending, OrgStats, PersonRef

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


# What the roster index alone says of a row, found while the file is still being read (`RosterIndex.find`):
# the person, else the Match that says why none.
Early = PersonLike | Match


async def read_person_rows(table: ParsedTable, scope: OrgScope, default: str | None, only: str | None,
                           problems: list[Problem], *, index: RosterIndex | None = None,
                           early: list[Early] | None = None, writer: EarlyRows | None = None,
                           ) -> tuple[list[PersonRow], list[str]]:
    """Each row's school, VK reference and figures; and the schools covered.

    The rows are read as plain tuples (`aplain_chunks`), not as DataRows: a regional table has
    60,000 of them, and what each needs is a few cells by position. With `index`, each row is also
    looked up in it as it comes (into `early`, one item per returned row), while the worker process
    still finds the later rows; `match_person_rows` takes them from there. `writer` gets each chunk's rows
    and what `early` says of them.
    """
    if not any(f in table.columns for f in ("full_name", "last_name", "vk")):
        raise ImportRefused(f"нет столбца с ФИО; найдены столбцы: {table.headers_text()}")
    scope.require_org_source(table, default)
    if "group_messages" not in table.columns:
        problems.append(Problem(row=table.header_row,
                                reason=f"нет столбца с числом сообщений; найдены столбцы: {table.headers_text()}"))
    parsed: list[PersonRow] = []
    if scope.assumes_school(table) and isinstance(table.rows, RowsView):
        await table.rows.complete()  # the school column of every row is read first
    assumed = scope.assumed_school(table, problems)
    names = tuple(table.columns)
    at = {name: i for i, name in enumerate(names)}
    org_at, inn_at, vk_at, whole_at = at.get("org"), at.get("inn"), at.get("vk"), at.get("full_name")
    parts_at = [at[f] for f in ("last_name", "first_name", "middle_name") if f in at]
    value_at = [(name, at[name]) for name in PERSON_VALUE_FIELDS if name in at]
    # The figures' cells of a row as a tuple, by one C call.
    pick = _picker([i for _, i in value_at])
    named = org_at is not None or inn_at is not None
    converted: dict[tuple[Any, ...], tuple[dict[str, Any], tuple[str, ...]]] = {}
    # A school's cells repeat all down a regional table: each pair is looked up once.
    schools: dict[tuple[Any, ...], tuple[str | None, str | None]] = {}
    no_school = scope.org_outcome("", "", default, only, assumed)
    strangers, strangers_ahead = 0, False
    # Chunk by chunk as the worker process finds them: these are converted while it finds the next.
    async for chunk in aplain_chunks(table.rows, names):
        await asyncio.sleep(0)  # others' replies go out between chunks
        for row_no, row in chunk:
            if named:
                org_cell = row[org_at] if org_at is not None else None
                inn_cell = row[inn_at] if inn_at is not None else None
                school_key = (type(org_cell), org_cell, type(inn_cell), inn_cell)
                outcome = schools.get(school_key)
                if outcome is None:
                    outcome = schools[school_key] = scope.org_outcome(
                        cells.text(org_cell), cells.text(inn_cell), default, only, assumed)
            else:
                outcome = no_school
            org, org_problem = outcome
            if org_problem is not None:
                problems.append(Problem(row=row_no, reason=org_problem))
            if org is None:
                continue
            vk_id, screen = _vk_ref(row_no, row[vk_at], problems) if vk_at is not None else (None, None)
            cell = row[whole_at] if whole_at is not None else None
            # The usual ФИО cell, read here rather than by `_full_name`: the loop runs 60,000 times. A cell
            # with no space but single ones between words is its own name (`isprintable` is false for
            # every other space, tab, line break and the zero-width space): no new string is made.
            if type(cell) is str and cell and cell.isprintable() and cell[:1] != " " and cell[-1:] != " " \
                    and "  " not in cell:
                name = cell
            elif type(cell) is str and "\u200b" not in cell and (name := " ".join(cell.split())):
                pass
            else:
                name = _full_name(row, whole_at, parts_at) or (f"VK {vk_id}" if vk_id else "")
            picked = pick(row)
            # The cells' types are in the key: 1, 1.0 and True are equal but read differently.
            found = converted.get((picked, tuple(map(type, picked))))
            if found is None or found[1]:
                values = _values(row_no, picked, value_at, problems, converted)
            else:
                values = found[0]
            parsed.append((row_no, org, vk_id, screen, values, name))
        if index is not None and early is not None and not strangers_ahead:
            by_name, find, done = index.by_name.get, index.find, len(early)
            add = early.append
            for _, org, vk_id, _, _, name in parsed[done:]:
                # `find`'s usual first step inline (a row without a VK id, its name as the roster writes
                # it): a method call per row is a tenth of the loop.
                if vk_id is None and (person := by_name(name)) is not None and person.org_id == org:
                    add(person)
                else:
                    add(find(org, name, vk_id))
            # A file of other people is refused once matching sees it: looking each row up now would
            # only make the refusal slower. `match_person_rows` looks up the rest, if it gets there.
            strangers += sum(1 for said in early[done:] if isinstance(said, Match) and not said.candidates)
            strangers_ahead = strangers * 2 > len(early) >= 100
            if writer is not None:
                writer.feed(parsed[done:], early[done:])
    orgs = sorted({p[1] for p in parsed} | ({default} if default and "org" not in table.columns else set()))
    return parsed, orgs


class EarlyRows:
    """A one-school per-person table's rows written while the worker process still reads the later ones.

    Each row the roster index names plainly, the first for its person, goes to the database as its chunk is
    looked up, by a task of its own while the bot converts the next chunk (the 50,000-row insert is no longer
    all after the last row). What `match_person_rows` decides at the end is the truth: `settle` keeps the
    rows written when they are exactly what it stores (adding the rest), and otherwise says to take every
    one back (`ImportTx.end_early_in`) and write the rows the usual way.
    """

    def __init__(self, tx: ImportTx, period: Period, org: str, import_id: int) -> None:
        self._tx = tx
        self._period = period
        self.org = org
        self.import_id = import_id
        self._written: dict[int, dict[str, Any]] = {}
        self._last: asyncio.Future[bool] | None = None

    def feed(self, rows: Sequence[PersonRow], said: Sequence[Early]) -> None:
        """Send the rows of a chunk found plainly (`said`: what the index says of each row) to be written."""
        batch: list[tuple[int, str, int | None, dict[str, Any]]] = []
        written, org, import_id = self._written, self.org, self.import_id
        for row, person in zip(rows, said, strict=True):
            if isinstance(person, Match) or row[1] != org or (pid := person.id) in written:
                continue
            written[pid] = row[4]
            batch.append((pid, org, import_id, row[4]))
        if batch:
            self._last = asyncio.ensure_future(self._write(self._last, batch))

    async def _write(self, before: asyncio.Future[bool] | None,
                     batch: list[tuple[int, str, int | None, dict[str, Any]]]) -> bool:
        # One chunk after another: a chunk that could not be written stops the ones after it.
        if before is not None and not await before:
            return False
        return await self._tx.insert_person_values_in(self._period, batch)

    async def wait(self) -> bool:
        """Wait until every chunk sent is written; False when one could not be (a row in the way)."""
        if self._last is None:
            return True
        try:
            return await asyncio.shield(self._last)
        except Exception:  # noqa: BLE001 - the transaction's own end reports a broken database
            return False

    async def settle(self, stats: Sequence[tuple[str, int, dict[str, Any]]]) -> bool:
        """Whether the rows written are the ones `stats` (what matching stores) says, with the rest added
        now; False: they are not, and must be taken back."""
        if not await self.wait():
            return False
        written, rest, kept = self._written, [], 0
        for org, pid, values in stats:
            had = written.get(pid)
            if had is None:
                if org != self.org:
                    return False
                rest.append((pid, org, self.import_id, values))
            elif had is values or had == values:
                kept += 1
            else:
                return False  # an earlier row came to name this person (a choice remembered)
        if kept != len(written):
            return False
        return not rest or await self._tx.insert_person_values_in(self._period, rest)


def _vk_ref(row_no: int, cell: Any, problems: list[Problem]) -> tuple[int | None, str | None]:
    """The VK id or screen name in a row's VK cell (a bad cell is a problem); as `roster.vk_ref`."""
    try:
        return cells.vk_ref(cell)
    except cells.BadValue as exc:
        problems.append(Problem(row=row_no, reason=f"столбец «VK»: {exc}"))
        return None, None


def _full_name(row: tuple[Any, ...], whole_at: int | None, parts_at: Sequence[int]) -> str:
    """`DataRow.full_name` of a plain row: the ФИО cell, else its three parts."""
    if whole_at is not None:
        cell = row[whole_at]
        # The usual cell: `text` would only strip it, and split does that too.
        if type(cell) is str and "\u200b" not in cell and (whole := " ".join(cell.split())):
            return whole
        whole = cells.text(cell)
        if whole:
            return " ".join(whole.split())
    return " ".join(p for p in (cells.text(row[i]) for i in parts_at) if p)


def _picker(indexes: Sequence[int]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """A function giving a row's cells at `indexes` as a tuple (of one, or none, too)."""
    if len(indexes) > 1:
        return itemgetter(*indexes)
    if indexes:
        only = indexes[0]
        return lambda row: (row[only],)
    return lambda row: ()


def _values(row_no: int, picked: tuple[Any, ...], value_at: Sequence[tuple[str, int]], problems: list[Problem],
            converted: dict[tuple[Any, ...], tuple[dict[str, Any], tuple[str, ...]]]) -> dict[str, Any]:
    """A row's figures from its figures' cells (`picked`, in the order of `value_at`). `converted`
    remembers each distinct set of cells (a table holds the same few «да», «нет», 0, 1 …
    thousands of times): rows with the same cells share one dict, which nobody changes."""
    # The cells' types are in the key: 1, 1.0 and True are equal but read differently.
    key = (picked, tuple(map(type, picked)))
    found = converted.get(key)
    if found is None:
        values: dict[str, Any] = {}
        reasons: list[str] = []
        for (name, _), cell in zip(value_at, picked, strict=True):
            value, reason = person_value(name, cell)
            if reason is None:
                values[name] = value
            else:
                reasons.append(reason)
        found = (values, tuple(reasons))
        if len(converted) < 100_000:
            converted[key] = found
    for reason in found[1]:
        problems.append(Problem(row=row_no, reason=reason))
    return found[0]


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
                            problems: list[Problem], *, index: RosterIndex | None = None,
                            early: Sequence[Early] | None = None) -> PersonMatches:
    """Match every row to one person; the rest wait for the deputy (the first MAX_PENDING of them).

    `index`: `refs` indexed already (built while the file was read); `early`: what it says of the
    first rows (of each, usually), found while the rows were read (`read_person_rows`)."""
    if index is None:
        index = RosterIndex.build(refs)
    # The deputy's earlier choices for names that match nobody or several people.
    by_id = {r.id: r for r in refs}
    remembered_for = {(org, name_key(name)): pid for org, name, pid in earlier if pid in by_id}
    found = PersonMatches()
    seen: dict[int, int] = {}
    stats = found.stats
    find = index.find
    matching = 0  # counted here and stored once: the loop runs 60,000 times
    for n, (row_no, org, vk_id, screen, values, name) in enumerate(parsed, start=1):
        if n % YIELD_EVERY == 0:
            await asyncio.sleep(0)
        # Most rows name one person plainly: found without building a Match.
        said = find(org, name, vk_id) if early is None or n > len(early) else early[n - 1]
        if isinstance(said, Match):
            match = said
            if match.person is None and screen is not None:
                found_id = await screens.get(screen)
                if found_id is not None:
                    match = index.match(org, name, found_id)
            if match.person is None and (org, name_key(name)) in remembered_for:
                match = Match(by_id[remembered_for[(org, name_key(name))]])
                found.remembered += 1
            if match.person is None:
                found.matching += matching
                matching = 0
                _keep_aside(found, row_no, org, name, values, match, problems)
                # More than half are strangers: the file is refused whatever the other rows say.
                if found.strangers * 2 > len(parsed) and len(found.examples) >= 5:
                    found.cut_short = True
                    break
                continue
            person: PersonLike = match.person
        else:
            person = said
        matching += 1
        pid = person.id
        if pid in seen:
            problems.append(Problem(row=row_no, reason=(
                f"«{name}» уже есть в строке {seen[pid]} — эта строка пропущена")))
            continue
        seen[pid] = row_no
        stats.append((org, pid, values))
    found.matching += matching
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
    imported_by: Identity | None
    rows_read: int
    sheet: str
    replaced: bool
    preview: Preview


@dataclass(kw_only=True)
class PersonStatsPlan(_StatsPlan):
    """Per-person figures for one period, ready to write."""

    parsed: list[PersonRow]
    found: PersonMatches

    async def apply(self, tx: ImportTx) -> StatsResult:
        """Replace the period's figures of these schools and record the import."""
        await tx.clear_period_in(self.orgs, "person", self.period)
        stats = self.found.stats
        ids = await record_in(tx, self.orgs, "person", self.period, self.file_name, self.parsed, stats,
                              self.problems, self.imported_by)
        await tx.put_person_values_in(self.period, [(pid, o, ids[o], v) for o, pid, v in stats])
        for org in self.orgs:
            rows = [p for p in self.found.pending if p.org_id == org]
            if rows:
                await tx.add_pending_in(ids[org], rows)
        return self.result(list(ids.values()))

    def result(self, import_ids: list[int]) -> StatsResult:
        """What the import did, once its rows are written under `import_ids`."""
        return StatsResult(period=self.period, kind="person", rows_read=self.rows_read,
                           rows_imported=len(self.found.stats), problems=sorted_problems(self.problems),
                           orgs=self.orgs, replaced=self.replaced, pending=len(self.found.pending),
                           remembered=self.found.remembered, import_ids=import_ids, sheet=self.sheet,
                           period_source=self.source)


async def loaded_before_in(tx: ImportTx, orgs: Sequence[str], kind: str, period: Period,
                           ids: Sequence[object]) -> tuple[bool, Preview]:
    """Whether the period is loaded already, and the preview of writing figures for `ids`."""
    replaced = await tx.has_period_in(orgs, kind, period)
    had = await tx.stored_ids_in(orgs, kind, period) if replaced else set()
    changed = sum(1 for i in ids if i in had)
    return replaced, Preview(added=len(ids) - changed, changed=changed,
                             replaces_period=period if replaced else None)


@dataclass(kw_only=True)
class OrgStatsPlan(_StatsPlan):
    """Per-school indicators for one period, ready to write."""

    parsed: list[tuple[DataRow, str]]
    stored: list[tuple[str, OrgStats]]

    async def apply(self, tx: ImportTx) -> StatsResult:
        """Replace the period's indicators of these schools and record the import."""
        await tx.clear_period_in(self.orgs, "organization", self.period)
        ids = await record_in(tx, self.orgs, "organization", self.period, self.file_name, self.parsed,
                              self.stored, self.problems, self.imported_by)
        await tx.put_org_stats_in([s.model_copy(update={"import_id": ids[o]}) for o, s in self.stored])
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
