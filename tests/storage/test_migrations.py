"""Migrations apply by name from an empty database and from every earlier version, to one schema."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from storage.db import Database, Migration, StorageError, load_migrations

MIGRATIONS = load_migrations()
NAMES = [m.name for m in MIGRATIONS]


def schema(path: Path) -> dict[str, Any]:
    """Every table's columns, indexes (with their columns and SQL), foreign keys, and triggers and views."""
    with closing(sqlite3.connect(path)) as conn:
        objects = conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
            "ORDER BY type, name").fetchall()
        result: dict[str, Any] = {"objects": [(t, n, tbl) for t, n, tbl, _ in objects]}
        for kind, name, _, sql in objects:
            if kind == "table":
                result[f"columns:{name}"] = conn.execute(f"PRAGMA table_xinfo('{name}')").fetchall()
                result[f"fks:{name}"] = conn.execute(f"PRAGMA foreign_key_list('{name}')").fetchall()
                result[f"indexes:{name}"] = [
                    (row[1], row[2], row[3], row[4],
                     conn.execute(f"PRAGMA index_xinfo('{row[1]}')").fetchall())
                    for row in conn.execute(f"PRAGMA index_list('{name}')").fetchall()]
            elif kind in ("index", "trigger", "view"):
                result[f"sql:{name}"] = " ".join((sql or "").split())
        return result


def legacy(path: Path, upto: int) -> None:
    """A database as the code before schema_migrations left it: scripts up to `upto`, user_version set."""
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        for migration in MIGRATIONS:
            if migration.version <= upto:
                conn.executescript(f"BEGIN;\n{migration.sql}\nPRAGMA user_version = {migration.version};\nCOMMIT;")


async def _fresh(tmp_path: Path) -> Path:
    path = tmp_path / "fresh.sqlite3"
    db = await Database.open(path)
    await db.close()
    return path


async def _upgraded(path: Path, version: int, *statements: str) -> None:
    """A database at migration `version` holding the rows `statements` write, migrated to the latest."""
    db = await Database.open(path, migrate=False)
    try:
        await db.migrate(target=version)
        async with db.transaction() as conn:
            for sql in statements:
                await conn.execute(sql)
        await db.migrate()
    finally:
        await db.close()


async def test_empty_database_gets_latest_schema(tmp_path: Path) -> None:
    """A new database is migrated to the newest version, every file recorded, WAL and foreign keys on."""
    db = await Database.open(tmp_path / "a.sqlite3")
    try:
        assert await db.version() == MIGRATIONS[-1].version
        assert await db.applied() == set(NAMES)
        async with db.read() as conn:
            assert (await (await conn.execute("PRAGMA journal_mode")).fetchone())[0] == "wal"
            assert (await (await conn.execute("PRAGMA foreign_keys")).fetchone())[0] == 1
    finally:
        await db.close()


@pytest.mark.parametrize("start", NAMES)
async def test_upgrade_from_each_earlier_version(tmp_path: Path, start: str) -> None:
    """A database stopped after any migration upgrades to exactly the schema of a new one."""
    version = int(start[:4])
    old = await Database.open(tmp_path / "old.sqlite3", migrate=False)
    try:
        await old.migrate(target=version)
        assert await old.version() == version
        assert await old.applied() == {n for n in NAMES if int(n[:4]) <= version}
        await old.migrate()
    finally:
        await old.close()
    assert schema(tmp_path / "old.sqlite3") == schema(await _fresh(tmp_path))


@pytest.mark.parametrize("start", NAMES)
async def test_upgrade_from_a_database_without_schema_migrations(tmp_path: Path, start: str) -> None:
    """A database from before schema_migrations counts every file up to user_version as applied."""
    path = tmp_path / "legacy.sqlite3"
    legacy(path, int(start[:4]))
    db = await Database.open(path)
    try:
        assert await db.applied() == set(NAMES)
        assert await db.version() == MIGRATIONS[-1].version
    finally:
        await db.close()
    assert schema(path) == schema(await _fresh(tmp_path))


