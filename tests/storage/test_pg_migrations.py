"""PostgreSQL migrations: a twin for every SQLite migration from the baseline on, applied by name under an
advisory lock from an empty database and from every earlier version to one schema; a newer schema refuses."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg
import pytest

from storage.db import Database, StorageError, load_migrations
from storage.pg import PgDatabase, load_pg_migrations

PG = load_pg_migrations()
PG_NAMES = [m.name for m in PG]


def pg_schema(url: str) -> dict[str, Any]:
    """Every table's columns (type, nullability, default, collation), constraints and indexes."""
    with psycopg.connect(url) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default, collation_name "
            "FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, column_name"
        ).fetchall()
        constraints = conn.execute(
            "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2").fetchall()
        indexes = conn.execute(
            "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2").fetchall()
    return {"columns": columns, "constraints": constraints, "indexes": indexes}


def sqlite_tables(path: Path) -> dict[str, list[str]]:
    with closing(sqlite3.connect(path)) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {n: sorted(r[1] for r in conn.execute(f"PRAGMA table_info('{n}')")) for n in names}


def pg_tables(url: str) -> dict[str, list[str]]:
    tables: dict[str, list[str]] = {}
    for table, column, *_ in pg_schema(url)["columns"]:
        tables.setdefault(table, []).append(column)
    return {t: sorted(c) for t, c in tables.items()}


def test_every_sqlite_migration_from_the_baseline_on_has_a_postgres_twin() -> None:
    """PostgreSQL starts at its baseline; every later SQLite number has a twin, and no twin is an orphan."""
    assert PG, "storage/migrations/postgres holds no migration"
    baseline = PG[0].version
    sqlite_versions = {m.version for m in load_migrations() if m.version >= baseline}
    assert sqlite_versions == {m.version for m in PG}


async def test_empty_database_gets_the_same_tables_as_sqlite(pg_empty_url: str, tmp_path: Path) -> None:
    """From empty every twin is applied and recorded, and the tables and columns are SQLite's."""
    db = await PgDatabase.open(pg_empty_url)
    try:
        assert await db.applied() == set(PG_NAMES)
        assert await db.version() == PG[-1].version
    finally:
        await db.close()
    lite = await Database.open(tmp_path / "a.sqlite3")
    await lite.close()
    assert pg_tables(pg_empty_url) == sqlite_tables(tmp_path / "a.sqlite3")


async def test_text_compares_byte_by_byte_as_in_sqlite(pg_url: str) -> None:
    """Every text column has the C collation, so names sort on PostgreSQL exactly as on SQLite."""
    collations = {row[5] for row in pg_schema(pg_url)["columns"] if row[2] == "text"}
    assert collations == {"C"}


@pytest.mark.parametrize("start", PG_NAMES)
async def test_upgrade_from_each_earlier_version(pg_empty_url: str, pg_url: str, start: str) -> None:
    """A database stopped after any twin upgrades to exactly the schema of a new one."""
    version = int(start[:4])
    old = await PgDatabase.open(pg_empty_url, migrate=False)
    try:
        assert await old.migrate(target=version) == version
        assert await old.applied() == {n for n in PG_NAMES if int(n[:4]) <= version}
        await old.migrate()
    finally:
        await old.close()
    assert pg_schema(pg_empty_url) == pg_schema(pg_url)


async def test_decider_messengers_and_school_bots_carry_the_rows_over(pg_empty_url: str) -> None:
    """0028 on PostgreSQL: the same rows as on SQLite come out the same."""
    from tests.storage.test_migrations import DECIDERS_AFTER_0028, DECISIONS_BEFORE_0028

    db = await PgDatabase.open(pg_empty_url, migrate=False)
    try:
        await db.migrate(target=27)
        async with db.transaction() as conn:
            for sql in DECISIONS_BEFORE_0028:
                await conn.execute(sql)
        await db.migrate()
        async with db.read() as conn:
            async with conn.execute("SELECT id, decided_by, decided_by_messenger FROM binding_requests "
                                    "ORDER BY id") as cur:
                assert [tuple(r) for r in await cur.fetchall()] == DECIDERS_AFTER_0028
            async with conn.execute("SELECT id, vk_community, max_bot FROM table_schools") as cur:
                assert [tuple(r) for r in await cur.fetchall()] == [("inn-1", None, None)]
    finally:
        await db.close()


async def test_a_schema_newer_than_the_code_refuses_to_start(pg_url: str) -> None:
    """A migration this code does not know: the process refuses, in Russian, and changes nothing."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_migrations(name, applied_at) VALUES ('9999_future.sql', 'x')")
    with pytest.raises(StorageError) as caught:
        await PgDatabase.open(pg_url)
    assert caught.value.kind == "too_new"
    assert "более новой версией sferum-bot" in str(caught.value) and "9999_future.sql" in str(caught.value)


async def test_concurrent_starts_migrate_once(pg_empty_url: str) -> None:
    """Processes starting together: one applies the migrations under the advisory lock, the rest wait."""
    dbs = await asyncio.gather(*(PgDatabase.open(pg_empty_url) for _ in range(3)))
    try:
        assert [await db.applied() for db in dbs] == [set(PG_NAMES)] * 3
    finally:
        for db in dbs:
            await db.close()


async def test_unreachable_server_is_one_russian_line() -> None:
    """A server that does not answer: a StorageError saying what to check, with no password in it."""
    with pytest.raises(StorageError) as caught:
        await PgDatabase.open("postgresql://bot:secret@127.0.0.1:9/sferum", connect_timeout=2)
    text = str(caught.value)
    assert caught.value.kind == "cannot_open" and "не получилось подключиться к PostgreSQL" in text
    assert "secret" not in text


async def test_reach_per_bot_carries_the_rows_over_as_on_sqlite(pg_empty_url: str) -> None:
    """0029's twin carries the same rows to the same bots as the SQLite migration."""
    from tests.storage.test_migrations import REACH_AFTER_0029, REACH_BEFORE_0029, REACH_ROWS

    db = await PgDatabase.open(pg_empty_url, migrate=False)
    try:
        await db.migrate(target=27)
        async with db.transaction() as conn:
            for sql in REACH_BEFORE_0029:
                await conn.execute(sql)
        await db.migrate()
        async with db.read() as conn, conn.execute(REACH_ROWS) as cur:
            assert [tuple(r) for r in await cur.fetchall()] == REACH_AFTER_0029
    finally:
        await db.close()
