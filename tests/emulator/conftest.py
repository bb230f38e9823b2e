"""Fixtures for the emulator's own tests: an in-process emulator, a raw VK caller and the control client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.emulator.support import GROUP_ID, OTHER, TOKEN, USER, VKCall
from vk_emulator import Emulator, EmulatorControl


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    emulator = Emulator(token=TOKEN, group_id=GROUP_ID, strict=True, rps=None, seed=1)
    await emulator.start(host="127.0.0.1", port=0)
    emulator.seed_users(
        [
            {
                "id": USER,
                "first_name": "Анна",
                "last_name": "Иванова",
                "screen_name": "anna",
                "allows_messages": True,
            },
            {"id": OTHER, "first_name": "Пётр", "last_name": "Петров", "screen_name": "petr"},
        ]
    )
    try:
        yield emulator
    finally:
        await emulator.stop()
    # Whatever the emulator produced during the test must have matched VK's schema.
    assert emulator.state.schema_violations == []


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
def vk(emu: Emulator, session: aiohttp.ClientSession) -> VKCall:
    """`await vk("users.get", user_ids="1")` -> the whole JSON body, posted as a form."""

    async def call(method: str, _token: str = TOKEN, **params: Any) -> dict[str, Any]:
        form = {k: str(v) for k, v in params.items()}
        form["v"] = "5.199"
        form["access_token"] = _token
        async with session.post(emu.api_url + method, data=form) as response:
            assert response.status == 200
            body: dict[str, Any] = await response.json()
            return body

    return call


@pytest.fixture
async def control(emu: Emulator) -> AsyncIterator[EmulatorControl]:
    async with emu.control() as client:
        yield client
