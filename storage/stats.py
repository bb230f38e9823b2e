"""Weekly statistics: imports, per-person and per-organization figures, rows kept aside.

The summary and the reminders read `person_stats`, `org_stats` and `latest_period`;
the importer writes through the `*_in` methods inside its one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import Any

from pydantic import BaseModel

from bot.domain.models import Period
from bot.domain.records import PersonStats
from bot.messaging.events import Identity, Messenger
from bot.stores.imports import Candidate, NewPending, OrgStats, PendingRow
from storage._util import dumps, iso
from storage.sql import Connection, Database, Row, insert_id, upsert

ORG_FIELDS = ("students_total", "teachers_total", "teachers_created_chats", "teachers_3plus",
              "teachers_10plus", "teachers_1call", "teachers_ejd", "students_ejd", "status")


class ImportRecord(BaseModel):
    """One imported file (per organization it covered)."""

    id: int
    org_id: str | None
    kind: str
    period: Period | None
    file_name: str
    rows_read: int
    rows_imported: int
    problems: list[dict[str, Any]]
    imported_by: Identity | None
    imported_at: str


# Organizations read by one query of the multi-school reads (a region's wave): well below the parameter limits.
_ORG_CHUNK = 200


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


def _period(start: str | None, end: str | None) -> Period | None:
    if not start or not end:
        return None
    return Period(start=dt.date.fromisoformat(start), end=dt.date.fromisoformat(end))


def _flag(value: object) -> bool | None:
    return None if value is None else bool(value)


def _person_stats(r: Row, periods: dict[tuple[str, str], Period] | None = None) -> PersonStats:
    """A stored row as a model; `periods` shares one Period among the rows of a period. Every field
    is given with its type, so a school's thousands of rows are built without validating each again."""
    span = (r["period_start"], r["period_end"])
    period = periods.get(span) if periods is not None else None
    if period is None:
        period = Period(start=dt.date.fromisoformat(span[0]), end=dt.date.fromisoformat(span[1]))
        if periods is not None:
            periods[span] = period
    return PersonStats.model_construct(
        person_id=r["person_id"], org_id=r["org_id"], period=period,
        group_messages=r["group_messages"], calls=r["calls"],
        group_chats_created=r["group_chats_created"], ejd_linked=_flag(r["ejd_linked"]),
        registered=_flag(r["registered"]), import_id=r["import_id"],
    )


def _org_stats(r: Row) -> OrgStats:
    values = {f: r[f] for f in ORG_FIELDS}
    return OrgStats(org_id=r["org_id"], period=Period(start=dt.date.fromisoformat(r["period_start"]),
                                                      end=dt.date.fromisoformat(r["period_end"])),
                    import_id=r["import_id"], **values)


def _pending(r: Row) -> PendingRow:
    return PendingRow(
        id=r["id"], import_id=r["import_id"], org_id=r["org_id"], row_no=r["row_no"], name=r["name"],
        data=json.loads(r["data"]), candidates=[Candidate(**c) for c in json.loads(r["candidates"])],
        reason=r["reason"], status=r["status"], person_id=r["person_id"], kind=r["kind"],
        period=_period(r["period_start"], r["period_end"]),
    )


_PENDING_SQL = (
    "SELECT pr.*, i.kind, i.period_start, i.period_end FROM pending_rows pr "
    "JOIN imports i ON i.id = pr.import_id"
)
_PERSON_ROW = ("person_id", "org_id", "period_start", "period_end", "group_messages", "calls",
               "group_chats_created", "ejd_linked", "registered", "import_id")


_PERSON_UPSERT = upsert("person_stats", _PERSON_ROW, ("person_id", "period_start"))


@lru_cache(maxsize=1)
def _variable_limit() -> int:
    """The most parameters one SQLite statement takes here (32,766 since SQLite 3.32, 999 before); asked
    once, on the first write that needs it."""
    try:
        with closing(sqlite3.connect(":memory:")) as probe:
            return probe.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    except (sqlite3.Error, AttributeError):
        return 999


