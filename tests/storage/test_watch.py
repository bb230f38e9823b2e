"""The database file under a running bot: deleted is written back, replaced is saved aside and stops it."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from bot.app import watch_database
from storage.db import Database


async def _add(db: Database, org: str) -> None:
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO organizations(id, name) VALUES (?, ?)", (org, org))


def _orgs(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM organizations ORDER BY id")]


@pytest.mark.parametrize("with_wal", [False, True], ids=["file", "file-and-wal"])
async def test_a_deleted_database_is_written_back(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                  with_wal: bool) -> None:
    """`rm` of the database: the open one is written back to the path, an ERROR names it, work goes on."""
    path = tmp_path / "sferum-bot.sqlite3"
    db = await Database.open(path)
    try:
        await _add(db, "a")
        assert await db.check_file() == "ok"
        path.unlink()
        if with_wal:
            for suffix in ("-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        with caplog.at_level(logging.ERROR):
            assert await db.check_file() == "restored"
        assert _orgs(path) == ["a"]
        errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
        assert len(errors) == 1 and str(path) in errors[0] and "удалён" in errors[0]
        await _add(db, "b")
        assert _orgs(path) == ["a", "b"]
        assert await db.check_file() == "ok"
    finally:
        await db.close()


async def test_a_replaced_database_is_saved_aside(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Another file at the path: the open database goes to <name>.recovered-<stamp>.sqlite3, both named."""
    path = tmp_path / "sferum-bot.sqlite3"
    db = await Database.open(path)
    other = await Database.open(tmp_path / "other.sqlite3")
    await _add(other, "other")
    await other.close()
    try:
        await _add(db, "ours")
        os.replace(tmp_path / "other.sqlite3", path)
        with caplog.at_level(logging.ERROR):
            assert await db.check_file(dt.datetime(2026, 12, 5, 8, 30, 15)) == "replaced"
    finally:
        await db.close()
    recovered = tmp_path / "sferum-bot.recovered-20261205-083015.sqlite3"
    assert _orgs(recovered) == ["ours"] and _orgs(path) == ["other"]
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and str(path) in errors[0] and str(recovered) in errors[0]


async def test_the_watcher_stops_the_bot_when_the_file_is_replaced(tmp_path: Path) -> None:
    """The periodic check (interval injected) calls back once the file is replaced, and ends."""
    path = tmp_path / "sferum-bot.sqlite3"
    db = await Database.open(path)
    replaced = asyncio.Event()
    try:
        watcher = asyncio.create_task(watch_database(db, 0, replaced.set))
        await asyncio.sleep(0)
        assert not replaced.is_set() and not watcher.done()
        (tmp_path / "new").write_bytes(b"")
        os.replace(tmp_path / "new", path)
        await asyncio.wait_for(watcher, 10)
        assert replaced.is_set()
    finally:
        await db.close()
