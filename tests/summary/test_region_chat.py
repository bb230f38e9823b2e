"""End to end on VK and MAX: an official bound to a district gets that district; a regional official every school."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings, parse_settings
from tests.e2e.harness import DEPUTY, DIRECTOR
from tests.e2e.messengers import MaxTalk, Talk, VkTalk
from tests.max import conftest as max_side
from tests.summary.conftest import seed_school
from tests.summary.test_chat import seed_weeks
from vk_emulator import Emulator

# (VK id, MAX id) of the regional official and of the official bound to «Южный».
REGIONAL = (3001, 7301)
SOUTHERN = (3002, 7302)


def _schools(vk: bool) -> list[dict[str, Any]]:
    head: dict[str, Any] = ({"director_vk_id": DIRECTOR, "deputy_vk_ids": [DEPUTY]} if vk else
                            {"director_max_id": max_side.DIRECTOR, "deputy_max_ids": [max_side.DEPUTY]})
    return [{"id": "school1", "name": "МБОУ СОШ № 1", "district": "Северный", **head},
            {"id": "school2", "name": "МБОУ СОШ № 2", "district": "Северный"},
            {"id": "school3", "name": "МБОУ СОШ № 3", "district": "Южный"}]


def _district(vk: bool) -> dict[str, Any]:
    n = 0 if vk else 1
    key = "vk_ids" if vk else "max_ids"
    return {"name": "Энская область", f"official_{key}": [REGIONAL[n]],
            "officials": [{"district": "Южный", key: [SOUTHERN[n]]}]}


@pytest.fixture
def e2e_settings(tmp_path: Path, emulator: Emulator) -> Settings:
    """Three schools in two districts, a regional official and one bound to «Южный» (VK)."""
    return parse_settings({"vk": {"token": "t", "group_id": 1, "api_url": emulator.api_url, "wait": 5},
                           "district": _district(True), "schools": _schools(True)}, tmp_path)


@pytest.fixture
def max_settings(tmp_path: Path, max_emu: Any) -> Settings:
    """The same deployment in MAX only."""
    return parse_settings({"vk": {"api_url": "http://127.0.0.1:9/method/"},
                           "max": {"token": max_side.TOKEN, "api_url": max_emu.base_url},
                           "district": _district(False), "schools": _schools(False)}, tmp_path)


async def _ask(talk: Talk, who: tuple[int, int], text: str, files: int) -> tuple[str, int]:
    """The official's question and the bot's answer: the text and how many files came with it."""
    if isinstance(talk, VkTalk):
        await talk.chat.control.add_user(who[0], "Нина", "Районова", allows_messages=True)
        [reply] = await talk.chat.say(who[0], text)
        return reply["text"], len(reply["attachments"])
    assert isinstance(talk, MaxTalk)
    await talk.ctl.add_user(who[1], "Нина", "Районова")
    before = await talk.ctl.sent(None)
    said = await talk.ctl.say(who[1], text)
    items = await talk.ctl.wait_sent(said["chat_id"], 1 + files, after=before[-1]["seq"] if before else None)
    return items[0]["text"] or "", sum(len(i["attachments"]) for i in items)


async def _seed(talk: Talk) -> None:
    await seed_weeks(talk.app)
    await seed_school(talk.app.db, "school2", "МБОУ СОШ № 2")
    await seed_school(talk.app.db, "school3", "МБОУ СОШ № 3")


@pytest.mark.parametrize("talk", ["vk", "max"], indirect=True)
async def test_district_official_gets_only_their_district(talk: Talk) -> None:
    """«Сводка» from the official bound to «Южный»: that district's one school and its xlsx, nobody else's."""
    await _seed(talk)
    text, files = await _ask(talk, SOUTHERN, "сводка", files=1)
    assert text.startswith("Сводка по району: Южный, 1 школа")
    assert "МБОУ СОШ № 3" in text and "СОШ № 1" not in text and "СОШ № 2" not in text
    assert files == 1


@pytest.mark.parametrize("talk", ["vk", "max"], indirect=True)
async def test_regional_official_gets_every_school(talk: Talk) -> None:
    """«Сводка» from the regional official: all three schools ranked with their districts, within 4,000 characters."""
    await _seed(talk)
    text, files = await _ask(talk, REGIONAL, "сводка", files=1)
    assert text.startswith("Сводка по региону: Энская область, 3 школы")
    assert "МБОУ СОШ № 1 (Северный)" in text and "МБОУ СОШ № 3 (Южный)" in text
    assert len(text) <= 4000 and files == 1


@pytest.mark.parametrize("talk", ["vk", "max"], indirect=True)
async def test_region_and_district_are_roles_of_their_own(talk: Talk) -> None:
    """The regional official acts as REGION, the bound one as DISTRICT (the roster keeps both as officials;
    [[district.officials]] decides): each gets their own role's help."""
    from bot.domain.models import Role
    from bot.messaging.events import Identity, Messenger

    messenger, n = (Messenger.VK, 0) if isinstance(talk, VkTalk) else (Messenger.MAX, 1)
    regional, southern = (Identity(messenger=messenger, external_id=who[n]) for who in (REGIONAL, SOUTHERN))
    text, _ = await _ask(talk, REGIONAL, "помощь", files=0)
    assert text.startswith("Что я умею для управления образования региона:")
    text, _ = await _ask(talk, SOUTHERN, "помощь", files=0)
    assert text.startswith("Что я умею для управления образования:")
    assert [p.role for p in await talk.app.deps.access.whois(regional)] == [Role.REGION]
    assert [p.role for p in await talk.app.deps.access.whois(southern)] == [Role.DISTRICT]
