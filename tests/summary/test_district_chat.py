"""End to end: a district official gets all schools together with a ranking, never names."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import App
from bot.config import Settings, parse_settings
from storage.stats import OrgStats
from tests.e2e.harness import DEPUTY, DIRECTOR, Chat
from tests.summary.conftest import WEEK2, put_org_row, seed_school
from tests.summary.test_chat import seed_weeks
from vk_emulator import Emulator
from vk_emulator.client import EmulatorControl

OFFICIAL = 3001


@pytest.fixture
def e2e_settings(tmp_path: Path, emulator: Emulator) -> Settings:
    """Two schools and a district official."""
    return parse_settings({
        "vk": {"token": "t", "group_id": 1, "api_url": emulator.api_url, "wait": 5},
        "district": {"name": "Энский район", "official_vk_ids": [OFFICIAL]},
        "schools": [{"id": "school1", "name": "МБОУ СОШ № 1", "director_vk_id": DIRECTOR, "deputy_vk_ids": [DEPUTY]},
                    {"id": "school2", "name": "МБОУ СОШ № 2"}],
    }, tmp_path)


async def test_district_official_gets_ranking(chat: Chat, bot_app: App, control: EmulatorControl) -> None:
    """«Сводка по району»: the total of both schools, the inactive school ranked first, a chart and a workbook."""
    await control.add_user(OFFICIAL, "Нина", "Районова", allows_messages=True)
    await seed_weeks(bot_app)
    await seed_school(bot_app.db, "school2", "МБОУ СОШ № 2")
    await put_org_row(bot_app.db, OrgStats(org_id="school2", period=WEEK2, status="inactive"))
    [reply] = await chat.say(OFFICIAL, "Сводка по району")
    text = reply["text"]
    assert text.startswith("Сводка по району: Энский район, школ: 2")
    assert "Профили школ: активны 1, не активны 1" in text
    assert "• ≥ 3 сообщений: МБОУ СОШ № 2 75 % (не активен), МБОУ СОШ № 1 50 %" in text
    assert "Петров" not in text and "Иванова" not in text
    assert sorted(a["type"] for a in reply["attachments"]) == ["doc", "photo"]


async def test_director_sees_only_own_school(chat: Chat, bot_app: App) -> None:
    """With two schools, the director's summary is their school's alone."""
    await seed_school(bot_app.db, "school2", "МБОУ СОШ № 2")
    [reply] = await chat.say(DIRECTOR, "сводка")
    assert reply["text"].startswith("Сводка: МБОУ СОШ № 1") and "СОШ № 2" not in reply["text"]
