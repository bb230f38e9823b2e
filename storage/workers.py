"""The workers registry (migration 0023): who runs on this database, and since when they last beat."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from storage._util import iso
from storage.sql import Database

# Every registered worker, in the column order `fresh_workers` reads.
SELECT_WORKERS = "SELECT id, host, pid, roles, version, started_at, heartbeat_at FROM workers"


class Worker(BaseModel):
    """One registered `run` process."""

    id: str
    host: str
    pid: int
    roles: list[str]
    version: str
    started_at: dt.datetime
    heartbeat_at: dt.datetime


def _when(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class WorkersRepo:
    """Register, beat, deregister, and list the workers whose heartbeat is recent."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def register(self, worker_id: str, host: str, pid: int, roles: Sequence[str], version: str,
                       now: dt.datetime) -> None:
        """Add (or renew) this process's row."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO workers(id, host, pid, roles, version, started_at, heartbeat_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, "
                "roles = excluded.roles",
                (worker_id, host, pid, json.dumps(list(roles)), version, iso(now), iso(now)))

    async def heartbeat(self, worker_id: str, now: dt.datetime) -> bool:
        """Record that the worker is alive; False when its row is gone (then it registers again)."""
        async with self._db.transaction() as conn:
            cur = await conn.execute("UPDATE workers SET heartbeat_at = ? WHERE id = ?", (iso(now), worker_id))
            return cur.rowcount > 0

    async def deregister(self, worker_id: str) -> None:
        """A clean exit: the row goes."""
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM workers WHERE id = ?", (worker_id,))

    async def alive(self, now: dt.datetime, within: dt.timedelta) -> list[Worker]:
        """The workers whose last heartbeat is younger than `within`, freshest first."""
        async with self._db.read() as conn, conn.execute(
                SELECT_WORKERS) as cur:
            rows = await cur.fetchall()
        return fresh_workers(rows, now, within)


def alive_at(path: Path, now: dt.datetime, within: dt.timedelta) -> list[Worker]:
    """The fresh workers of the SQLite database at `path`, read-only; none when it (or its table) is not there."""
    if not path.exists():
        return []
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            rows = conn.execute(SELECT_WORKERS).fetchall()
    except sqlite3.Error:
        return []  # an older schema without the table, or a file restore will judge itself
    return fresh_workers(rows, now, within)


def fresh_workers(rows: Iterable[Sequence[Any]], now: dt.datetime, within: dt.timedelta) -> list[Worker]:
    """The rows of `SELECT_WORKERS` whose heartbeat is younger than `within`, freshest first."""
    workers = [Worker(id=r[0], host=r[1], pid=int(r[2]), roles=json.loads(r[3] or "[]"), version=r[4] or "",
                      started_at=_when(r[5]), heartbeat_at=_when(r[6])) for r in rows]
    return sorted((w for w in workers if now - w.heartbeat_at < within), key=lambda w: w.heartbeat_at, reverse=True)
