"""`sferum-bot init` on SQLite and PostgreSQL: creates and migrates once, refuses live workers and newer schemas."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sqlite3
from contextlib import closing
from pathlib import Path

import psycopg
import pytest

from bot.cli import main
from storage._util import iso
from storage.db import Database, load_migrations
from storage.lock import RunLock
from storage.pg import PgDatabase, load_pg_migrations

SQLITE_NAMES = [m.name for m in load_migrations()]
PG_NAMES = [m.name for m in load_pg_migrations()]
# The last version before the newest migration: an upgrade then has exactly one thing to apply.
OLDER = load_migrations()[-2].version


def sqlite_config(tmp_path: Path) -> Path:
    conf = tmp_path / "config.toml"
    conf.write_text(f'[storage]\ndata_dir = "{tmp_path / "data"}"\n', "utf-8")
    return conf


def pg_config(tmp_path: Path, url: str) -> Path:
    conf = tmp_path / "config.toml"
    conf.write_text(f'[storage]\ndata_dir = "{tmp_path / "data"}"\nurl = "{url}"\n', "utf-8")
    return conf


def init(conf: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, str, str]:
    code = main(["init", "--config", str(conf), *flags])
    out, err = capsys.readouterr()
    return code, out, err


def sqlite_applied(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM schema_migrations")}


def pg_applied(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM schema_migrations").fetchall()}


def older_sqlite(path: Path) -> None:
    """A database the previous version left: every migration but the newest applied."""
    async def make() -> None:
        db = await Database.open(path, migrate=False)
        await db.migrate(target=OLDER)
        await db.close()

    path.parent.mkdir(parents=True, exist_ok=True)
    asyncio.run(make())


def worker_row(seconds_ago: float = 2) -> tuple[str, tuple[str, str]]:
    """The INSERT (with `?`) of a worker on node-b, pid 4242, that beat `seconds_ago`, and its parameters."""
    moment = iso(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds_ago))
    return ("INSERT INTO workers(id, host, pid, started_at, heartbeat_at) VALUES ('w', 'node-b', 4242, ?, ?)",
            (moment, moment))


def sqlite_beat(path: Path, seconds_ago: float = 2) -> None:
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(*worker_row(seconds_ago))


# --- SQLite ---

def test_sqlite_init_creates_then_says_current(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A new data folder gets the file with every migration; a second run applies nothing and says so."""
    conf = sqlite_config(tmp_path)
    code, out, _ = init(conf, capsys, "--json")
    assert code == 0
    assert json.loads(out) == {"backend": "sqlite", "applied": SQLITE_NAMES, "current": False}
    path = tmp_path / "data" / "sferum-bot.sqlite3"
    assert sqlite_applied(path) == set(SQLITE_NAMES)
    code, out, _ = init(conf, capsys)
    assert code == 0 and out.strip() == (f"База данных {path} уже в актуальном состоянии "
                                         f"(миграций: {len(SQLITE_NAMES)}), менять нечего.")
    code, out, _ = init(conf, capsys, "--json")
    assert json.loads(out) == {"backend": "sqlite", "applied": [], "current": True}


def test_sqlite_init_upgrades_an_older_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A database of the previous version gets exactly the newer migrations, named in the output."""
    path = tmp_path / "data" / "sferum-bot.sqlite3"
    older_sqlite(path)
    newer = [n for n in SQLITE_NAMES if int(n[:4]) > OLDER]
    code, out, _ = init(sqlite_config(tmp_path), capsys)
    assert code == 0
    assert out.strip() == f"База данных {path} обновлена; применено миграций: {len(newer)} ({', '.join(newer)})."
    assert sqlite_applied(path) == set(SQLITE_NAMES)


def test_sqlite_init_refuses_while_a_worker_beats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A heartbeat 2 s old: a Russian refusal naming the worker, exit 1, the schema left as it was."""
    path = tmp_path / "data" / "sferum-bot.sqlite3"
    older_sqlite(path)
    sqlite_beat(path)
    before = sqlite_applied(path)
    code, out, err = init(sqlite_config(tmp_path), capsys)
    assert code == 1 and out == ""
    assert "процесс 4242 на машине node-b" in err and err.strip().endswith("повторите sferum-bot init")
    assert sqlite_applied(path) == before != set(SQLITE_NAMES)


