"""Fixtures for the MAX emulator's tests: an in-process emulator, a checked Bot API caller and
the control operations."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from max_emulator import MaxEmulator
from max_emulator.control import Control
from tests.max_emulator.support import ANNA, BOT_ID, OLGA, PETR, TOKEN, Call, make_caller


@pytest.fixture
async def emu() -> AsyncIterator[MaxEmulator]:
    emulator = MaxEmulator(token=TOKEN, bot_id=BOT_ID, seed=1, rps=None)
    emulator.state.limits.per_chat_rps = None
    await emulator.start()
    emulator.seed_users(
        [
            {"user_id": ANNA, "first_name": "Анна", "last_name": "Иванова", "username": "anna"},
            {"user_id": PETR, "first_name": "Пётр", "last_name": "Петров"},
            {"user_id": OLGA, "first_name": "Ольга"},
        ]
    )
    try:
        yield emulator
    finally:
        await emulator.stop()
    # Whatever the emulator wrote during the test matched the MAX schema.
    assert emulator.state.schema_violations == []


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
def api(emu: MaxEmulator, session: aiohttp.ClientSession) -> Call:
    return make_caller(session, emu.base_url)


@pytest.fixture
def ctl(emu: MaxEmulator) -> Control:
    return emu.ops
