"""Table schools' reminder times on SQLite and PostgreSQL: stored and read back by both readers, and migration 0030
from an empty database and from 0029 (a school stored before has no time: the default)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from storage.db import Database
from storage.schools import SchoolsRepo, read_table_schools
from storage.sql import Database as AnyDatabase

SCHOOLS: list[dict[str, Any]] = [
    {"id": "inn-1", "name": "Школа 1", "inn": "0500000001", "timezone": "Asia/Yekaterinburg", "row_no": 2,
     "reminders_at": "tue 09:00"},
    {"id": "inn-2", "name": "Школа 2", "inn": "0500000002", "timezone": "Europe/Moscow", "row_no": 3,
     "reminders_at": "off"},
    {"id": "inn-3", "name": "Школа 3", "inn": "0500000003", "timezone": "Europe/Moscow", "row_no": 4}]
BEFORE_0030 = ("INSERT INTO table_schools(id, name, inn, timezone, row_no, imported_at) "
               "VALUES ('inn-1', 'Школа 1', '0500000001', 'Europe/Moscow', 2, 'x')")
OLD_SCHOOL = {"id": "inn-1", "name": "Школа 1", "inn": "0500000001", "timezone": "Europe/Moscow",
              "deputy_vk_ids": [], "deputy_max_ids": []}


async def test_times_are_stored_and_read_back(each_db: AnyDatabase) -> None:
    """A time, «off» and none come back as stored (none: no key); replaced again, the new times are read."""
    repo = SchoolsRepo(each_db)
    await repo.replace(SCHOOLS)
    assert [s.get("reminders_at") for s in await repo.all()] == ["tue 09:00", "off", None]
    await repo.replace([{**SCHOOLS[0], "reminders_at": "wed 11:30"}, SCHOOLS[2]])
    assert [(s["id"], s.get("reminders_at")) for s in await repo.all()] == [("inn-1", "wed 11:30"), ("inn-3", None)]


async def test_the_settings_reader_sees_the_times_on_sqlite(tmp_path: Path) -> None:
    """`read_table_schools` (before any event loop work) reads the times from the SQLite file."""
    db = await Database.open(tmp_path / "a.sqlite3")
    try:
        await SchoolsRepo(db).replace(SCHOOLS)
    finally:
        await db.close()
    assert [s.get("reminders_at") for s in read_table_schools(tmp_path / "a.sqlite3")] == ["tue 09:00", "off", None]


async def test_the_settings_reader_sees_the_times_on_postgresql(pg_url: str) -> None:
    """`read_table_schools` reads the times from PostgreSQL as from SQLite."""
    from storage.pg import PgDatabase

    db = await PgDatabase.open(pg_url)
    try:
        await SchoolsRepo(db).replace(SCHOOLS)
    finally:
        await db.close()
    assert [s.get("reminders_at") for s in read_table_schools(Path("unused"), pg_url)] == ["tue 09:00", "off", None]


async def test_sqlite_0030_from_0029_keeps_the_schools_at_the_default(tmp_path: Path) -> None:
    """At 0029 the settings read the school without a time; after 0030 it has none (the default) and takes one."""
    path = tmp_path / "old.sqlite3"
    db = await Database.open(path, migrate=False)
    try:
        await db.migrate(target=29)
        async with db.transaction() as conn:
            await conn.execute(BEFORE_0030)
        assert read_table_schools(path) == [OLD_SCHOOL]
        await db.migrate()
        assert await db.version() >= 30
        assert await SchoolsRepo(db).all() == [OLD_SCHOOL]
        await SchoolsRepo(db).replace([SCHOOLS[0]])
        assert [s["reminders_at"] for s in await SchoolsRepo(db).all()] == ["tue 09:00"]
    finally:
        await db.close()


async def test_postgresql_0030_from_0029_keeps_the_schools_at_the_default(pg_empty_url: str) -> None:
    """The twin on PostgreSQL: the same school read before and after, then given a time."""
    from storage.pg import PgDatabase

    db = await PgDatabase.open(pg_empty_url, migrate=False)
    try:
        assert await db.migrate(target=29) == 29
        async with db.transaction() as conn:
            await conn.execute(BEFORE_0030)
        assert read_table_schools(Path("unused"), pg_empty_url) == [OLD_SCHOOL]
        await db.migrate()
        assert await SchoolsRepo(db).all() == [OLD_SCHOOL]
        await SchoolsRepo(db).replace([SCHOOLS[0]])
        assert [s["reminders_at"] for s in await SchoolsRepo(db).all()] == ["tue 09:00"]
    finally:
        await db.close()


async def test_an_empty_database_gets_the_column_on_both(tmp_path: Path, pg_empty_url: str) -> None:
    """From empty, both backends migrate to a table_schools with `reminders_at` (0030 recorded on each)."""
    from storage.pg import PgDatabase

    lite = await Database.open(tmp_path / "new.sqlite3")
    pg = await PgDatabase.open(pg_empty_url)
    try:
        for db in (lite, pg):
            assert "0030_table_school_reminders.sql" in await db.applied()
            await SchoolsRepo(db).replace([SCHOOLS[1]])
            assert [s["reminders_at"] for s in await SchoolsRepo(db).all()] == ["off"]
    finally:
        await lite.close()
        await pg.close()
