"""Fixtures for the MAX adapter: the real bot against the MAX emulator over HTTP on 127.0.0.1.

- `max_emu`: an in-process `MaxEmulator` (schema-checked, MAX's limits on), token "mt", bot 9000.
- `max_settings`: school «school1» configured only with [max]: director 7001, deputy 7002.
- `max_app`: `bot.app.build_app` with MAX polling the emulator, the roster of tests/e2e (the same names;
  MAX ids 7101–7103, «Сидорова Мария Ивановна» without one), so a test can run on either messenger.
- `max_ctl`: the emulator's typed control client.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.app import App, build_app
from bot.config import Settings, parse_settings
from bot.domain.models import Role
from max_emulator import MaxEmulator
from max_emulator.client import MaxEmulatorControl
from storage.pg import PgDatabase
from tests.e2e.harness import TEACHERS as E2E_TEACHERS
from tests.e2e.harness import UNBOUND

TOKEN, BOT_ID = "mt", 9000
DIRECTOR, DEPUTY, STRANGER = 7001, 7002, 7900
# The e2e roster's teachers with MAX ids instead of VK ids: 2001 → 7101 …
TEACHERS = [(vk_id + 5100, name) for vk_id, name, _ in E2E_TEACHERS]


@pytest.fixture
async def max_emu() -> AsyncIterator[MaxEmulator]:
    emu = MaxEmulator(token=TOKEN, bot_id=BOT_ID, seed=1)
    await emu.start()
    people = [{"user_id": DIRECTOR, "first_name": "Виктор", "last_name": "Орлов"},
              {"user_id": DEPUTY, "first_name": "Ирина", "last_name": "Белова"},
              {"user_id": STRANGER, "first_name": "Незнакомец"}]
    people += [{"user_id": i, "first_name": n.split()[1], "last_name": n.split()[0]} for i, n in TEACHERS]
    emu.seed_users(people)
    try:
        yield emu
    finally:
        await emu.stop()
    # Whatever the bot sent was valid for the official schema.
    assert emu.state.schema_violations == []


@pytest.fixture
async def max_ctl(max_emu: MaxEmulator) -> AsyncIterator[MaxEmulatorControl]:
    async with max_emu.control() as ctl:
        yield ctl


def max_only_settings(tmp_path: Path, emu: MaxEmulator, **extra: Any) -> Settings:
    """A school configured only with [max] (VK's address points at a closed port: never called)."""
    return parse_settings(
        {
            "vk": {"api_url": "http://127.0.0.1:9/method/"},
            "max": {"token": TOKEN, "api_url": emu.base_url, **extra},
            "schools": [{"id": "school1", "name": "МБОУ СОШ № 1", "director_max_id": DIRECTOR,
                         "deputy_max_ids": [DEPUTY], "registration_deadline": "2026-12-01"}],
        },
        tmp_path,
    )


@pytest.fixture
def max_settings(tmp_path: Path, max_emu: MaxEmulator, storage_override: dict[str, Any]) -> Settings:
    return on_backend(max_only_settings(tmp_path, max_emu), storage_override)


def on_backend(settings: Settings, storage_override: dict[str, Any]) -> Settings:
    """`settings` on the backend under test (the `storage_override` fixture): unchanged for SQLite."""
    if storage_override:
        # The backend under test (SFERUM_TEST_BACKEND=postgres): the same bot on PostgreSQL.
        storage = settings.storage.model_copy(update={"url": SecretStr(storage_override["storage"]["url"])})
        settings = settings.model_copy(update={"storage": storage})
    return settings


async def start_max_app(settings: Settings, ctl: MaxEmulatorControl, *,
                        listening: bool = True) -> tuple[App, asyncio.Task[None]]:
    """Build the bot, start it, and (`listening`) wait until it holds its first long poll."""

    async def advance(seconds: float) -> None:
        # The bot's waits (attachment not ready, backoff) move the emulator's clock, not real time.
        await ctl.clock(advance_s=seconds)

    app = await build_app(settings, max_sleep=advance)
    task = asyncio.create_task(app.run())
    if listening:
        await ctl.wait_listening()
    return app, task


async def stop_app(app: App, task: asyncio.Task[None]) -> None:
    await app.close()
    await asyncio.gather(task, return_exceptions=True)


@pytest.fixture
async def max_app(max_settings: Settings, max_ctl: MaxEmulatorControl, monkeypatch: pytest.MonkeyPatch,
                  tmp_path: Path) -> AsyncIterator[App]:
    """The bot in MAX only, polling the emulator, with the e2e roster bound to MAX ids."""
    monkeypatch.chdir(tmp_path)
    app, task = await start_max_app(max_settings, max_ctl)
    for (max_id, name), (_, _, classes) in zip(TEACHERS, E2E_TEACHERS, strict=True):
        person = await app.deps.people.add("school1", name, Role.TEACHER, classes=classes)
        await bind_max(app, person.id, max_id)
    await app.deps.people.add("school1", UNBOUND[1], Role.TEACHER)
    try:
        yield app
    finally:
        await stop_app(app, task)


async def bind_max(app: App, person_id: int, max_id: int) -> None:
    """Bind a roster person to a MAX account (identification in MAX comes later)."""
    await app.deps.people.bind_max(person_id, max_id)


@pytest.fixture
async def pools(pg_url: str) -> AsyncIterator[list[PgDatabase]]:
    """Two database pools on one PostgreSQL database, one per worker process."""
    made = [await PgDatabase.open(pg_url), await PgDatabase.open(pg_url)]
    try:
        yield made
    finally:
        for pool in made:
            await pool.close()
