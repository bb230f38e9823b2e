"""Shared pieces of the trust tests: error capture and a dump of the schools' data."""

from __future__ import annotations

import logging
import re
from typing import Any

from bot.app import App


class Errors(logging.Handler):
    """Collects ERROR records (a failed handler logs «handler failed» at ERROR)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def school_data(app: App, log_tables: re.Pattern[str]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table except those `log_tables` matches (what only records that something happened)."""
    dump: dict[str, list[tuple[Any, ...]]] = {}
    async with app.db.read() as conn:
        async with conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cur:
            tables = [str(r[0]) for r in await cur.fetchall()]
        for table in sorted(t for t in tables if not log_tables.match(t)):
            async with conn.execute(f'SELECT * FROM "{table}"') as cur:  # noqa: S608 - names from sqlite_master
                dump[table] = sorted((tuple(r) for r in await cur.fetchall()), key=repr)
    return dump
