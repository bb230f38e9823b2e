"""Which database a deployment uses: the SQLite file (the default) or PostgreSQL (`[storage] url`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from storage.db import Database

if TYPE_CHECKING:
    from storage.pg import PgDatabase


async def open_database(path: Path, url: str | None = None, *, create: bool = True, migrate: bool = True,
                        backups: Path | None = None) -> Database | PgDatabase:
    """The PostgreSQL database at `url` when it is set, else the SQLite file at `path`."""
    if url:
        from storage.pg import PgDatabase

        return await PgDatabase.open(url, migrate=migrate)
    return await Database.open(path, create=create, migrate=migrate, backups=backups)
