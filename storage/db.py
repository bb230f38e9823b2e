"""The SQLite database: one aiosqlite connection, numbered migrations, transactions.

All SQL of the project lives in `storage/`. Services get repositories, never a
connection; each use case runs in one `async with db.transaction() as conn:`.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import aiosqlite

_MIGRATION_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    """One numbered SQL script from storage/migrations."""

    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """All migrations bundled with the package, ordered by version.

    Versions are reserved per feature, so gaps are allowed; duplicates are not.
    """
    found: list[Migration] = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _MIGRATION_RE.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions: {versions}")
    return found


def check_backup(path: Path) -> str | None:
    """Why `path` is not a usable sferum-bot database (None when it is)."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                return "файл повреждён"
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError:
        return "это не база данных SQLite"
    if "people" not in tables:
        return "это не база sferum-bot"
    return None


def replace_database(source: Path, target: Path) -> None:
    """Put a backup in place of the (stopped) database, dropping its WAL files."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".restoring")
    shutil.copyfile(source, tmp)
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    tmp.replace(target)


class Database:
    """A single aiosqlite connection shared by the process.

    aiosqlite runs every statement on one worker thread, so concurrent tasks
    would interleave inside each other's transactions; the lock serialises
    transactions and reads on the one connection.
    """

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self.path = path

    @classmethod
    async def open(cls, path: Path | str, *, migrate: bool = True) -> Database:
        """Open (creating if needed) the database at `path` and apply migrations."""
        path_str = str(path)
        if path_str != ":memory:":
            Path(path_str).parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path_str, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA busy_timeout=5000")
        await conn.execute("PRAGMA synchronous=NORMAL")
        db = cls(conn, path_str)
        if migrate:
            await db.migrate()
        return db

    async def close(self) -> None:
        """Close the connection (safe to call twice)."""
        await self._conn.close()

    async def version(self) -> int:
        """The schema version applied (PRAGMA user_version)."""
        async with self._conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self, target: int | None = None) -> int:
        """Apply pending migrations up to `target` (all by default); returns the version."""
        async with self._lock:
            current = await self.version()
            for migration in load_migrations():
                if migration.version <= current:
                    continue
                if target is not None and migration.version > target:
                    break
                # PRAGMA user_version is transactional: a failed script leaves no trace.
                script = (
                    f"BEGIN IMMEDIATE;\n{migration.sql}\n"
                    f"PRAGMA user_version = {migration.version};\nCOMMIT;"
                )
                try:
                    await self._conn.executescript(script)
                except Exception:
                    if self._conn.in_transaction:
                        await self._conn.rollback()
                    raise
                current = migration.version
            return current

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction (BEGIN IMMEDIATE … COMMIT, rolled back on error)."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.rollback()
                raise
            else:
                await self._conn.commit()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """Exclusive use of the connection for reads outside a transaction."""
        async with self._lock:
            yield self._conn

    async def backup_to(self, target: Path) -> None:
        """A consistent copy of the live database into `target` (VACUUM INTO)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            target.unlink()
        async with self._lock:
            await self._conn.execute("VACUUM INTO ?", (str(target),))
