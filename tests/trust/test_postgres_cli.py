"""`status`, `backup` and `restore` on PostgreSQL: the URL without its password, pg_dump and pg_restore."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import psycopg
import pytest

from bot.cli import main
from storage._util import iso
from storage.db import StorageError
from storage.pg import PG_DUMP_MISSING, pg_tool


def config(tmp_path: Path, url: str) -> Path:
    conf = tmp_path / "config.toml"
    conf.write_text(f'[storage]\ndata_dir = "{tmp_path / "data"}"\nurl = "{url}"\n\n'
                    '[[schools]]\nid = "s1"\nname = "Школа 1"\n', "utf-8")
    return conf


def people(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM people").fetchone()
    return int(row[0]) if row else 0


def add_person(url: str, name: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO organizations(id, name) VALUES ('s1', 'Школа 1') ON CONFLICT DO NOTHING")
        conn.execute("INSERT INTO people(org_id, full_name, name_key, role, created_at, updated_at) "
                     "VALUES ('s1', %s, %s, 'teacher', 'x', 'x')", (name, name.lower()))


def test_status_names_the_server_without_the_password(pg_url: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """`status --json` on PostgreSQL: the database is the URL (no password), its size from the server."""
    assert main(["status", "--json", "--config", str(config(tmp_path, pg_url))]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["database"].startswith("PostgreSQL postgresql://") and data["database_bytes"] > 0
    assert data["inbox_pending"] == 0 and data["outbox_pending"] == 0


@pytest.mark.skipif(shutil.which("pg_dump") is None and not list(Path("/usr/lib/postgresql").glob("*/bin/pg_dump")),
                    reason="pg_dump is not installed")
def test_backup_and_restore_round_trip(pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A backup is a pg_dump file; restore previews, then with --yes puts its rows back and keeps the old aside."""
    conf = config(tmp_path, pg_url)
    add_person(pg_url, "Иванова Анна")
    copy = tmp_path / "copy.dump"
    assert main(["backup", str(copy), "--config", str(conf)]) == 0
    assert copy.read_bytes()[:5] == b"PGDMP"
    add_person(pg_url, "Петров Пётр")
    assert people(pg_url) == 2
    assert main(["restore", str(copy), "--config", str(conf)]) == 3
    assert people(pg_url) == 2
    assert main(["restore", str(copy), "--yes", "--config", str(conf)]) == 0
    assert people(pg_url) == 1
    kept = list((tmp_path / "data" / "backups").glob("before-restore-*.dump"))
    assert len(kept) == 1 and kept[0].read_bytes()[:5] == b"PGDMP"
    assert "База восстановлена" in capsys.readouterr().out


def test_a_file_that_is_not_a_dump_is_refused(pg_url: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """An SQLite file or anything else given to restore on PostgreSQL: a Russian refusal, nothing changed."""
    add_person(pg_url, "Иванова Анна")
    other = tmp_path / "x.sqlite3"
    other.write_bytes(b"SQLite format 3\x00")
    assert main(["restore", str(other), "--yes", "--config", str(config(tmp_path, pg_url))]) == 1
    assert "это не копия базы PostgreSQL" in capsys.readouterr().err
    assert people(pg_url) == 1


def test_missing_pg_dump_is_said_in_russian(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without pg_dump on PATH or in Debian's folders the message says what to install."""
    monkeypatch.setattr("storage.pg.shutil.which", lambda name: None)
    monkeypatch.setattr("storage.pg.Path", lambda *_: Path("/nonexistent"))
    with pytest.raises(StorageError) as caught:
        pg_tool("pg_dump")
    assert str(caught.value) == PG_DUMP_MISSING.format(tool="pg_dump")


def test_restore_refuses_while_a_worker_beats(pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A worker on any machine beat seconds ago: restore on PostgreSQL says to stop the workers, changes nothing."""
    add_person(pg_url, "Иванова Анна")
    copy = tmp_path / "copy.dump"
    copy.write_bytes(b"PGDMP fake")
    with psycopg.connect(pg_url) as conn:
        conn.execute("INSERT INTO workers(id, host, pid, started_at, heartbeat_at) VALUES ('w', 'node-b', 4242, "
                     "%s, %s)", (iso(), iso()))
    assert main(["restore", str(copy), "--yes", "--config", str(config(tmp_path, pg_url))]) == 1
    err = capsys.readouterr().err
    assert "процесс 4242 на машине node-b" in err and "повторите восстановление" in err
    assert people(pg_url) == 1
