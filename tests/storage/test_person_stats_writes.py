"""Per-person figures written in bulk, on SQLite (executemany) and PostgreSQL (COPY, then one upsert), and
the one index a school's week is read through (migration 0031)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from bot.domain.models import Organization, Period, Role
from storage.db import Database
from storage.people import PeopleRepo
from storage.sql import Database as AnyDatabase
from storage.stats import StatsRepo

WEEK = Period(start=dt.date(2026, 11, 14), end=dt.date(2026, 11, 20))
ROWS = ("SELECT person_id, org_id, period_start, period_end, group_messages, calls, group_chats_created, "
        "ejd_linked, registered, import_id FROM person_stats ORDER BY person_id, period_start")
# Every query that reads a school's week of person_stats by (org_id, period_start), with its parameters.
SCHOOL_WEEK_QUERIES = (
    ("SELECT * FROM person_stats WHERE org_id = ? AND period_start = ? ORDER BY person_id", ("s1", "2026-11-14")),
    ("SELECT person_id FROM person_stats WHERE period_start = ? AND org_id IN (?, ?)", ("2026-11-14", "s1", "s2")),
    ("DELETE FROM person_stats WHERE period_start = ? AND org_id IN (?)", ("2026-11-14", "s1")),
    ("DELETE FROM person_stats WHERE org_id = ? AND period_start < ?", ("s1", "2026-11-14")),
    ("SELECT ps.org_id, ps.period_start, COUNT(*) FROM person_stats ps JOIN people p ON p.id = ps.person_id "
     "WHERE ps.org_id IN (?, ?) AND ps.period_start BETWEEN ? AND ? GROUP BY ps.org_id, ps.period_start",
     ("s1", "s2", "2026-01-01", "2026-11-14")),
)


async def _people(db: AnyDatabase, count: int) -> list[int]:
    people = PeopleRepo(db)
    await people.sync_organizations([Organization(id="s1", name="Школа 1"), Organization(id="s2", name="Школа 2")])
    return [(await people.add("s1" if i % 3 else "s2", f"Сотрудник{i} Анна", Role.TEACHER)).id for i in range(count)]


async def _import(conn: Any, org: str) -> int:
    return await StatsRepo.create_import_in(conn, org_id=org, kind="person", period=WEEK, file_name="w.xlsx",
                                            rows_read=1, rows_imported=1, problems=[], imported_by=None)


async def _rows(db: AnyDatabase) -> list[tuple[Any, ...]]:
    async with db.read() as conn, conn.execute(ROWS) as cur:
        return [tuple(r) for r in await cur.fetchall()]


async def test_bulk_figures_replace_the_week_and_read_back_the_same_on_both_backends(each_db: AnyDatabase) -> None:
    """Many rows in one call (PostgreSQL: through COPY): shared and empty figures, yes/no as 0/1, a row
    written again replaces the earlier one, and another week's row stays."""
    ids = await _people(each_db, 40)
    shared = {"group_messages": 3, "calls": 0, "ejd_linked": True, "registered": False}
    async with each_db.transaction() as conn:
        first = await _import(conn, "s1")
        await StatsRepo.put_person_values_in(conn, WEEK.previous(), [(ids[1], "s1", first, {"calls": 9})])
        await StatsRepo.put_person_values_in(conn, WEEK, [(pid, "s1", first, shared) for pid in ids[1:]])
    async with each_db.transaction() as conn:
        second = await _import(conn, "s1")
        await StatsRepo.put_person_values_in(conn, WEEK, [
            (ids[1], "s1", second, {"group_messages": 7, "group_chats_created": 2, "ejd_linked": None}),
            (ids[0], "s2", second, {})])
    rows = await _rows(each_db)
    start, end = WEEK.start.isoformat(), WEEK.end.isoformat()
    assert len(rows) == 41
    assert rows[0] == (ids[0], "s2", start, end, None, None, None, None, None, second)
    assert rows[1] == (ids[1], "s1", WEEK.previous().start.isoformat(), WEEK.previous().end.isoformat(),
                       None, 9, None, None, None, first)
    assert rows[2] == (ids[1], "s1", start, end, 7, None, 2, None, None, second)
    assert rows[3:] == [(pid, "s1", start, end, 3, 0, None, 1, 0, first) for pid in ids[2:]]


