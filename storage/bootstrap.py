"""`sferum-bot init`: create the database and bring its schema up to this code's while no worker uses it.

SQLite: the file is made (and migrated) under the run lock `run` holds, so no bot starts meanwhile.
PostgreSQL: the database itself must exist (its owner creates it); the schema is made under the advisory
lock every starting process migrates under, and the workers registry is read under that same lock.
Either way a schema newer than this code, or a worker that beat recently, stops it before anything changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.db import Database, Migration, load_migrations, os_reason, storage_error
from storage.sql import Dialect
from storage.workers import SELECT_WORKERS, Worker, alive_at, fresh_workers


@dataclass(frozen=True)
class Initialised:
    """What `init` did: the backend, the database as messages name it, the migrations applied now (in
    order; empty when the schema was already current) and how many migrations the schema has in all."""

    backend: Dialect
    database: str
    applied: list[str]
    created: bool
    total: int

    @property
    def current(self) -> bool:
        """Whether the schema was already this code's before the command (nothing to apply)."""
        return not self.applied


class WorkersAlive(Exception):  # noqa: N818 - reads naturally: `except WorkersAlive`
    """Some worker of this database beat recently; `workers` are the fresh ones, freshest first."""

    def __init__(self, workers: Sequence[Worker]) -> None:
        super().__init__(f"{len(workers)} worker(s) alive")
        self.workers = list(workers)


def _newly_applied(known: Sequence[Migration], before: set[str], after: set[str]) -> list[str]:
    return [m.name for m in known if m.name in after and m.name not in before]


def prepare_folder(path: Path) -> None:
    """Make the data folder of the SQLite file `path`; a StorageError says what is wrong with it."""
    import errno

    if path.parent.exists() and not path.parent.is_dir():
        raise storage_error("not_dir", path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error("full" if exc.errno == errno.ENOSPC else "cannot_create", path,
                            detail=os_reason(exc)) from None


async def initialise_sqlite(path: Path, *, now: dt.datetime, fresh: dt.timedelta,
                            backups: Path | None = None) -> Initialised:
    """Create the SQLite file at `path` if needed and apply the missing migrations under the run lock.

    Raises WorkersAlive (a registered worker beat within `fresh`), storage.lock.AlreadyRunning (a `run`
    holds the folder's lock) or StorageError (a schema newer than the code, a bad file or folder);
    in each case nothing was changed.
    """
    from storage.db import translate
    from storage.lock import RunLock

    workers = alive_at(path, now, fresh)
    if workers:
        raise WorkersAlive(workers)
    prepare_folder(path)
    try:
        lock = RunLock.acquire(path.parent)
    except OSError as exc:
        raise (translate(exc, path, backups) or exc) from None
    try:
        db = await Database.open(path, create=True, migrate=False, backups=backups)
        try:
            known = load_migrations()
            before = await _sqlite_applied(db, known)
            await db.migrate(migrations=known)
            after = await db.applied()
        finally:
            await db.close()
    finally:
        lock.release()
    return Initialised("sqlite", str(path), _newly_applied(known, before, after), db.created, len(known))


async def _sqlite_applied(db: Database, known: Sequence[Migration]) -> set[str]:
    """The migrations a database counts as applied, a file from before schema_migrations included."""
    async with db.read() as conn:
        async with conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'") as cur:
            has_table = await cur.fetchone() is not None
        if has_table:
            async with conn.execute("SELECT name FROM schema_migrations") as cur:
                return {str(r[0]) for r in await cur.fetchall()}
    # A database from before the bookkeeping table: every file up to its user_version counts as applied.
    version = await db.version()
    return {m.name for m in known if m.version <= version}


async def initialise_postgres(url: str, *, now: dt.datetime, fresh: dt.timedelta,
                              connect_timeout: float = 10) -> Initialised:
    """Apply the missing PostgreSQL migrations at `url`, holding the migration lock across the checks.

    Raises WorkersAlive or StorageError (unreachable, a schema newer than the code) before changing anything.
    """
    import psycopg
    from psycopg import AsyncConnection

    from storage.pg import (
        MIGRATION_LOCK,
        PgDatabase,
        load_pg_migrations,
        migrate_pg,
        too_new,
        unreachable,
    )

    known = load_pg_migrations()
    try:
        conn = await AsyncConnection.connect(url, autocommit=True, connect_timeout=int(connect_timeout))
    except psycopg.Error as exc:
        raise unreachable(url, exc) from None
    try:
        # Session advisory locks nest: migrate_pg takes the same lock again and releases only its own hold.
        await conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        try:
            before = await _pg_names(conn, "SELECT name FROM schema_migrations", "schema_migrations")
            extra = sorted(before - {m.name for m in known})
            if extra:
                raise too_new(url, extra)
            workers = fresh_workers(await _pg_rows(conn, SELECT_WORKERS, "workers"), now, fresh)
            if workers:
                raise WorkersAlive(workers)
            await migrate_pg(conn, url, known)
            after = await _pg_names(conn, "SELECT name FROM schema_migrations", "schema_migrations")
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
    finally:
        await conn.close()
    return Initialised("postgres", PgDatabase.describe_url(url), _newly_applied(known, before, after), not before, len(known))


async def _pg_rows(conn: Any, sql: str, table: str) -> list[tuple[Any, ...]]:
    """The rows of `sql`, or none while `table` does not exist yet (a new database)."""
    cur = await conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,))
    row = await cur.fetchone()
    if not row or not row[0]:
        return []
    cur = await conn.execute(sql)
    return [tuple(r) for r in await cur.fetchall()]


async def _pg_names(conn: Any, sql: str, table: str) -> set[str]:
    return {str(r[0]) for r in await _pg_rows(conn, sql, table)}
