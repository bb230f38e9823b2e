"""The reminder log and the scheduler's record of fired jobs."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from bot.domain.models import Period
from bot.stores.reminders import LogEntry, NewLogEntry
from storage._util import dumps, iso
from storage.sql import Connection, Database, Row

# Values in one IN (...) list of the multi-school reads: well below the backends' parameter limits.
CHUNK = 500
# Statuses that mean a person may have received the reminder (the 7-day rule counts them).
COUNTED = ("planned", "sent")


class JobRun(BaseModel):
    """When a scheduled job last fired, and its memory."""

    model_config = ConfigDict(frozen=True)

    job_id: str
    last_slot: dt.datetime
    outcome: str
    detail: str | None
    updated_at: dt.datetime


def _entry(r: Row) -> LogEntry:
    return LogEntry(
        id=r["id"], org_id=r["org_id"], person_id=r["person_id"], kind=r["kind"],
        period_start=dt.date.fromisoformat(r["period_start"]), idem_key=r["idem_key"],
        reasons=json.loads(r["reasons"]), status=r["status"], error_code=r["error_code"],
        created_at=dt.datetime.fromisoformat(r["created_at"]),
        finished_at=dt.datetime.fromisoformat(r["finished_at"]) if r["finished_at"] else None,
    )


def _job(r: Row) -> JobRun:
    return JobRun(job_id=r["job_id"], last_slot=dt.datetime.fromisoformat(r["last_slot"]),
                  outcome=r["outcome"], detail=r["detail"],
                  updated_at=dt.datetime.fromisoformat(r["updated_at"]))


class ReminderRepo:
    """reminder_log and job_runs in SQLite."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- the reminder log ------------------------------------------------------------

    async def recent(self, org_id: str, since: dt.datetime) -> list[LogEntry]:
        """Reminders that may have reached someone (planned or sent) since `since`, oldest first."""
        async with self._db.read() as conn, conn.execute(
            "SELECT * FROM reminder_log WHERE org_id = ? AND created_at >= ? AND status IN (?, ?) "
            "ORDER BY created_at, id", (org_id, iso(since), *COUNTED),
        ) as cur:
            return [_entry(r) for r in await cur.fetchall()]

    async def recent_of(self, org_ids: Sequence[str], since: dt.datetime) -> dict[str, list[LogEntry]]:
        """`recent` of several organizations at once (a regional wave)."""
        found: dict[str, list[LogEntry]] = {org_id: [] for org_id in org_ids}
        wanted = list(found)
        async with self._db.read() as conn:
            for start in range(0, len(wanted), CHUNK):
                chunk = wanted[start:start + CHUNK]
                sql = (f"SELECT * FROM reminder_log WHERE org_id IN ({','.join('?' * len(chunk))}) "  # noqa: S608 - placeholders only
                       "AND created_at >= ? AND status IN (?, ?) ORDER BY created_at, id")
                async with conn.execute(sql, (*chunk, iso(since), *COUNTED)) as cur:
                    for r in await cur.fetchall():
                        found[r["org_id"]].append(_entry(r))
        return found

    async def last_for_person(self, person_id: int) -> LogEntry | None:
        """The person's newest reminder that may have reached them."""
        async with self._db.read() as conn, conn.execute(
            "SELECT * FROM reminder_log WHERE person_id = ? AND status IN (?, ?) "
            "ORDER BY created_at DESC, id DESC LIMIT 1", (person_id, *COUNTED),
        ) as cur:
            row = await cur.fetchone()
        return _entry(row) if row else None

    async def by_keys(self, keys: Sequence[str]) -> dict[str, LogEntry]:
        """Entries by their outbox key."""
        found: dict[str, LogEntry] = {}
        async with self._db.read() as conn:
            if conn.dialect == "postgres" and keys:
                # One statement over an array: a wave's thousands of keys in one round trip and one plan.
                async with conn.execute("SELECT * FROM reminder_log WHERE idem_key = ANY(?::text[])",
                                        (list(keys),)) as cur:
                    return {r["idem_key"]: _entry(r) for r in await cur.fetchall()}
            for start in range(0, len(keys), CHUNK):
                chunk = list(keys[start:start + CHUNK])
                marks = ",".join("?" * len(chunk))
                async with conn.execute(f"SELECT * FROM reminder_log WHERE idem_key IN ({marks})",  # noqa: S608 - placeholders only
                                        chunk) as cur:
                    for r in await cur.fetchall():
                        found[r["idem_key"]] = _entry(r)
        return found

    @staticmethod
    async def add_in(conn: Connection, entries: Sequence[NewLogEntry], at: dt.datetime) -> None:
        """Record reminders before they are sent; an entry already recorded (a restarted run) stays."""
        # A wave has a handful of distinct reason lists and one period: each is written out once.
        texts: dict[tuple[str, ...], str] = {}
        starts: dict[dt.date, str] = {}
        created = iso(at)
        params = []
        for e in entries:
            reasons = tuple(e.reasons)
            if (text := texts.get(reasons)) is None:
                text = texts[reasons] = dumps(e.reasons)
            if (start := starts.get(e.period.start)) is None:
                start = starts[e.period.start] = e.period.start.isoformat()
            params.append((e.org_id, e.person_id, e.kind, start, e.idem_key, text, e.status, created))
        if conn.dialect == "postgres" and params:
            # One statement over arrays: a regional wave's tens of thousands of rows in one round trip.
            columns = list(zip(*params, strict=True))
            await conn.execute(
                "INSERT INTO reminder_log(org_id, person_id, kind, period_start, idem_key, reasons, status, "
                "created_at) SELECT * FROM unnest(?::text[], ?::bigint[], ?::text[], ?::text[], ?::text[], "
                "?::text[], ?::text[], ?::text[]) ON CONFLICT DO NOTHING", [list(c) for c in columns])
            return
        await conn.executemany(
            "INSERT INTO reminder_log(org_id, person_id, kind, period_start, idem_key, reasons, "
            "status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", params)

    @staticmethod
    async def finish_in(conn: Connection, results: Sequence[tuple[str, str, int | None]],
                        at: dt.datetime) -> None:
        """(idem_key, status, error_code) as the outbox reported each message."""
        if conn.dialect == "postgres" and results:
            # One statement over arrays (a regional wave); a key given twice keeps its last result, as below.
            last = {key: (status, code) for key, status, code in results}
            await conn.execute(
                "UPDATE reminder_log AS r SET status = v.status, error_code = v.code, finished_at = ? "
                "FROM unnest(?::text[], ?::text[], ?::bigint[]) AS v(idem_key, status, code) "
                "WHERE r.idem_key = v.idem_key",
                (iso(at), list(last), [s for s, _ in last.values()], [c for _, c in last.values()]))
            return
        await conn.executemany(
            "UPDATE reminder_log SET status = ?, error_code = ?, finished_at = ? WHERE idem_key = ?",
            [(status, code, iso(at), key) for key, status, code in results],
        )

    async def add(self, entries: Sequence[NewLogEntry], at: dt.datetime) -> None:
        """`add_in` in its own transaction."""
        async with self._db.transaction() as conn:
            await self.add_in(conn, entries, at)

    async def finish(self, results: Sequence[tuple[str, str, int | None]], at: dt.datetime) -> None:
        """`finish_in` in its own transaction."""
        async with self._db.transaction() as conn:
            await self.finish_in(conn, results, at)

    async def sent_count(self, org_id: str, period: Period, kind: str = "reminder") -> int:
        """How many reminders about `period` reached people."""
        async with self._db.read() as conn, conn.execute(
            "SELECT COUNT(*) FROM reminder_log WHERE org_id = ? AND period_start = ? AND kind = ? "
            "AND status = 'sent'", (org_id, period.start.isoformat(), kind),
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    # --- scheduled jobs --------------------------------------------------------------

    async def job(self, job_id: str) -> JobRun | None:
        """The record of one job (None before its first start)."""
        async with self._db.read() as conn, conn.execute(
            "SELECT * FROM job_runs WHERE job_id = ?", (job_id,)) as cur:
            row = await cur.fetchone()
        return _job(row) if row else None

    async def jobs(self) -> list[JobRun]:
        """Every job's record."""
        async with self._db.read() as conn, conn.execute("SELECT * FROM job_runs ORDER BY job_id") as cur:
            return [_job(r) for r in await cur.fetchall()]

    async def jobs_of(self, job_ids: Sequence[str]) -> dict[str, JobRun]:
        """The records of several jobs (those never started are left out)."""
        found: dict[str, JobRun] = {}
        async with self._db.read() as conn:
            for start in range(0, len(job_ids), CHUNK):
                chunk = list(job_ids[start:start + CHUNK])
                async with conn.execute(f"SELECT * FROM job_runs WHERE job_id IN ({','.join('?' * len(chunk))})",  # noqa: S608 - placeholders only
                                        chunk) as cur:
                    for r in await cur.fetchall():
                        found[r["job_id"]] = _job(r)
        return found

    async def mark_job(self, job_id: str, slot: dt.datetime, outcome: str, at: dt.datetime,
                       detail: str | None = None) -> None:
        """Record that `slot` of the job was handled (never moves back in time)."""
        await self.mark_jobs([(job_id, slot, outcome)], at, detail)

    async def mark_jobs(self, marks: Sequence[tuple[str, dt.datetime, str]], at: dt.datetime,
                        detail: str | None = None) -> None:
        """`mark_job` of several (job_id, slot, outcome) in one transaction (a regional wave's slots)."""
        if not marks:
            return
        async with self._db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO job_runs(job_id, last_slot, outcome, detail, updated_at) VALUES (?, ?, ?, ?, ?) "
                # The later of the two ISO slots, written as a CASE both backends read (SQLite's MAX(a, b) is not PG's).
                "ON CONFLICT(job_id) DO UPDATE SET last_slot = CASE WHEN excluded.last_slot > job_runs.last_slot "
                "THEN excluded.last_slot ELSE job_runs.last_slot END, "
                "outcome = excluded.outcome, detail = COALESCE(excluded.detail, job_runs.detail), "
                "updated_at = excluded.updated_at",
                [(job_id, iso(slot), outcome, detail, iso(at)) for job_id, slot, outcome in marks],
            )