async def test_bulk_figures_written_twice_in_one_transaction_or_rolled_back(each_db: AnyDatabase) -> None:
    """Two bulk writes in one transaction both land (the COPY's staging table does not linger between
    them); a transaction that fails afterwards leaves no row."""
    ids = await _people(each_db, 4)
    async with each_db.transaction() as conn:
        import_id = await _import(conn, "s1")
        await StatsRepo.put_person_values_in(conn, WEEK, [(ids[1], "s1", import_id, {"calls": 1})])
        await StatsRepo.put_person_values_in(conn, WEEK, [(ids[2], "s1", import_id, {"calls": 2}),
                                                          (ids[1], "s1", import_id, {"calls": 3})])
    assert [(r[0], r[5]) for r in await _rows(each_db)] == [(ids[1], 3), (ids[2], 2)]

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with each_db.transaction() as conn:
            await StatsRepo.put_person_values_in(conn, WEEK.next(), [(ids[3], "s1", import_id, {"calls": 4})])
            raise Boom
    assert [(r[0], r[5]) for r in await _rows(each_db)] == [(ids[1], 3), (ids[2], 2)]


async def test_a_stored_row_in_the_way_of_the_bulk_write_is_replaced_and_the_rows_around_it_land(
        each_db: AnyDatabase) -> None:
    """A person's week stored under another school sits in the middle of a bulk write (SQLite inserts
    plainly first, then upserts): it is replaced, and the rows before and after it land once each."""
    ids = await _people(each_db, 9)
    async with each_db.transaction() as conn:
        first = await _import(conn, "s2")
        await StatsRepo.put_person_values_in(conn, WEEK, [(ids[4], "s2", first, {"calls": 1})])
    async with each_db.transaction() as conn:
        second = await _import(conn, "s1")
        await StatsRepo.put_person_values_in(conn, WEEK, [(pid, "s1", second, {"calls": i})
                                                          for i, pid in enumerate(ids)])
    assert [(r[0], r[1], r[5], r[9]) for r in await _rows(each_db)] == [
        (pid, "s1", i, second) for i, pid in enumerate(ids)]


async def test_bulk_figures_for_an_unknown_person_are_refused_whole(each_db: AnyDatabase) -> None:
    """The foreign keys hold on the bulk path too: a row for a person who does not exist fails the write,
    and none of its rows stay."""
    ids = await _people(each_db, 2)
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        async with each_db.transaction() as conn:
            import_id = await _import(conn, "s1")
            await StatsRepo.put_person_values_in(conn, WEEK, [(ids[1], "s1", import_id, {"calls": 1}),
                                                              (ids[1] + 1000, "s1", import_id, {"calls": 2})])
    assert await _rows(each_db) == []


async def test_copy_needs_a_postgresql_connection(tmp_path: Path) -> None:
    """The COPY helper refuses an SQLite connection instead of sending it PostgreSQL's COPY."""
    from storage.pg import copy_upsert

    db = await Database.open(tmp_path / "a.sqlite3")
    try:
        async with db.transaction() as conn:
            with pytest.raises(TypeError, match="PostgreSQL"):
                await copy_upsert(conn, "person_stats", ("person_id",), ("person_id",), [])
    finally:
        await db.close()


