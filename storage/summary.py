"""Reads for the head's summary: a district's weeks aggregated in SQL, never row by row in Python.

`load()` answers, in one read, for many schools at once: each school's latest imported
periods, the per-person tables of those periods aggregated per (school, period), the
per-organization rows, and roster counts. `people_figures()` gives one school's rows with
names (for «whom to talk to»). The weekly auto-send marks what it sent in runtime_state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.domain.indicators import OrgFigures, PersonFigures, TableCounts, Thresholds
from bot.domain.models import Period, Role
from bot.stores.summary import RosterCounts, SummaryData
from storage._util import iso
from storage.sql import Connection, Database

# SQLite allows 32,766 parameters; one per school.
_ORGS_PER_QUERY = 5000
_ORG_COLS = ("students_total", "teachers_total", "teachers_created_chats", "teachers_3plus",
             "teachers_10plus", "teachers_1call", "teachers_ejd", "students_ejd", "status")


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


# Counts among teachers; a column the table did not have (all NULL) gives NULL, not 0.
# Read in the order of the person_stats_summary index (0008): no sort for the GROUP BY.
_TABLE_SQL = """
SELECT ps.org_id, ps.period_start, COUNT(*),
       COUNT(*) FILTER (WHERE p.role = 'teacher' AND COALESCE(ps.registered, 1) = 1),
       CASE WHEN COUNT(ps.group_chats_created) > 0
            THEN COUNT(*) FILTER (WHERE p.role = 'teacher' AND ps.group_chats_created > 0) END,
       CASE WHEN COUNT(ps.group_messages) > 0
            THEN COUNT(*) FILTER (WHERE p.role = 'teacher' AND ps.group_messages >= ?) END,
       CASE WHEN COUNT(ps.group_messages) > 0
            THEN COUNT(*) FILTER (WHERE p.role = 'teacher' AND ps.group_messages >= ?) END,
       CASE WHEN COUNT(ps.calls) > 0 THEN COUNT(*) FILTER (WHERE p.role = 'teacher' AND ps.calls >= ?) END,
       CASE WHEN COUNT(ps.ejd_linked) > 0
            THEN COUNT(*) FILTER (WHERE p.role = 'teacher' AND ps.ejd_linked = 1) END,
       COUNT(*) FILTER (WHERE COALESCE(ps.registered, 1) = 1),
       COUNT(ps.registered) > 0
