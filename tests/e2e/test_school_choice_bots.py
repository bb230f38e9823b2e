"""School choice with two VK communities: «north» serves school 1, «south» schools 2 and 3. The choice is the
person's, not the bot's: made in one community it holds in the other; a community that serves only one of the
person's schools answers for it without asking; one that serves several asks only among those."""

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
from bot.messaging.events import Identity, Messenger
from bot.ratelimit import Backoff
from handlers.school_choice import CHOSEN, ONLY_HERE, QUESTION
from tests.e2e.harness import Chat
from tests.e2e.test_bots_per_school import vk_community

NAME = "Кравцова Нина Олеговна"
IN_TWO_BOTS, IN_ONE_BOT = 3001, 3002  # schools 1 and 2; schools 2 and 3
SCHOOLS = [{"id": "school1", "name": "МБОУ СОШ № 1"},
           {"id": "school2", "name": "МБОУ СОШ № 2", "vk_community": "south"},
           {"id": "school3", "name": "МБОУ СОШ № 3", "vk_community": "south"}]


@dataclass
class Region:
    app: App
    north: Chat
    south: Chat


@pytest.fixture
async def region(tmp_path: Path, storage_override: dict[str, Any]) -> AsyncIterator[Region]:
    """Two communities; one teacher on the rosters of schools 1 and 2, another on those of schools 2 and 3."""
    async with AsyncExitStack() as stack:
        north, north_conf = await vk_community(stack, "tn", 11)
        south, south_conf = await vk_community(stack, "ts", 12)
        for side in (north, south):
            for user in (IN_TWO_BOTS, IN_ONE_BOT):
                await side.control.add_user(user, "Нина", "Кравцова", allows_messages=True)
        settings = parse_settings({
            **storage_override,
            "vk": {"wait": 5, "communities": [{"name": "north", **north_conf}, {"name": "south", **south_conf}]},
            "schools": SCHOOLS}, tmp_path)
        app = await build_app(settings, backoff=Backoff(base=0.05, cap=0.5))
        task = asyncio.create_task(app.run())
        for user, schools in ((IN_TWO_BOTS, ("school1", "school2")), (IN_ONE_BOT, ("school2", "school3"))):
            for org in schools:
                await app.deps.people.add(org, NAME, Role.TEACHER, vk_id=user)
        for side in (north, south):
            await side.control.wait_listening()
        try:
            yield Region(app=app, north=north, south=south)
        finally:
            await app.close()
            await asyncio.gather(task, return_exceptions=True)


async def _text(chat: Chat, user: int, text: str) -> str:
    [reply] = await chat.say(user, text)
    return str(reply["text"])


async def test_a_community_serving_one_of_the_persons_schools_does_not_ask(region: Region) -> None:
    """Schools 1 and 2 are on different communities: each answers for its own school, no question; «сменить
    школу» there says which school this community is for."""
    assert not (await _text(region.north, IN_TWO_BOTS, "мой статус")).startswith(QUESTION)
    assert not (await _text(region.south, IN_TWO_BOTS, "мой статус")).startswith(QUESTION)
    account = Identity(messenger=Messenger.VK, external_id=IN_TWO_BOTS)
    choice = region.app.deps.school_choice
    assert await choice.chosen(account, 11, "north", {"school1", "school2"}) == "school1"
    assert await choice.chosen(account, 12, "south", {"school1", "school2"}) == "school2"
    assert await _text(region.south, IN_TWO_BOTS, "сменить школу") == ONLY_HERE.format(name="МБОУ СОШ № 2")


async def test_a_choice_made_in_one_community_holds_in_the_other(region: Region) -> None:
    """Schools 2 and 3 are both «south»'s, and «north» serves neither: «north» asks among the two, the typed
    answer is kept, and «south» then answers for that school without asking again."""
    asked = await _text(region.north, IN_ONE_BOT, "мой статус")
    assert asked.startswith(QUESTION) and "1. МБОУ СОШ № 2" in asked and "2. МБОУ СОШ № 3" in asked
    assert "СОШ № 1" not in asked
    assert await _text(region.north, IN_ONE_BOT, "2") == CHOSEN.format(name="МБОУ СОШ № 3")
    assert not (await _text(region.south, IN_ONE_BOT, "мой статус")).startswith(QUESTION)
    account = Identity(messenger=Messenger.VK, external_id=IN_ONE_BOT)
    assert await region.app.deps.school_choice.chosen(account, 12, "south", {"school2", "school3"}) == "school3"
    again = await _text(region.south, IN_ONE_BOT, "сменить школу")
    assert again.startswith(QUESTION) and "МБОУ СОШ № 2" in again and "МБОУ СОШ № 3" in again