async def test_a_school_week_is_read_through_the_summary_index(each_db: AnyDatabase) -> None:
    """0031 dropped person_stats_org: every query by (school, week) goes through person_stats_summary,
    whose leading columns are the same, on both backends."""
    async with each_db.transaction() as conn:
        if conn.dialect == "postgres":
            # An empty table is scanned whole; with scans off the plan shows the index the query can use.
            await conn.execute("SET LOCAL enable_seqscan = off")
            await conn.execute("SET LOCAL enable_bitmapscan = off")
            async with conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'person_stats'") as cur:
                indexes = {r[0] for r in await cur.fetchall()}
        else:
            async with conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' "
                                    "AND tbl_name = 'person_stats'") as cur:
                indexes = {r[0] for r in await cur.fetchall()}
        assert "person_stats_summary" in indexes and "person_stats_org" not in indexes
        for sql, params in SCHOOL_WEEK_QUERIES:
            explain = "EXPLAIN " if conn.dialect == "postgres" else "EXPLAIN QUERY PLAN "
            async with conn.execute(explain + sql, params) as cur:
                plan = " ".join(str(r[-1]) for r in await cur.fetchall())
            assert "person_stats_summary" in plan, (sql, plan)


async def test_rows_inserted_early_are_kept_or_taken_back_and_never_land_after_the_transaction(
        tmp_path: Path) -> None:
    """SQLite's early rows (one INSERT per school, week and import): a row in the way says False with the
    other statements' rows in, the savepoint takes them all back, and a write sent after the transaction
    ended writes nothing."""
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        ids = await _people(db, 12)
        figures = {"group_messages": 2, "registered": True}
        async with db.transaction() as conn:
            import_id = await _import(conn, "s1")
            await StatsRepo.begin_early_in(conn)
            assert await StatsRepo.insert_person_values_in(conn, WEEK, [(pid, "s1", import_id, figures)
                                                                         for pid in ids[:6]])
            assert not await StatsRepo.insert_person_values_in(conn, WEEK, [(ids[5], "s1", import_id, figures)])
            await StatsRepo.end_early_in(conn, undo=True)
            await StatsRepo.begin_early_in(conn)
            assert await StatsRepo.insert_person_values_in(conn, WEEK, [(pid, "s1", import_id, figures)
                                                                         for pid in reversed(ids[6:])])
            await StatsRepo.end_early_in(conn, undo=False)
            kept = conn
        assert [(r[0], r[4], r[8], r[9]) for r in await _rows(db)] == [(pid, 2, 1, import_id) for pid in ids[6:]]
        assert not await StatsRepo.insert_person_values_in(kept, WEEK.previous(), [(ids[0], "s1", import_id, {})])
        assert len(await _rows(db)) == 6
    finally:
        await db.close()


async def test_a_bulk_transaction_leaves_the_checkpoint_until_after_its_commit(tmp_path: Path) -> None:
    """A bulk transaction's commit does not copy its WAL into the file (no automatic checkpoint inside
    it); a passive checkpoint runs as the next task, and the automatic one is back on."""
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        ids = await _people(db, 3)
        wal = Path(f"{db.path}-wal")
        async with db.transaction(bulk=True) as conn:
            import_id = await _import(conn, "s1")
            # About 8 MB of WAL, past SQLite's 1,000-page threshold: the rows' texts are long.
            await conn.executemany("INSERT INTO audit_log(at, action, outcome, details) VALUES (?, ?, 'ok', ?)",
                                   [("2026-11-23", "test", "x" * 4000) for _ in range(2000)])
            await StatsRepo.put_person_values_in(conn, WEEK, [(pid, "s1", import_id, {"calls": 1}) for pid in ids])
        # Right after the commit (nothing awaited since): the 8 MB are still only in the WAL.
        unchecked = Path(db.path).stat().st_size
        assert wal.stat().st_size > 1000 * 4096 and unchecked < 2 * 1024 * 1024
        assert db._checkpoint is not None
        await db._checkpoint
        assert Path(db.path).stat().st_size > unchecked + 4 * 1024 * 1024
        async with db.read() as conn, conn.execute("PRAGMA wal_autocheckpoint") as cur:
            row = await cur.fetchone()
            assert row is not None and row[0] == 1000
        assert len(await _rows(db)) == 3
    finally:
        await db.close()
