"""`restore`: checks the backup, previews it beside the current database, keeps the old one, owner and mode."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import stat
from contextlib import closing
from pathlib import Path

import pytest

from bot.cli import main
from bot.domain.models import Organization, Role
from storage.db import Database
from storage.lock import RunLock
from storage.people import PeopleRepo


def _conf(tmp_path: Path) -> Path:
    conf = tmp_path / "config.toml"
    conf.write_text('[storage]\ndata_dir = "data"\n[[schools]]\nid = "school1"\n', "utf-8")
    return conf


def _make(path: Path, names: list[str], weeks: list[str]) -> None:
    """A sferum-bot database with these people and weeks of statistics (left in its WAL, not checkpointed)."""
    async def run() -> None:
        db = await Database.open(path)
        people = PeopleRepo(db)
        await people.sync_organizations([Organization(id="school1", name="Школа")])
        for name in names:
            person = await people.add("school1", name, Role.TEACHER)
            async with db.transaction() as conn:
                for week in weeks:
                    await conn.execute(
                        "INSERT INTO person_stats(person_id, org_id, period_start, period_end) "
                        "VALUES (?, 'school1', ?, ?)", (person.id, week, week))
        await db.close()

    asyncio.run(run())


def _names(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as conn:
        return [r[0] for r in conn.execute("SELECT full_name FROM people ORDER BY id")]


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(config, current database with 3 people and 2 weeks, backup with 1 person and 1 week)."""
    current = tmp_path / "data" / "sferum-bot.sqlite3"
    _make(current, ["Иванова Анна Петровна", "Петров Пётр Петрович", "Сидоров Иван Ильич"],
          ["2026-11-14", "2026-11-21"])
    backup = tmp_path / "copy.sqlite3"
    _make(backup, ["Орлова Ольга Олеговна"], ["2026-11-07"])
    return _conf(tmp_path), current, backup


def test_without_yes_it_previews_and_exits_3(setup: tuple[Path, Path, Path],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """No flag: what the backup holds and what the database holds now, exit 3, nothing replaced."""
    conf, current, backup = setup
    assert main(["restore", str(backup), "--config", str(conf)]) == 3
    out = capsys.readouterr()
    assert f"Копия {backup}" in out.out and "сотрудников 1" in out.out and "последняя 2026-11-07" in out.out
    assert "сотрудников 3" in out.out and "недель: 2, последняя 2026-11-21" in out.out
    assert "--yes" in out.err
    assert len(_names(current)) == 3


def test_dry_run_previews_and_changes_nothing(setup: tuple[Path, Path, Path],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """--dry-run: the preview as JSON, exit 0, the database untouched."""
    conf, current, backup = setup
    assert main(["restore", str(backup), "--dry-run", "--json", "--config", str(conf)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["preview"] is True and data["backup_people"] == 1 and data["current_people"] == 3
    assert data["backup_periods"] == ["2026-11-07..2026-11-07"] and len(data["current_periods"]) == 2
    assert len(_names(current)) == 3 and not list(current.parent.glob("*.before-restore-*"))


def test_yes_replaces_keeps_the_old_database_aside_with_owner_and_mode(
        setup: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """--yes: the backup is in place, the old database (WAL included) is kept aside, owner and mode kept."""
    conf, current, backup = setup
    os.chmod(current, 0o640)
    if os.geteuid() == 0:
        os.chown(current, 1234, 1235)
    before = current.stat()
    assert main(["restore", str(backup), "--yes", "--config", str(conf)]) == 0
    assert _names(current) == ["Орлова Ольга Олеговна"]
    after = current.stat()
    assert stat.S_IMODE(after.st_mode) == 0o640 and (after.st_uid, after.st_gid) == (before.st_uid, before.st_gid)
    aside = list(current.parent.glob("sferum-bot.before-restore-*.sqlite3"))
    assert len(aside) == 1 and len(_names(aside[0])) == 3
    assert stat.S_IMODE(aside[0].stat().st_mode) == 0o640
    assert f"Прежняя сохранена в {aside[0]}" in capsys.readouterr().out


def test_a_corrupt_backup_is_refused(setup: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """A backup that fails the integrity check is refused; the database stays as it was."""
    conf, current, backup = setup
    with closing(sqlite3.connect(backup)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    os.truncate(backup, backup.stat().st_size // 2)
    assert main(["restore", str(backup), "--yes", "--config", str(conf)]) == 1
    assert str(backup) in capsys.readouterr().err
    assert len(_names(current)) == 3


def test_a_backup_from_newer_code_is_refused(setup: tuple[Path, Path, Path],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """A backup whose schema has a migration this code does not know is refused with what to do."""
    conf, current, backup = setup
    with closing(sqlite3.connect(backup)) as conn:
        conn.execute("INSERT INTO schema_migrations(name, applied_at) VALUES ('0099_future.sql', 'x')")
        conn.commit()
    assert main(["restore", str(backup), "--yes", "--config", str(conf)]) == 1
    err = capsys.readouterr().err
    assert "более новой версией" in err and "0099_future.sql" in err
    assert len(_names(current)) == 3


def test_refused_while_the_bot_runs(setup: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """With the run lock held, restore names the bot's pid and replaces nothing."""
    conf, current, backup = setup
    lock = RunLock.acquire(current.parent)
    try:
        assert main(["restore", str(backup), "--yes", "--config", str(conf)]) == 1
    finally:
        lock.release()
    assert f"процесс {os.getpid()}" in capsys.readouterr().err
    assert len(_names(current)) == 3