def test_sqlite_init_goes_ahead_after_the_worker_stopped_beating(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A heartbeat 20 s old is a dead worker's: init applies the migrations."""
    path = tmp_path / "data" / "sferum-bot.sqlite3"
    older_sqlite(path)
    sqlite_beat(path, seconds_ago=20)
    assert init(sqlite_config(tmp_path), capsys)[0] == 0
    assert sqlite_applied(path) == set(SQLITE_NAMES)


def test_sqlite_init_refuses_while_the_bot_holds_the_lock(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A running `run` holds the folder's lock: init names the process and creates nothing."""
    folder = tmp_path / "data"
    folder.mkdir()
    lock = RunLock.acquire(folder)
    try:
        code, _, err = init(sqlite_config(tmp_path), capsys)
    finally:
        lock.release()
    assert code == 1 and "бот уже запущен" in err
    assert not (folder / "sferum-bot.sqlite3").exists()


def test_sqlite_init_refuses_a_newer_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A migration this code does not know: the refusal `run` gives, and nothing applied or recorded."""
    path = tmp_path / "data" / "sferum-bot.sqlite3"
    older_sqlite(path)
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("INSERT INTO schema_migrations(name, applied_at) VALUES ('0099_future.sql', 'x')")
    before = sqlite_applied(path)
    code, out, err = init(sqlite_config(tmp_path), capsys, "--json")
    assert code == 1 and out == ""
    assert "более новой версией sferum-bot" in err and "0099_future.sql" in err
    assert sqlite_applied(path) == before


# --- PostgreSQL ---

def test_postgres_init_creates_the_schema_then_says_current(pg_empty_url: str, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """An empty PostgreSQL database gets every twin; a second run applies nothing."""
    conf = pg_config(tmp_path, pg_empty_url)
    code, out, _ = init(conf, capsys, "--json")
    assert code == 0
    assert json.loads(out) == {"backend": "postgres", "applied": PG_NAMES, "current": False}
    assert pg_applied(pg_empty_url) == set(PG_NAMES)
    code, out, _ = init(conf, capsys)
    assert code == 0 and "уже в актуальном состоянии" in out and out.startswith("База данных PostgreSQL postgresql://")
    code, out, _ = init(conf, capsys, "--json")
    assert json.loads(out) == {"backend": "postgres", "applied": [], "current": True}
    assert not (tmp_path / "data" / "sferum-bot.sqlite3").exists()


async def _older_pg(url: str) -> None:
    db = await PgDatabase.open(url, migrate=False)
    try:
        await db.migrate(target=OLDER)
    finally:
        await db.close()


def test_postgres_init_refuses_while_a_worker_beats(pg_empty_url: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A worker on another machine beat 2 s ago: refused in Russian, exit 1, no migration applied."""
    asyncio.run(_older_pg(pg_empty_url))
    with psycopg.connect(pg_empty_url, autocommit=True) as conn:
        sql, params = worker_row()
        conn.execute(sql.replace("?", "%s"), params)
    before = pg_applied(pg_empty_url)
    code, out, err = init(pg_config(tmp_path, pg_empty_url), capsys, "--json")
    assert code == 1 and out == ""
    assert "процесс 4242 на машине node-b" in err and "повторите sferum-bot init" in err
    assert pg_applied(pg_empty_url) == before != set(PG_NAMES)
    with psycopg.connect(pg_empty_url, autocommit=True) as conn:
        conn.execute("UPDATE workers SET heartbeat_at = %s", (iso(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=20)),))
    code, out, _ = init(pg_config(tmp_path, pg_empty_url), capsys, "--json")
    assert code == 0 and json.loads(out)["applied"] == [n for n in PG_NAMES if int(n[:4]) > OLDER]


def test_postgres_init_refuses_a_newer_schema(pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A migration this code does not know: the refusal `run` gives, and nothing recorded."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_migrations(name, applied_at) VALUES ('9999_future.sql', 'x')")
    before = pg_applied(pg_url)
    code, out, err = init(pg_config(tmp_path, pg_url), capsys)
    assert code == 1 and out == ""
    assert "более новой версией sferum-bot" in err and "9999_future.sql" in err
    assert pg_applied(pg_url) == before


def test_postgres_init_releases_the_migration_lock(pg_empty_url: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """After init (applied or refused) no advisory lock is left: a starting bot migrates at once."""
    from storage.pg import MIGRATION_LOCK

    assert init(pg_config(tmp_path, pg_empty_url), capsys)[0] == 0
    with psycopg.connect(pg_empty_url, autocommit=True) as conn:
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (MIGRATION_LOCK,)).fetchone()
    assert row is not None and row[0] is True
