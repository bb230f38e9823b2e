"""Shared pieces of the trust tests: error capture and a dump of the schools' data."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from bot.app import App
from bot.config import parse_settings
from tests.e2e.conftest import seed_people, start_app
from tests.e2e.harness import DEPUTY, DIRECTOR
from vk_emulator import Emulator
from vk_emulator.client import EmulatorControl


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


@contextlib.contextmanager
def captured_errors() -> Iterator[Errors]:
    """ERROR records of every logger while the block runs."""
    handler = Errors()
    logging.getLogger().addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)


@contextlib.asynccontextmanager
async def running_bot(tmp: Path, stranger: int) -> AsyncIterator[tuple[App, EmulatorControl]]:
    """An emulator and the bot for school1 (the e2e roster seeded), plus a stranger who may write."""
    emu = Emulator(token="t", group_id=1, strict=True)
    await emu.start(host="127.0.0.1", port=0)
    config = parse_settings(
        {"vk": {"token": "t", "group_id": 1, "api_url": emu.api_url, "wait": 5},
         "storage": {"data_dir": str(tmp)},
         "schools": [{"id": "school1", "name": "МБОУ СОШ № 1", "director_vk_id": DIRECTOR,
                      "deputy_vk_ids": [DEPUTY], "registration_deadline": "2026-12-01"}]}, tmp)
    app, task = await start_app(config, emu)
    try:
        async with EmulatorControl(emu.base_url) as control:
            await seed_people(app, control)
            await control.add_user(stranger, "Пётр", "Незнакомцев", allows_messages=True)
            await control.wait_listening()
            yield app, control
    finally:
        await app.close()
        await asyncio.gather(task, return_exceptions=True)
        await emu.stop()


class Handled:
    """Wakes a test when the bot has finished an event (its replies and callback answer sent)."""

    def __init__(self, app: App) -> None:
        self._app = app
        self._changed = asyncio.Event()
        inbox = app.poller.inbox
        finish = inbox.finish

        async def finish_and_tell(*args: Any, **kwargs: Any) -> Any:
            result = await finish(*args, **kwargs)
            changed, self._changed = self._changed, asyncio.Event()
            changed.set()
            return result

        inbox.finish = finish_and_tell  # type: ignore[method-assign]

    async def _done(self, event_id: str) -> bool:
        async with self._app.db.read() as conn, conn.execute(
            "SELECT status FROM inbox WHERE event_id = ?", (event_id,),
        ) as cur:
            row = await cur.fetchone()
        return row is not None and row[0] != "pending"

    async def wait(self, event_id: str) -> None:
        while True:
            changed = self._changed  # taken before the check, so no finish is missed
            if await self._done(event_id):
                return
            await asyncio.wait_for(changed.wait(), 15)