# Rows one INSERT statement writes: executemany steps each row with the GIL let go and taken back (a wait
# of up to 5 ms for it whenever another thread runs Python meanwhile) and binds it from Python; one
# statement of thousands of rows binds them in one C loop and steps once, a third faster alone.
def _rows_per_insert() -> int:
    return max(1, min(_variable_limit(), 20_000) // len(_PERSON_ROW))


_ROW_MARKS = f"({_marks(_PERSON_ROW)})"


# A school's rows of one import share the school, the week and the import: bound once per statement, the
# rest (6 a row) let a whole 5,000-row chunk go in one statement, sent to SQLite's thread in one step.
def _shared_rows_per_insert() -> int:
    return max(1, (min(_variable_limit(), 32_766) - 4) // 6)


@lru_cache(maxsize=8)
def _person_insert_shared(rows: int) -> str:
    """INSERT of `rows` rows of one school, week and import: those four first, then each row's person and
    figures."""
    values = ",".join(["(?,?,?,?,?,?)"] * rows)
    return (f"INSERT INTO person_stats({', '.join(_PERSON_ROW)}) SELECT column1, ?1, ?2, ?3, column2, column3, "  # noqa: S608 - constants
            f"column4, column5, column6, ?4 FROM (VALUES {values})")


@lru_cache(maxsize=4)
def _person_insert(rows: int) -> str:
    """INSERT of `rows` rows of person_stats in one statement."""
    return f"INSERT INTO person_stats({', '.join(_PERSON_ROW)}) VALUES {','.join([_ROW_MARKS] * rows)}"  # noqa: S608 - constants


def _person_values(s: PersonStats) -> tuple[object, ...]:
    return (s.person_id, s.org_id, s.period.start.isoformat(), s.period.end.isoformat(),
            s.group_messages, s.calls, s.group_chats_created,
            None if s.ejd_linked is None else int(s.ejd_linked),
            None if s.registered is None else int(s.registered), s.import_id)


def _figures(v: Mapping[str, Any]) -> tuple[Any, ...]:
    """A row's figures in the columns' order, the yes/no ones as 0 or 1."""
    return (v.get("group_messages"), v.get("calls"), v.get("group_chats_created"),
            None if (e := v.get("ejd_linked")) is None else int(bool(e)),
            None if (r := v.get("registered")) is None else int(bool(r)))


def _with_figures(rows: Sequence[tuple[int, str, int | None, dict[str, Any]]],
                  ) -> Iterator[tuple[int, str, int | None, tuple[Any, ...]]]:
    """Each (person_id, org_id, import_id, values) row with its figures (`_figures`) instead of the dict."""
    # Rows with the same figures often share one dict (the importer's), read once here; `id` is
    # a safe key while `rows` holds every dict alive.
    figures: dict[int, tuple[Any, ...]] = {}
    for pid, org, import_id, v in rows:
        found = figures.get(id(v))
        if found is None:
            found = figures[id(v)] = _figures(v)
        yield pid, org, import_id, found


class StatsRepo:
    """Statistics, imports and kept-aside rows in SQLite."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- writes inside the importer's transaction -------------------------------------

    @staticmethod
    async def create_import_in(conn: Connection, *, org_id: str | None, kind: str,
                               period: Period | None, file_name: str, rows_read: int,
                               rows_imported: int, problems: Sequence[dict[str, Any]],
                               imported_by: Identity | None) -> int:
        """Record one imported file for one organization; returns its id."""
        new_id = await insert_id(
            conn, "INSERT INTO imports(org_id, kind, period_start, period_end, file_name, rows_read, "
            "rows_imported, problems, imported_by, imported_by_messenger, imported_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (org_id, kind, period.start.isoformat() if period else None,
             period.end.isoformat() if period else None, file_name, rows_read, rows_imported,
             dumps(list(problems)), imported_by.external_id if imported_by else None,
             imported_by.messenger.value if imported_by else None, iso()),
        )
        return new_id or 0

    @staticmethod
    async def has_period_in(conn: Connection, org_ids: Sequence[str], kind: str,
                            period: Period) -> bool:
        """Whether a table of this kind was already imported for the period and any of the orgs."""
        if not org_ids:
            return False
        sql = f"SELECT 1 FROM imports WHERE kind = ? AND period_start = ? AND org_id IN ({_marks(org_ids)}) LIMIT 1"  # noqa: S608 - placeholders only
        async with conn.execute(sql, (kind, period.start.isoformat(), *org_ids)) as cur:
            return await cur.fetchone() is not None

    @staticmethod
    async def stored_ids_in(conn: Connection, org_ids: Sequence[str], kind: str,
                            period: Period) -> set[object]:
        """Who has figures for the period now: person ids ('person') or org ids ('organization')."""
        if not org_ids:
            return set()
        table, column = ("person_stats", "person_id") if kind == "person" else ("org_stats", "org_id")
        sql = f"SELECT {column} FROM {table} WHERE period_start = ? AND org_id IN ({_marks(org_ids)})"  # noqa: S608 - fixed names
        async with conn.execute(sql, (period.start.isoformat(), *org_ids)) as cur:
            return {r[0] for r in await cur.fetchall()}

    @staticmethod
    async def clear_period_in(conn: Connection, org_ids: Sequence[str], kind: str,
                              period: Period) -> None:
        """Drop a period's figures and open kept-aside rows for these orgs (before a re-import)."""
        if not org_ids:
            return
        marks = _marks(org_ids)
        start = period.start.isoformat()
        table = "person_stats" if kind == "person" else "org_stats"
        await conn.execute(f"DELETE FROM {table} WHERE period_start = ? AND org_id IN ({marks})",  # noqa: S608 - fixed names
                           (start, *org_ids))
        await conn.execute(
            f"UPDATE pending_rows SET status = 'dismissed' WHERE status = 'open' AND import_id IN "  # noqa: S608 - placeholders only
            f"(SELECT id FROM imports WHERE kind = ? AND period_start = ? AND org_id IN ({marks}))",
            (kind, start, *org_ids),
        )

    @staticmethod
    async def put_person_stats_in(conn: Connection, rows: Sequence[PersonStats]) -> None:
        """Insert or replace per-person figures (one row per person and period)."""
        await conn.executemany(
            _PERSON_UPSERT,
            [_person_values(s) for s in rows],
        )

    @staticmethod
    async def put_person_values_in(conn: Connection, period: Period,
                                   rows: Sequence[tuple[int, str, int | None, dict[str, Any]]]) -> None:
        """`put_person_stats_in` for plain (person_id, org_id, import_id, values) rows: no model per row."""
        start, end = period.start.isoformat(), period.end.isoformat()
        params = [(pid, org, start, end, *found, import_id) for pid, org, import_id, found in _with_figures(rows)]
        # In primary-key order SQLite appends to its B-trees instead of jumping about them.
        params.sort(key=itemgetter(0))
        if conn.dialect == "postgres":
            # One COPY stream and one set-wise upsert instead of a statement per row.
            from storage.pg import copy_upsert

            await copy_upsert(conn, "person_stats", _PERSON_ROW, ("person_id", "period_start"), params)
            return
        # Usually no stored row is in the way (the importer clears the schools' week first), and SQLite
        # inserts a fifth faster without the upsert's clause. A row in the way (the person's week under
        # another school, or written earlier in this transaction) stops the INSERT at its statement, with
        # the statements before it in; the upsert then writes every row again, to the same end.
        try:
            size = _rows_per_insert()
            for at in range(0, len(params), size):
                part = params[at:at + size]
                await conn.execute(_person_insert(len(part)), list(chain.from_iterable(part)))
        except sqlite3.IntegrityError:
            await conn.executemany(_PERSON_UPSERT, params)

    @staticmethod
    async def begin_early_in(conn: Connection) -> None:
        """Mark the point `end_early_in(undo=True)` goes back to."""
        await conn.execute("SAVEPOINT early_rows")

    @staticmethod
    async def end_early_in(conn: Connection, *, undo: bool) -> None:
        """Keep what was written since `begin_early_in`, or (`undo`) take it back."""
        if undo:
            await conn.execute("ROLLBACK TO early_rows")
        await conn.execute("RELEASE early_rows")

    @staticmethod
    async def insert_person_values_in(conn: Connection, period: Period,
                                      rows: Sequence[tuple[int, str, int | None, dict[str, Any]]]) -> bool:
        """`put_person_values_in` without replacing: False (and the rows of the failing statement not
        written) when a row is in the way, or when the transaction is over already."""
        start, end = period.start.isoformat(), period.end.isoformat()
        groups: dict[tuple[str, int | None], list[tuple[Any, ...]]] = {}
        for pid, org, import_id, found in _with_figures(rows):
            groups.setdefault((org, import_id), []).append((pid, *found))
        try:
            for (org, import_id), params in groups.items():
                params.sort(key=itemgetter(0))
                size = _shared_rows_per_insert()
                for at in range(0, len(params), size):
                    part = params[at:at + size]
                    # Checked and sent in one step of the event loop: nothing can end the transaction between.
                    if getattr(conn, "live", True) is False:
                        return False
                    await conn.execute(_person_insert_shared(len(part)),
                                       [org, start, end, import_id, *chain.from_iterable(part)])
        except sqlite3.IntegrityError:
            return False
        return True

    @staticmethod
    async def finish_import_in(conn: Connection, import_id: int, *, rows_read: int, rows_imported: int,
                               problems: Sequence[dict[str, Any]]) -> None:
        """The counts and problems of an import recorded before its rows were all read."""
        await conn.execute("UPDATE imports SET rows_read = ?, rows_imported = ?, problems = ? WHERE id = ?",
                           (rows_read, rows_imported, dumps(list(problems)), import_id))

    @staticmethod
    async def put_org_stats_in(conn: Connection, rows: Sequence[OrgStats]) -> None:
        """Insert or replace per-organization indicators."""
        cols = ("org_id", "period_start", "period_end", *ORG_FIELDS, "import_id")
        await conn.executemany(
            upsert("org_stats", cols, ("org_id", "period_start")),
            [(s.org_id, s.period.start.isoformat(), s.period.end.isoformat(),
              *(getattr(s, f) for f in ORG_FIELDS), s.import_id) for s in rows],
        )

    @staticmethod
    async def add_pending_in(conn: Connection, import_id: int, rows: Sequence[NewPending]) -> None:
        """Keep rows aside for the deputy."""
        await conn.executemany(
            "INSERT INTO pending_rows(import_id, org_id, row_no, name, data, candidates, reason) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(import_id, r.org_id, r.row_no, r.name, dumps(r.data),
              dumps([c.model_dump() for c in r.candidates]), r.reason) for r in rows],
        )

    @staticmethod
    async def resolutions_in(conn: Connection, org_ids: Sequence[str]) -> list[tuple[str, str, int]]:
        """(org_id, name as written, person_id) of rows the deputy resolved before, oldest first:
        next week's table writes the same names the same way."""
        if not org_ids:
            return []
        sql = f"SELECT org_id, name, person_id FROM pending_rows WHERE status = 'resolved' AND person_id IS NOT NULL AND org_id IN ({_marks(org_ids)}) ORDER BY id"  # noqa: S608 - placeholders only
        async with conn.execute(sql, tuple(org_ids)) as cur:
            return [(r[0], r[1], r[2]) for r in await cur.fetchall()]

    @staticmethod
    async def pending_in(conn: Connection, pending_id: int) -> PendingRow | None:
        """One kept-aside row, read inside a transaction."""
        async with conn.execute(f"{_PENDING_SQL} WHERE pr.id = ?", (pending_id,)) as cur:  # noqa: S608 - fixed
            row = await cur.fetchone()
        return _pending(row) if row else None

    @staticmethod
    async def close_pending_in(conn: Connection, pending_id: int, person_id: int | None) -> None:
        """Mark a kept-aside row resolved (with the person chosen) or dismissed (None)."""
        await conn.execute(
            "UPDATE pending_rows SET status = ?, person_id = ? WHERE id = ?",
            ("resolved" if person_id is not None else "dismissed", person_id, pending_id),
        )
        if person_id is not None:
            await conn.execute(
                "UPDATE imports SET rows_imported = rows_imported + 1 "
                "WHERE id = (SELECT import_id FROM pending_rows WHERE id = ?)", (pending_id,))

    # --- reads for the summary, reminders and my_status --------------------------------

    async def person_stats(self, org_id: str, period: Period) -> list[PersonStats]:
        """Everyone's figures for one period of one organization."""
        async with self._db.read() as conn, conn.execute(
            "SELECT * FROM person_stats WHERE org_id = ? AND period_start = ? ORDER BY person_id",
            (org_id, period.start.isoformat()),
        ) as cur:
            periods: dict[tuple[str, str], Period] = {}
            return [_person_stats(r, periods) for r in await cur.fetchall()]

    async def person_stats_of(self, periods: Mapping[str, Period]) -> dict[str, list[PersonStats]]:
        """`person_stats` of several organizations at once (a regional wave): each org's figures for its period."""
        found: dict[str, list[PersonStats]] = {org_id: [] for org_id in periods}
        by_start: dict[dt.date, list[str]] = {}
        for org_id, period in periods.items():
            by_start.setdefault(period.start, []).append(org_id)
        shared: dict[tuple[str, str], Period] = {}
        async with self._db.read() as conn:
            for start, org_ids in by_start.items():
                for at in range(0, len(org_ids), _ORG_CHUNK):
                    chunk = org_ids[at:at + _ORG_CHUNK]
                    sql = (f"SELECT * FROM person_stats WHERE period_start = ? AND org_id IN ({_marks(chunk)}) "  # noqa: S608 - placeholders only
                           "ORDER BY org_id, person_id")
                    async with conn.execute(sql, (start.isoformat(), *chunk)) as cur:
                        for row in await cur.fetchall():
                            found[row["org_id"]].append(_person_stats(row, shared))
        return found

    async def for_person(self, person_id: int, period: Period) -> PersonStats | None:
        """One person's figures for one period (None when the table did not have them)."""
        async with self._db.read() as conn, conn.execute(
            "SELECT * FROM person_stats WHERE person_id = ? AND period_start = ?",
            (person_id, period.start.isoformat()),
        ) as cur:
            row = await cur.fetchone()
        return _person_stats(row) if row else None

    async def person_history(self, person_id: int, limit: int = 10) -> list[PersonStats]:
        """One person's figures, newest period first."""
        async with self._db.read() as conn, conn.execute(
            "SELECT * FROM person_stats WHERE person_id = ? ORDER BY period_start DESC LIMIT ?",
            (person_id, limit),
        ) as cur:
            return [_person_stats(r) for r in await cur.fetchall()]

    async def org_stats(self, org_id: str, period: Period) -> OrgStats | None:
        """The organization's row from a per-organization table for the period."""
        async with self._db.read() as conn, conn.execute(
            "SELECT * FROM org_stats WHERE org_id = ? AND period_start = ?",
            (org_id, period.start.isoformat()),
        ) as cur:
            row = await cur.fetchone()
        return _org_stats(row) if row else None

    async def latest_period(self, org_id: str, kind: str | None = None) -> Period | None:
        """The newest period imported for the org (of `kind`: 'person' or 'organization')."""
        kinds = (kind,) if kind else ("person", "organization")
        sql = (
            "SELECT period_start, period_end FROM imports WHERE org_id = ? AND period_start IS NOT NULL "  # noqa: S608 - placeholders only
            f"AND kind IN ({_marks(kinds)}) ORDER BY period_start DESC LIMIT 1"
        )
        async with self._db.read() as conn, conn.execute(sql, (org_id, *kinds)) as cur:
            row = await cur.fetchone()
        return _period(row[0], row[1]) if row else None

    async def latest_periods(self, org_ids: Sequence[str], kind: str | None = None) -> dict[str, Period]:
        """`latest_period` of several organizations at once; those with no import are left out."""
        kinds = (kind,) if kind else ("person", "organization")
        found: dict[str, Period] = {}
        wanted = list(dict.fromkeys(org_ids))
        async with self._db.read() as conn:
            for at in range(0, len(wanted), _ORG_CHUNK):
                chunk = wanted[at:at + _ORG_CHUNK]
                sql = (f"SELECT org_id, MAX(period_start), MAX(period_end) FROM imports WHERE org_id IN ({_marks(chunk)}) "  # noqa: S608 - placeholders only
                       f"AND period_start IS NOT NULL AND kind IN ({_marks(kinds)}) GROUP BY org_id, period_start")
                async with conn.execute(sql, (*chunk, *kinds)) as cur:
                    for org_id, start, end in await cur.fetchall():
                        period = _period(start, end)
                        if period is not None and (org_id not in found or period.start > found[org_id].start):
                            found[org_id] = period
        return found

    async def periods(self, org_id: str, kind: str | None = None) -> list[Period]:
        """Every imported period of the org, newest first."""
        kinds = (kind,) if kind else ("person", "organization")
        sql = (
            "SELECT DISTINCT period_start, period_end FROM imports WHERE org_id = ? AND period_start IS NOT NULL "  # noqa: S608 - placeholders only
            f"AND kind IN ({_marks(kinds)}) ORDER BY period_start DESC"
        )
        async with self._db.read() as conn, conn.execute(sql, (org_id, *kinds)) as cur:
            rows = await cur.fetchall()
        return [p for p in (_period(r[0], r[1]) for r in rows) if p is not None]

    async def imports(self, org_id: str | None = None, limit: int = 20) -> list[ImportRecord]:
        """Recent imports, newest first."""
        async with self._db.read() as conn:
            if org_id is None:
                cur = await conn.execute("SELECT * FROM imports ORDER BY id DESC LIMIT ?", (limit,))
            else:
                cur = await conn.execute("SELECT * FROM imports WHERE org_id = ? ORDER BY id DESC LIMIT ?",
                                         (org_id, limit))
            rows = await cur.fetchall()
            await cur.close()
        return [ImportRecord(
            id=r["id"], org_id=r["org_id"], kind=r["kind"], period=_period(r["period_start"], r["period_end"]),
            file_name=r["file_name"], rows_read=r["rows_read"], rows_imported=r["rows_imported"],
            problems=json.loads(r["problems"]), imported_at=r["imported_at"],
            imported_by=Identity(messenger=Messenger(r["imported_by_messenger"] or "vk"), external_id=r["imported_by"])
            if r["imported_by"] is not None else None,
        ) for r in rows]

    async def pending(self, org_id: str | None = None, status: str = "open") -> list[PendingRow]:
        """Kept-aside rows in the order of the file."""
        async with self._db.read() as conn:
            if org_id is None:
                cur = await conn.execute(f"{_PENDING_SQL} WHERE pr.status = ? ORDER BY pr.id", (status,))  # noqa: S608 - fixed
            else:
                cur = await conn.execute(f"{_PENDING_SQL} WHERE pr.status = ? AND pr.org_id = ? ORDER BY pr.id",  # noqa: S608 - fixed
                                         (status, org_id))
            rows = await cur.fetchall()
            await cur.close()
        return [_pending(r) for r in rows]

    async def get_pending(self, pending_id: int) -> PendingRow | None:
        """One kept-aside row."""
        async with self._db.read() as conn:
            return await self.pending_in(conn, pending_id)
