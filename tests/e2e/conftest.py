"""Fixtures for end-to-end tests; see tests/e2e/harness.py for what they provide."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import App, build_app
from bot.config import Settings, parse_settings
from bot.domain.models import Role
from bot.ratelimit import Backoff
from tests.e2e.harness import DEPUTY, DIRECTOR, TEACHERS, UNBOUND, Chat
from tests.e2e.messengers import MaxTalk, Talk, VkTalk

# The same school in MAX (tests/max/conftest.py), so that `talk` can run a test on either messenger.
from tests.max.conftest import max_app, max_ctl, max_emu, max_settings  # noqa: F401, I001
from vk_emulator import Emulator
from vk_emulator.client import EmulatorControl

# The fixtures a feature's conftest takes with `from tests.e2e.conftest import *`: the bot on the VK
# emulator (`bot_app`, `chat`), the same school in MAX, and `talk` (one conversation over either).
__all__ = ["bot_app", "chat", "control", "e2e_settings", "emulator", "max_app", "max_ctl", "max_emu", "max_settings",
           "talk"]


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    emu = Emulator(token="t", group_id=1, strict=True)
    await emu.start(host="127.0.0.1", port=0)
    try:
        yield emu
    finally:
        await emu.stop()


@pytest.fixture
async def control(emulator: Emulator) -> AsyncIterator[EmulatorControl]:
    async with EmulatorControl(emulator.base_url) as ctl:
        yield ctl


@pytest.fixture
def e2e_settings(tmp_path: Path, emulator: Emulator, storage_override: dict[str, Any]) -> Settings:
    """The test school; on PostgreSQL with SFERUM_TEST_BACKEND=postgres (a fresh database)."""
    return parse_settings(
        {
            **storage_override,
            "vk": {"token": "t", "group_id": 1, "api_url": emulator.api_url, "wait": 5},
            "schools": [{"id": "school1", "name": "МБОУ СОШ № 1", "director_vk_id": DIRECTOR,
                         "deputy_vk_ids": [DEPUTY], "registration_deadline": "2026-12-01"}],
        },
        tmp_path,
    )


async def seed_people(app: App, control: EmulatorControl) -> None:
    """The roster of the test school and its people in the emulator."""
    names = {DIRECTOR: ("Виктор", "Орлов"), DEPUTY: ("Ирина", "Белова")}
    for vk_id, full, _ in TEACHERS:
        names[vk_id] = (full.split()[1], full.split()[0])
    names[UNBOUND[0]] = (UNBOUND[1].split()[1], UNBOUND[1].split()[0])
    for vk_id, (first, last) in names.items():
        await control.add_user(vk_id, first, last, allows_messages=True)
    for vk_id, full, classes in TEACHERS:
        await app.deps.people.add("school1", full, Role.TEACHER, vk_id=vk_id, classes=classes)
    await app.deps.people.add("school1", UNBOUND[1], Role.TEACHER)


async def start_app(settings: Settings, emulator: Emulator) -> tuple[App, asyncio.Task[None]]:
    app = await build_app(settings, api_url=emulator.api_url, backoff=Backoff(base=0.05, cap=0.5))
    return app, asyncio.create_task(app.run())


@pytest.fixture
async def bot_app(e2e_settings: Settings, emulator: Emulator, control: EmulatorControl,
                  monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AsyncIterator[App]:
    """The bot, polling the emulator, with the test school's roster."""
    monkeypatch.chdir(tmp_path)
    app, task = await start_app(e2e_settings, emulator)
    await seed_people(app, control)
    await control.wait_listening()
    try:
        yield app
    finally:
        await app.close()
        await asyncio.gather(task, return_exceptions=True)


@pytest.fixture
def chat(control: EmulatorControl, bot_app: App) -> Chat:
    return Chat(control)


@pytest.fixture
def talk(request: pytest.FixtureRequest) -> Talk:
    """The conversation on the messenger named by the test's indirect parameter ("vk" or "max").

        @pytest.mark.parametrize("talk", MESSENGERS, indirect=True)
    """
    if request.param == "max":
        return MaxTalk(ctl=request.getfixturevalue("max_ctl"), app=request.getfixturevalue("max_app"))
    return VkTalk(chat=request.getfixturevalue("chat"), app=request.getfixturevalue("bot_app"))
