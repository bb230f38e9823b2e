"""Migrations apply from an empty database and from every earlier version."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.db import Database, load_migrations

VERSIONS = [m.version for m in load_migrations()]


async def _tables(db: Database) -> set[str]:
    async with db.read() as conn, conn.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'index')"
    ) as cur:
        return {r[0] for r in await cur.fetchall()}


async def test_empty_database_gets_latest_schema(tmp_path: Path) -> None:
    """A new database is migrated to the newest version with WAL and foreign keys on."""
    db = await Database.open(tmp_path / "a.sqlite3")
    try:
        assert await db.version() == VERSIONS[-1]
        async with db.read() as conn:
            assert (await (await conn.execute("PRAGMA journal_mode")).fetchone())[0] == "wal"
            assert (await (await conn.execute("PRAGMA foreign_keys")).fetchone())[0] == 1
        assert {"people", "outbox", "inbox", "audit_log", "person_stats"} <= await _tables(db)
    finally:
        await db.close()


@pytest.mark.parametrize("start", VERSIONS[:-1] or [VERSIONS[0]])
async def test_upgrade_from_each_earlier_version(tmp_path: Path, start: int) -> None:
    """A database left at an earlier version upgrades to the same schema as a new one."""
    old = await Database.open(tmp_path / "old.sqlite3", migrate=False)
    await old.migrate(target=start)
    assert await old.version() == start
    await old.migrate()
    fresh = await Database.open(tmp_path / "new.sqlite3")
    try:
        assert await old.version() == await fresh.version()
        assert await _tables(old) == await _tables(fresh)
    finally:
        await old.close()
        await fresh.close()


async def test_failed_transaction_changes_nothing(db: Database) -> None:
    """An exception inside a transaction rolls everything back."""
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO organizations(id, name) VALUES ('x', 'X')")
            raise RuntimeError("boom")
    async with db.read() as conn, conn.execute("SELECT count(*) FROM organizations") as cur:
        assert (await cur.fetchone())[0] == 0