FROM person_stats ps JOIN people p ON p.id = ps.person_id
WHERE ps.org_id IN ({marks}) AND ps.period_start BETWEEN ? AND ?
GROUP BY ps.org_id, ps.period_start
"""


class SummaryRepo:
    """Aggregate reads for summaries (one school or a whole district)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def load(self, org_ids: Sequence[str], thresholds: Thresholds, *, depth: int = 8,
                   until: dt.date | None = None) -> SummaryData:
        """Each school's `depth` latest imported periods (starting on or before `until`), aggregated."""
        data = SummaryData()
        if not org_ids:
            return data
        async with self._db.read() as conn:
            data.periods = await self._periods(conn, org_ids, depth, until)
            wanted: dict[str, set[str]] = {org: {p.key for p in periods} for org, periods in data.periods.items()}
            if until is not None:
                # The period asked for is shown even when nothing was imported for it.
                for org in org_ids:
                    wanted.setdefault(org, set()).add(until.isoformat())
            # Schools whose weeks span the same window share one range scan (usually all of them).
            windows: dict[tuple[str, str], list[str]] = {}
            for org, starts in wanted.items():
                if starts:
                    windows.setdefault((min(starts), max(starts)), []).append(org)
            for (first, last), orgs in windows.items():
                for n in range(0, len(orgs), _ORGS_PER_QUERY):
                    chunk = orgs[n:n + _ORGS_PER_QUERY]
                    await self._tables(conn, chunk, first, last, thresholds, wanted, data)
                    await self._orgs(conn, chunk, first, last, wanted, data)
            data.roster = await self._roster(conn, org_ids)
        return data

    @staticmethod
    async def _periods(conn: Connection, org_ids: Sequence[str], depth: int,
                       until: dt.date | None) -> dict[str, list[Period]]:
        sql = (
            "SELECT org_id, period_start, period_end FROM ("  # noqa: S608 - placeholders only
            " SELECT org_id, period_start, MAX(period_end) AS period_end,"
            " ROW_NUMBER() OVER (PARTITION BY org_id ORDER BY period_start DESC) AS n"
            f" FROM imports WHERE org_id IN ({_marks(org_ids)}) AND kind IN ('person', 'organization')"
            " AND period_start IS NOT NULL AND period_start <= ? GROUP BY org_id, period_start"
            ") latest WHERE n <= ? ORDER BY org_id, period_start DESC"
        )
        limit = until.isoformat() if until is not None else "9999-12-31"
        found: dict[str, list[Period]] = {org: [] for org in org_ids}
        async with conn.execute(sql, (*org_ids, limit, depth)) as cur:
            for org, start, end in await cur.fetchall():
                found[org].append(Period(start=dt.date.fromisoformat(start), end=dt.date.fromisoformat(end)))
        return found

    @staticmethod
    async def _tables(conn: Connection, orgs: Sequence[str], first: str, last: str, t: Thresholds,
                      wanted: dict[str, set[str]], data: SummaryData) -> None:
        sql = _TABLE_SQL.format(marks=_marks(orgs))
        # The thresholds come first in the statement text, the range after them.
        async with conn.execute(sql, (t.messages, t.messages_target, t.calls, *orgs, first, last)) as cur:
            for r in await cur.fetchall():
                if r[1] not in wanted[r[0]]:
                    continue
                data.tables[(r[0], r[1])] = TableCounts.model_construct(
                    rows=r[2], teachers_total=r[3] or 0, teachers_created_chats=r[4], teachers_3plus=r[5],
                    teachers_10plus=r[6], teachers_1call=r[7], teachers_ejd=r[8],
                    registered_people=r[9] or 0, has_registered=bool(r[10]))

    @staticmethod
    async def _orgs(conn: Connection, orgs: Sequence[str], first: str, last: str,
                    wanted: dict[str, set[str]], data: SummaryData) -> None:
        sql = (f"SELECT org_id, period_start, {', '.join(_ORG_COLS)} FROM org_stats "  # noqa: S608 - fixed names
               f"WHERE org_id IN ({_marks(orgs)}) AND period_start BETWEEN ? AND ?")
        async with conn.execute(sql, (*orgs, first, last)) as cur:
            for r in await cur.fetchall():
                if r[1] in wanted[r[0]]:
                    data.orgs[(r[0], r[1])] = OrgFigures(**{c: r[2 + n] for n, c in enumerate(_ORG_COLS)})

    @staticmethod
    async def _roster(conn: Connection, org_ids: Sequence[str]) -> dict[str, RosterCounts]:
        marks = _marks(org_ids)
        people = (f"SELECT org_id, COUNT(*), COUNT(*) FILTER (WHERE source != 'config') FROM people WHERE org_id IN ({marks}) "  # noqa: S608 - placeholders only
                  "AND active = 1 AND role != 'district' GROUP BY org_id")
        classes = ("SELECT p.org_id, COUNT(DISTINCT pc.class_name) FROM person_classes pc "  # noqa: S608 - placeholders only
                   f"JOIN people p ON p.id = pc.person_id WHERE p.org_id IN ({marks}) AND p.active = 1 "
                   "GROUP BY p.org_id")
        counts: dict[str, list[int]] = {org: [0, 0, 0] for org in org_ids}
        async with conn.execute(people, tuple(org_ids)) as cur:
            for org, total, real in await cur.fetchall():
                counts[org][0:2] = [total, real or 0]
        async with conn.execute(classes, tuple(org_ids)) as cur:
            for org, n in await cur.fetchall():
                counts[org][2] = n
        return {org: RosterCounts(people=c[0], from_roster=c[1], classes=c[2]) for org, c in counts.items()}

    async def people_figures(self, org_id: str, period: Period) -> list[PersonFigures]:
        """One school's per-person rows for a period, with names, ordered by name."""
        async with self._db.read() as conn, conn.execute(
            "SELECT p.full_name, p.role, ps.group_messages, ps.calls, ps.group_chats_created, ps.ejd_linked, "
            "ps.registered FROM person_stats ps JOIN people p ON p.id = ps.person_id "
            "WHERE ps.org_id = ? AND ps.period_start = ? ORDER BY p.full_name, p.id",
            (org_id, period.key),
        ) as cur:
            rows = await cur.fetchall()
        return [PersonFigures(name=r[0], role=Role(r[1]), group_messages=r[2], calls=r[3],
                              group_chats_created=r[4], ejd_linked=None if r[5] is None else bool(r[5]),
                              registered=None if r[6] is None else bool(r[6])) for r in rows]

    async def weekly_sent(self, org_id: str, period: Period) -> bool:
        """Whether the weekly summary of this school and period went out already."""
        async with self._db.read() as conn, conn.execute(
            "SELECT 1 FROM runtime_state WHERE key = ?", (_weekly_key(org_id, period),)
        ) as cur:
            return await cur.fetchone() is not None

    async def mark_weekly_sent(self, org_id: str, period: Period) -> None:
        """Remember that the weekly summary of this school and period went out."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO runtime_state(key, value, updated_at) VALUES (?, 'sent', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (_weekly_key(org_id, period), iso()),
            )


def _weekly_key(org_id: str, period: Period) -> str:
    return f"summary_weekly:{org_id}:{period.key}"
