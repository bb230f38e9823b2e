"""The SQLite database as a file: checking a copy before a restore, describing it, copying, keeping
the current file aside and putting a copy in its place."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from contextlib import closing, suppress
from dataclasses import dataclass
from pathlib import Path

from storage.db import load_migrations, marker_path, read_applied, unknown_migrations


def check_backup(path: Path) -> str | None:
    """Why `path` is not a usable sferum-bot database (None when it is)."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                return "файл повреждён"
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            applied, version, _ = read_applied(conn)
    except sqlite3.DatabaseError:
        return "это не база данных SQLite"
    if "people" not in tables:
        return "это не база sferum-bot"
    extra = unknown_migrations(applied, version, load_migrations())
    if extra:
        return f"копия сделана более новой версией sferum-bot ({', '.join(extra)}): сначала обновите бота"
    return None


@dataclass(frozen=True)
class Contents:
    """What a database holds, for a restore preview."""

    people: int
    periods: list[str]


def describe(path: Path) -> Contents | None:
    """Active people and loaded weeks in the database at `path` (None when it is missing or unreadable)."""
    if not path.exists():
        return None
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            people = conn.execute("SELECT count(*) FROM people WHERE active = 1").fetchone()[0]
            periods = [f"{a}..{b}" for a, b in conn.execute(
                "SELECT DISTINCT period_start, period_end FROM person_stats "
                "UNION SELECT period_start, period_end FROM org_stats ORDER BY 1")]
    except sqlite3.Error:
        return None
    return Contents(int(people), periods)


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of the database at `source` (its WAL included) into `target` (backup API)."""
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, \
            closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def keep_aside(path: Path, aside: Path) -> Path:
    """Copy the database at `path` (its WAL included) to `aside`, keeping owner and mode; returns `aside`."""
    try:
        copy_database(path, aside)
    except sqlite3.Error:
        # An unreadable database is still kept, byte for byte.
        shutil.copyfile(path, aside)
        wal = Path(f"{path}-wal")
        if wal.exists():
            shutil.copyfile(wal, Path(f"{aside}-wal"))
    _same_owner_and_mode(path, aside)
    return aside


def _same_owner_and_mode(model: Path, path: Path) -> None:
    try:
        old = model.stat()
    except FileNotFoundError:
        return
    os.chmod(path, stat.S_IMODE(old.st_mode))
    with suppress(PermissionError):
        os.chown(path, old.st_uid, old.st_gid)


def replace_database(source: Path, target: Path) -> None:
    """Put a backup in place of the (stopped) database, keeping the old file's owner and mode."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".restoring")
    tmp.unlink(missing_ok=True)
    copy_database(source, tmp)
    _same_owner_and_mode(target, tmp)
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    tmp.replace(target)
    marker_path(target).touch()
