"""A flood from one person through the emulator: collapsed, one notice, others answered in full."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Settings, parse_settings
from bot.services.fairness import BUSY_NOTICE
from tests.e2e.harness import DEPUTY, DIRECTOR, Chat
from vk_emulator import Emulator
from vk_emulator.client import EmulatorControl

FLOODER = 2002
CALM = 2001
FLOOD = 30
INTERVAL = 0.5


@pytest.fixture
def e2e_settings(tmp_path: Path, emulator: Emulator) -> Settings:
    """The e2e school with a small share per person (2 at once, then one every 0.5 s)."""
    return parse_settings(
        {"vk": {"token": "t", "group_id": 1, "api_url": emulator.api_url, "wait": 5},
         "fairness": {"burst": 2, "interval_s": INTERVAL},
         "schools": [{"id": "school1", "name": "МБОУ СОШ № 1", "director_vk_id": DIRECTOR,
                      "deputy_vk_ids": [DEPUTY]}]},
        tmp_path)


async def _texts(control: EmulatorControl, peer: int) -> list[str]:
    return [str(m["text"]) for m in (await control.sent(peer))["items"]]


async def test_a_flood_gets_one_notice_and_an_answer_to_its_last_message(
        bot_app: App, chat: Chat, control: EmulatorControl) -> None:
    """30 messages at once: a few answers, one notice, the last question answered; a calm teacher too."""
    started = time.monotonic()
    for i in range(FLOOD - 1):
        await control.say(FLOODER, f"флуд {i}")
    await control.say(FLOODER, "мой статус")
    calm = await chat.say(CALM, "мой статус")
    assert "ваш статус" in calm[-1]["text"]

    # The flooder's last message is answered: wait (bounded) until its reply is the newest.
    texts = await _texts(control, FLOODER)
    for _ in range(FLOOD):
        if texts and "ваш статус" in texts[-1]:
            break
        await control.wait_sent(FLOODER, len(texts) + 1, timeout=10)
        texts = await _texts(control, FLOODER)
    await bot_app.poller.drain()
    elapsed = time.monotonic() - started
    texts = await _texts(control, FLOODER)
    assert "ваш статус" in texts[-1]
    assert texts.count(BUSY_NOTICE) == 1
    # The first message, the burst, the notice, and per interval that passed at most one turn
    # (a text and a press) and one message that came just after an answer.
    assert len(texts) <= 1 + 2 + 1 + 3 * (int(elapsed / INTERVAL) + 1) < FLOOD
    assert bot_app.poller.coalesced >= FLOOD - len(texts)


async def test_fairness_off_answers_every_message(
        e2e_settings: Settings, bot_app: App, control: EmulatorControl) -> None:
    """The switch works: with fairness off, every flood message is handled."""
    bot_app.poller.fairness = None
    for i in range(10):
        await control.say(FLOODER, f"флуд {i}")
    await control.wait_sent(FLOODER, 10, timeout=10)
    await bot_app.poller.drain()
    assert BUSY_NOTICE not in await _texts(control, FLOODER)
    assert bot_app.poller.coalesced == 0
