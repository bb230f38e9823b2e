"""Fixtures for the outbound sender: a live emulator on 127.0.0.1 and the real sender on it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from bot.config import Settings, parse_settings
from bot.vk.api import RateLimitedAPI, make_api
from bot.vk.outbound import VkOutbound
from storage.db import Database
from storage.outbox import OutboxRepo
from vk_emulator import Emulator, EmulatorControl

TOKEN = "outbox-test-token"
GROUP_ID = 77


def outbox_settings(tmp_path: Path, api_url: str, rps: int = 20) -> Settings:
    """Settings that point at the emulator, with one school."""
    return parse_settings(
        {"vk": {"api_url": api_url, "token": TOKEN, "group_id": GROUP_ID, "rps": rps},
         "schools": [{"id": "school1", "name": "МБОУ СОШ № 1", "intent": "non_promo_newsletter"}]},
        tmp_path,
    )


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """A running emulator with its 20 requests/s limit on."""
    emu = Emulator(token=TOKEN, group_id=GROUP_ID, strict=True, seed=1)
    await emu.start(host="127.0.0.1", port=0)
    try:
        yield emu
    finally:
        await emu.stop()


@pytest.fixture
async def control(emulator: Emulator) -> AsyncIterator[EmulatorControl]:
    """The emulator's control API client."""
    async with EmulatorControl(emulator.base_url) as ctl:
        yield ctl


@pytest.fixture
async def api(emulator: Emulator, tmp_path: Path) -> AsyncIterator[RateLimitedAPI]:
    """The bot's rate-limited API on the emulator, with quick retries."""
    vk_api = make_api(outbox_settings(tmp_path, emulator.api_url))
    vk_api.backoff_base = 0.02
    try:
        yield vk_api
    finally:
        await vk_api.http_client.close()


@pytest.fixture
async def outbound(api: RateLimitedAPI, db: Database, tmp_path: Path,
                   emulator: Emulator) -> VkOutbound:
    """The sender under test, with short retry pauses."""
    return VkOutbound(api, OutboxRepo(db), outbox_settings(tmp_path, emulator.api_url),
                      retry_base=0.02)


def add_users(emulator: Emulator, ids: Sequence[int], **flags: bool) -> None:
    """Create people who allow the community's messages (unless flags say otherwise)."""
    emulator.seed_users([{"id": i, "first_name": "Имя", "last_name": f"Учитель{i}",
                          "allows_messages": flags.get("allows_messages", True),
                          "blocks_messages": flags.get("blocks_messages", False)} for i in ids])


async def sent_counts(control: EmulatorControl, ids: Sequence[int]) -> dict[int, int]:
    """How many messages the emulator delivered to each peer."""
    async def one(peer: int) -> tuple[int, int]:
        return peer, len((await control.sent(peer))["items"])

    counts: dict[int, int] = {}
    for start in range(0, len(ids), 100):
        counts.update(await asyncio.gather(*(one(p) for p in ids[start:start + 100])))
    return counts