async def test_one_dialog_state_drops_the_old_stores_and_keeps_broadcasts(tmp_path: Path) -> None:
    """0017: dialog_state and chat_dialogs are gone (an open step in them is not carried over); a
    broadcast started before keeps its progress message, in VK."""
    await _upgraded(tmp_path / "old.sqlite3", 16,
                    "INSERT INTO organizations(id, name) VALUES ('s1', 'Школа')",
                    "INSERT INTO dialog_state(peer_key, state, payload, updated_at) "
                    "VALUES ('bcast:1002', 'text', '{}', 'x')",
                    "INSERT INTO broadcasts(org_id, created_by, audience, text, status, progress_peer, "
                    "progress_cmid, created_at) VALUES ('s1', 1002, 'all', 'Т', 'sending', 1002, 7, 'x')")
    tables = schema(tmp_path / "old.sqlite3")["objects"]
    assert not {"dialog_state", "chat_dialogs"} & {name for _, name, _ in tables}
    with closing(sqlite3.connect(tmp_path / "old.sqlite3")) as conn:
        row = conn.execute("SELECT progress_messenger, progress_peer, progress_cmid FROM broadcasts").fetchone()
    assert row == ("vk", 1002, 7)


async def test_actor_messengers_carry_the_vk_rows_over(tmp_path: Path) -> None:
    """0025: a held import, an applied one and a checked chat written before it are VK's, as the code
    then assumed; the held import keeps its account under actor_id."""
    await _upgraded(tmp_path / "old.sqlite3", 24,
                    "INSERT INTO organizations(id, name) VALUES ('s1', 'Школа')",
                    "INSERT INTO people(id, org_id, full_name, name_key, role, created_at, updated_at) "
                    "VALUES (1, 's1', 'Иванова Анна', 'иванова анна', 'teacher', 'x', 'x')",
                    "INSERT INTO import_confirmations(org_id, actor_vk_id, kind, file_name, source, "
                    "preview, created_at) VALUES ('s1', 1002, 'roster', 'f.csv', 'u', '{}', 'x')",
                    "INSERT INTO imports(org_id, kind, file_name, rows_read, rows_imported, imported_by, "
                    "imported_at) VALUES ('s1', 'roster', 'f.csv', 1, 1, 1002, 'x'), "
                    "('s1', 'roster', 'cli.csv', 1, 1, NULL, 'x')",
                    "INSERT INTO chat_confirmations(org_id, person_id, chat_key, title, status, checked, "
                    "chat_peer_id, created_at, updated_at) VALUES ('s1', 1, 'a', 'A', 'confirmed', 1, "
                    "2000000001, 'x', 'x'), ('s1', 1, 'b', 'B', 'draft', 0, NULL, 'x', 'x')")
    with closing(sqlite3.connect(tmp_path / "old.sqlite3")) as conn:
        assert conn.execute("SELECT actor_messenger, actor_id FROM import_confirmations").fetchall() == [("vk", 1002)]
        assert conn.execute("SELECT imported_by_messenger, imported_by FROM imports ORDER BY id").fetchall() == [
            ("vk", 1002), (None, None)]
        assert conn.execute("SELECT chat_key, chat_messenger FROM chat_confirmations ORDER BY chat_key").fetchall() == [
            ("a", "vk"), ("b", None)]


