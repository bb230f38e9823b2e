"""One process, two VK communities (each its own emulator, token and group id): a person is answered by the
community they wrote to, and a school's reminders go out through the community the school names."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import App, build_app
from bot.config import parse_settings
from bot.domain.models import Role
from bot.ratelimit import Backoff
from tests.e2e.harness import Chat
from tests.reminders.conftest import MONDAY_10, seed_stats
from vk_emulator import Emulator
from vk_emulator.client import EmulatorControl

NORTH_TEACHER, SOUTH_TEACHER = 2001, 3001


@dataclass
class Region:
    app: App
    north: Chat
    south: Chat


async def _community(stack: AsyncExitStack, token: str, group_id: int) -> tuple[Emulator, EmulatorControl]:
    emu = Emulator(token=token, group_id=group_id, strict=True)
    await emu.start(host="127.0.0.1", port=0)
    stack.push_async_callback(emu.stop)
    control = await stack.enter_async_context(EmulatorControl(emu.base_url))
    return emu, control


@pytest.fixture
async def region(tmp_path: Path, storage_override: dict[str, Any]) -> AsyncIterator[Region]:
    """School 1 on the «north» community (the first), school 2 on «south»; a teacher of each."""
    async with AsyncExitStack() as stack:
        north_emu, north = await _community(stack, "tn", 11)
        south_emu, south = await _community(stack, "ts", 12)
        settings = parse_settings({
            **storage_override,
            "vk": {"wait": 5, "communities": [
                {"name": "north", "token": "tn", "group_id": 11, "api_url": north_emu.api_url},
                {"name": "south", "token": "ts", "group_id": 12, "api_url": south_emu.api_url}]},
            "schools": [{"id": "school1", "name": "МБОУ СОШ № 1"},
                        {"id": "school2", "name": "МБОУ СОШ № 2", "vk_community": "south"}]}, tmp_path)
        app = await build_app(settings, backoff=Backoff(base=0.05, cap=0.5))
        task = asyncio.create_task(app.run())
        for control, vk_id, org, name in ((north, NORTH_TEACHER, "school1", "Иванова Анна Петровна"),
                                          (south, SOUTH_TEACHER, "school2", "Кравцова Нина Олеговна")):
            await control.add_user(vk_id, name.split()[1], name.split()[0], allows_messages=True)
            await app.deps.people.add(org, name, Role.TEACHER, vk_id=vk_id)
        await north.wait_listening()
        await south.wait_listening()
        try:
            yield Region(app=app, north=Chat(north), south=Chat(south))
        finally:
            await app.close()
            await asyncio.gather(task, return_exceptions=True)


async def test_each_person_is_answered_by_the_community_they_wrote_to(region: Region) -> None:
    """The same command in either community gets its answer from that community only."""
    [south_reply] = await region.south.say(SOUTH_TEACHER, "мой статус")
    assert "Нина Олеговна" in south_reply["text"]
    [north_reply] = await region.north.say(NORTH_TEACHER, "мой статус")
    assert "Анна Петровна" in north_reply["text"]
    assert (await region.north.control.sent(SOUTH_TEACHER))["items"] == []
    assert (await region.south.control.sent(NORTH_TEACHER))["items"] == []


async def test_reminders_go_through_the_schools_community(region: Region) -> None:
    """School 2 names «south»: its teacher's reminder is sent by «south», and its outbox row says so;
    school 1 names none and is written to by the first community."""
    app = region.app
    for org, vk_id in (("school1", NORTH_TEACHER), ("school2", SOUTH_TEACHER)):
        [person] = await app.deps.people.by_vk_id(vk_id)
        await seed_stats(app.db, [(person.id, {"group_messages": 1, "calls": 1, "ejd_linked": True,
                                               "registered": True})], org_id=org)
        assert (await app.deps.reminders.run(org, now=MONDAY_10)).sent == 1
    [south_sent] = (await region.south.control.sent(SOUTH_TEACHER))["items"]
    assert south_sent["text"].startswith("Нина Олеговна, добрый день!")
    assert len((await region.north.control.sent(NORTH_TEACHER))["items"]) == 1
    assert (await region.north.control.sent(SOUTH_TEACHER))["items"] == []
    async with app.db.read() as conn, conn.execute(
            "SELECT org_id, bot FROM outbox WHERE kind = 'reminder' ORDER BY org_id") as cur:
        assert [tuple(r) for r in await cur.fetchall()] == [("school1", "north"), ("school2", "south")]
