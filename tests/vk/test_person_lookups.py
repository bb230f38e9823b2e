"""One event, one lookup: the neutral person middleware looks the sender up once for every feature."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import App
from tests.e2e.conftest import bot_app, control, e2e_settings, emulator  # noqa: F401
from tests.e2e.harness import DIRECTOR, TEACHERS, Chat
from vk_emulator.client import EmulatorControl


@pytest.mark.parametrize(("who", "text", "most"), [
    # The role check of «Сводка» and the consent gate use the middleware's lookups too.
    (DIRECTOR, "Сводка", 1),
    (TEACHERS[0][0], "Мой статус", 1),
    (TEACHERS[0][0], "привет", 1),
])
async def test_a_message_looks_its_sender_up_once(bot_app: App, control: EmulatorControl,  # noqa: F811
                                                  who: int, text: str, most: int) -> None:
    """Before the shared lookups a «Сводка» asked storage for the director 14 times; now once."""
    calls: list[int] = []
    original = bot_app.deps.people.by_vk_id

    async def counting(vk_id: int) -> Any:
        calls.append(vk_id)
        return await original(vk_id)

    bot_app.deps.people.by_vk_id = counting  # type: ignore[method-assign]
    await Chat(control).say(who, text)
    await bot_app.poller.drain()
    assert 1 <= len(calls) <= most and set(calls) == {who}