# Requests decided before 0028: by a VK deputy, by a MAX deputy (audited with actor_max_id, since 0025), by a
# MAX deputy before 0025 (named only in the audit details), and one still pending.
DECISIONS_BEFORE_0028 = (
    "INSERT INTO organizations(id, name) VALUES ('s1', 'Школа')",
    "INSERT INTO binding_requests(id, vk_id, org_id, typed_name, status, decided_by, created_at, messenger) VALUES "
    "(1, 501, 's1', 'А', 'approved', 1002, 'x', 'vk'), (2, 502, 's1', 'Б', 'rejected', 7002, 'x', 'max'), "
    "(3, 503, 's1', 'В', 'rejected', 7003, 'x', 'vk'), (4, 504, 's1', 'Г', 'pending', NULL, 'x', 'vk')",
    "INSERT INTO audit_log(at, actor_vk_id, actor_max_id, org_id, action, target, outcome, details) VALUES "
    "('x', 1002, NULL, 's1', 'approve_binding', '1', 'ok', '{\"vk_id\":501,\"person_id\":null}'), "
    "('x', NULL, 7002, 's1', 'reject_binding', '2', 'ok', '{\"max_id\":502,\"person_id\":null}'), "
    "('x', NULL, NULL, 's1', 'reject_binding', '3', 'ok', "
    "'{\"vk_id\":503,\"person_id\":null,\"decided_by_max\":7003}')",
    "INSERT INTO table_schools(id, name, inn, timezone, row_no, imported_at) "
    "VALUES ('inn-1', 'Школа 1', '1234567890', 'Europe/Moscow', 2, 'x')",
)
# What 0028 makes of them: (request id, decided_by, decided_by_messenger).
DECIDERS_AFTER_0028 = [(1, 1002, "vk"), (2, 7002, "max"), (3, 7003, "max"), (4, None, None)]


async def test_decider_messengers_and_school_bots_carry_the_rows_over(tmp_path: Path) -> None:
    """0028: each decided request gets its decider's messenger (MAX where the audit says so, else VK), a
    pending one none; a stored table school keeps its row and names no bot."""
    await _upgraded(tmp_path / "old.sqlite3", 27, *DECISIONS_BEFORE_0028)
    with closing(sqlite3.connect(tmp_path / "old.sqlite3")) as conn:
        assert conn.execute("SELECT id, decided_by, decided_by_messenger FROM binding_requests ORDER BY id"
                            ).fetchall() == DECIDERS_AFTER_0028
        assert conn.execute("SELECT id, vk_community, max_bot FROM table_schools").fetchall() == [
            ("inn-1", None, None)]


async def test_a_file_numbered_below_the_current_version_is_still_applied(tmp_path: Path) -> None:
    """A migration that lands after higher numbers were applied runs; user_version keeps the highest."""
    without = [m for m in MIGRATIONS if m.version != 3]
    path = tmp_path / "late.sqlite3"
    db = await Database.open(path, migrate=False)
    try:
        await db.migrate(migrations=without)
        assert "0003_faq.sql" not in await db.applied()
        late = Migration(6, "0006_late.sql", "CREATE TABLE late_table (id INTEGER PRIMARY KEY);")
        assert await db.migrate(migrations=[*MIGRATIONS, late]) == MIGRATIONS[-1].version
        assert {"0003_faq.sql", "0006_late.sql"} <= await db.applied()
    finally:
        await db.close()
    fresh = schema(await _fresh(tmp_path))
    got = schema(path)
    assert ("table", "late_table", "late_table") in got["objects"]
    assert {k: v for k, v in got.items() if "late_table" not in k and k != "objects"} == \
        {k: v for k, v in fresh.items() if k != "objects"}


async def test_files_up_to_user_version_count_as_applied_on_a_legacy_database(tmp_path: Path) -> None:
    """Without schema_migrations, a file numbered at or below user_version is taken as applied, not run."""
    path = tmp_path / "legacy.sqlite3"
    legacy(path, MIGRATIONS[-1].version)
    db = await Database.open(path, migrate=False)
    try:
        gap = Migration(6, "0006_gap.sql", "CREATE TABLE gap_table (id INTEGER);")
        await db.migrate(migrations=[*MIGRATIONS, gap])
        assert "0006_gap.sql" in await db.applied()
        async with db.read() as conn, conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE name = 'gap_table'") as cur:
            assert (await cur.fetchone())[0] == 0
    finally:
        await db.close()


