"""Schools loaded from a table: stored whole, read back as plain records (the settings validate them).

`read_table_schools(path, url)` reads them synchronously while the settings are loaded, before any
event loop or connection exists, from the SQLite file at `path` or, when `url` is set, from PostgreSQL;
a database that is missing, unreachable or older than this table has none (opening it says why); one
older than a later column (0028's bots, 0030's reminder time) gives the columns it has.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from storage._util import iso
from storage.sql import Database

_COLUMNS = ("id", "name", "inn", "district", "timezone", "director_vk_id", "deputy_vk_ids", "director_max_id",
            "deputy_max_ids", "vk_community", "max_bot", "reminders_at")


def _select(columns: Sequence[str]) -> str:
    return f"SELECT {', '.join(columns)} FROM table_schools ORDER BY row_no, id"  # noqa: S608 - fixed names


_SELECT = _select(_COLUMNS)


def _present(names: set[str]) -> tuple[str, ...]:
    """The columns of _COLUMNS a stored table has (the settings are read before migrations run)."""
    return tuple(c for c in _COLUMNS if c in names)


def _record(row: Sequence[Any], columns: Sequence[str] = _COLUMNS) -> dict[str, Any]:
    found = dict(zip(columns, row, strict=True))
    found["deputy_vk_ids"] = json.loads(found["deputy_vk_ids"])
    found["deputy_max_ids"] = json.loads(found["deputy_max_ids"])
    return {k: v for k, v in found.items() if v is not None}


def read_table_schools(path: Path, url: str | None = None) -> list[dict[str, Any]]:
    """The stored table schools as SchoolConfig fields; [] without a database or without the table."""
    if url:
        return _read_postgres(url)
    if not path.is_file():
        return []
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return []
    try:
        columns = _present({r[1] for r in conn.execute("PRAGMA table_info(table_schools)")})
        return [_record(r, columns) for r in conn.execute(_select(columns)).fetchall()] if columns else []
    except sqlite3.Error:
        # An older database without the table (migrations not applied yet): no table schools.
        return []
    finally:
        conn.close()


def _read_postgres(url: str) -> list[dict[str, Any]]:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=10) as conn:
            columns = _present({r[0] for r in conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = 'table_schools'").fetchall()})
            return [_record(r, columns) for r in conn.execute(_select(columns)).fetchall()] if columns else []
    except psycopg.Error:
        # Not reachable, not created, or migrations not applied yet: the command's own open says which.
        return []


class SchoolsRepo:
    """The table schools of this deployment."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def all(self) -> list[dict[str, Any]]:
        """Every stored table school as SchoolConfig fields, in the table's order."""
        async with self._db.read() as conn, conn.execute(_SELECT) as cur:
            return [_record(r) for r in await cur.fetchall()]

    async def replace(self, schools: Sequence[dict[str, Any]]) -> None:
        """Store `schools` (SchoolConfig fields with `row_no`) as the whole list, in one transaction."""
        now = iso()
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM table_schools")
            await conn.executemany(
                f"INSERT INTO table_schools({', '.join(_COLUMNS)}, row_no, imported_at) "  # noqa: S608 - fixed names
                f"VALUES ({', '.join('?' * (len(_COLUMNS) + 2))})",
                [(s["id"], s["name"], s["inn"], s.get("district"), s["timezone"], s.get("director_vk_id"),
                  json.dumps(s.get("deputy_vk_ids", [])), s.get("director_max_id"),
                  json.dumps(s.get("deputy_max_ids", [])), s.get("vk_community"), s.get("max_bot"),
                  s.get("reminders_at"), s["row_no"], now)
                 for s in schools])