async def test_code_older_than_the_database_refuses(tmp_path: Path) -> None:
    """A database with a migration this code does not know is refused with a Russian message."""
    path = tmp_path / "newer.sqlite3"
    db = await Database.open(path)
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO schema_migrations(name, applied_at) VALUES ('0099_future.sql', 'x')")
    await db.close()
    with pytest.raises(StorageError) as caught:
        await Database.open(path)
    assert caught.value.kind == "too_new"
    assert "0099_future.sql" in str(caught.value) and "новой версией" in str(caught.value)


async def test_legacy_database_newer_than_the_code_refuses(tmp_path: Path) -> None:
    """A database without schema_migrations whose user_version is above every known file is refused."""
    path = tmp_path / "newer.sqlite3"
    legacy(path, MIGRATIONS[-1].version)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(StorageError) as caught:
        await Database.open(path)
    assert caught.value.kind == "too_new" and "99" in str(caught.value)


async def test_failed_transaction_changes_nothing(db: Database) -> None:
    """An exception inside a transaction rolls everything back."""
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO organizations(id, name) VALUES ('x', 'X')")
            raise RuntimeError("boom")
    async with db.read() as conn, conn.execute("SELECT count(*) FROM organizations") as cur:
        assert (await cur.fetchone())[0] == 0


# 0029: rows of what the bot knew of writing to accounts, before it was kept per bot. VK 11 was last written
# to by «south», VK 12 by «north» then by «south» (an older row of «north» after it only pending), VK 13 only
# allowed messages (no outbox row), VK 14 is known by name only; MAX 7101 got a 403 from «south», MAX 7102
# started a bot (no outbox row).
REACH_BEFORE_0029 = (
    "INSERT INTO vk_users(vk_id, can_message, unreachable_code, updated_at) VALUES "
    "(11, 1, NULL, 'a'), (12, 0, 901, 'b'), (13, 1, NULL, 'c')",
    "INSERT INTO vk_users(vk_id, first_name, updated_at) VALUES (14, 'Анна', 'd')",
    "INSERT INTO max_users(user_id, can_write, reason, updated_at) VALUES (7101, 0, 'не запускал', 'e'), "
    "(7102, 1, NULL, 'f')",
    "INSERT INTO outbox(idem_key, kind, messenger, peer_id, status, bot, created_at) VALUES "
    "('k1', 'reply', 'vk', 11, 'sent', 'south', 'x'), ('k2', 'reply', 'vk', 12, 'sent', 'north', 'x'), "
    "('k3', 'bulk', 'vk', 12, 'unreachable', 'south', 'x'), ('k4', 'bulk', 'vk', 12, 'pending', 'north', 'x'), "
    "('k5', 'reply', 'max', 7101, 'unreachable', 'south', 'x'), ('k6', 'reply', 'vk', 7102, 'sent', 'north', 'x')",
)
REACH_AFTER_0029 = [
    ("max", "main", 7102, 1, None, None, "f"),
    ("max", "south", 7101, 0, None, "не запускал", "e"),
    ("vk", "main", 13, 1, None, None, "c"),
    ("vk", "south", 11, 1, None, None, "a"),
    ("vk", "south", 12, 0, 901, None, "b"),
]
REACH_ROWS = "SELECT messenger, bot, account, can_write, code, reason, updated_at FROM reach ORDER BY 1, 2, 3"


async def test_reach_per_bot_carries_the_rows_to_the_bot_that_learnt_them(tmp_path: Path) -> None:
    """0029: each known account goes to the bot whose outbox row to it last finished (in its own messenger),
    else to 'main'; an account known by name only gets no row; max_users and the VK columns are gone."""
    await _upgraded(tmp_path / "old.sqlite3", 27, *REACH_BEFORE_0029)
    with closing(sqlite3.connect(tmp_path / "old.sqlite3")) as conn:
        assert conn.execute(REACH_ROWS).fetchall() == REACH_AFTER_0029
        assert conn.execute("SELECT vk_id, first_name FROM vk_users ORDER BY vk_id").fetchall() == [
            (11, None), (12, None), (13, None), (14, "Анна")]
        assert not conn.execute("SELECT name FROM sqlite_master WHERE name = 'max_users'").fetchall()
