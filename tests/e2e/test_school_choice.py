"""A teacher on the roster of two schools of one regional bot says once which school they write for
(a button or a typed answer); the choice is kept, decides the school the bot answers for, and is changeable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.config import Settings, parse_settings
from bot.domain.models import Role
from bot.messaging.events import Identity, Messenger
from handlers.school_choice import CHOSEN, NOT_UNDERSTOOD, QUESTION
from max_emulator import MaxEmulator
from tests.e2e.harness import DEPUTY, DIRECTOR
from tests.e2e.messengers import MESSENGERS, Talk, Who
from tests.max.conftest import DEPUTY as MAX_DEPUTY
from tests.max.conftest import DIRECTOR as MAX_DIRECTOR
from tests.max.conftest import TOKEN
from vk_emulator import Emulator

SECOND = {"id": "school2", "name": "Гимназия № 2"}
FIRST_NAME = "МБОУ СОШ № 1"


@pytest.fixture
def e2e_settings(tmp_path: Path, emulator: Emulator, storage_override: dict[str, Any]) -> Settings:
    return parse_settings({**storage_override, "vk": {"token": "t", "group_id": 1, "api_url": emulator.api_url,
                                                      "wait": 5},
                           "schools": [{"id": "school1", "name": FIRST_NAME, "director_vk_id": DIRECTOR,
                                        "deputy_vk_ids": [DEPUTY]}, SECOND]}, tmp_path)


@pytest.fixture
def max_settings(tmp_path: Path, max_emu: MaxEmulator, storage_override: dict[str, Any]) -> Settings:
    settings = parse_settings({"vk": {"api_url": "http://127.0.0.1:9/method/"},
                               "max": {"token": TOKEN, "api_url": max_emu.base_url},
                               "schools": [{"id": "school1", "name": FIRST_NAME, "director_max_id": MAX_DIRECTOR,
                                            "deputy_max_ids": [MAX_DEPUTY]}, SECOND]}, tmp_path)
    if storage_override:
        storage = settings.storage.model_copy(update={"url": SecretStr(storage_override["storage"]["url"])})
        settings = settings.model_copy(update={"storage": storage})
    return settings


async def _also_in_school2(talk: Talk) -> tuple[Identity, int]:
    """The teacher is on school 2's roster too (bound to the same account); their account and the bot's id."""
    first = await talk.person(Who.TEACHER)
    people = talk.app.deps.people
    if talk.messenger == "vk":
        await people.add("school2", first.full_name, Role.TEACHER, vk_id=first.vk_id)
        return Identity(messenger=Messenger.VK, external_id=first.vk_id or 0), talk.app.deps.group_id
    second = await people.add("school2", first.full_name, Role.TEACHER)
    await people.bind_max(second.id, first.max_id or 0)
    return Identity(messenger=Messenger.MAX, external_id=first.max_id or 0), 0


@pytest.mark.parametrize("talk", MESSENGERS, indirect=True)
async def test_asked_once_then_kept_and_changeable(talk: Talk) -> None:
    """The first message gets the question with a button per school; the choice is kept (no second question)
    and makes that school's person the one the bot knows; «сменить школу» asks again, a typed number answers,
    and a typed answer that names no school changes nothing."""
    account, bot_id = await _also_in_school2(talk)
    choice = talk.app.deps.school_choice
    asked = await talk.ask(Who.TEACHER, "мой статус")
    assert asked.text.startswith(QUESTION) and "1. Гимназия № 2" in asked.text and f"2. {FIRST_NAME}" in asked.text
    assert asked.buttons == ["Гимназия № 2", FIRST_NAME]
    picked = await talk.press(Who.TEACHER, asked, "Гимназия")
    assert picked.text == CHOSEN.format(name="Гимназия № 2")
    status = await talk.ask(Who.TEACHER, "мой статус")
    assert not status.text.startswith(QUESTION)
    assert await choice.chosen(account, bot_id) == "school2"

    again = await talk.ask(Who.TEACHER, "сменить школу")
    assert again.text.startswith(QUESTION)
    wrong = await talk.ask(Who.TEACHER, "7")
    assert wrong.text.startswith(NOT_UNDERSTOOD)
    assert await choice.chosen(account, bot_id) is None
    typed = await talk.ask(Who.TEACHER, "2")
    assert typed.text == CHOSEN.format(name=FIRST_NAME)
    assert await choice.chosen(account, bot_id) == "school1"


@pytest.mark.parametrize("talk", MESSENGERS, indirect=True)
async def test_one_school_is_not_asked(talk: Talk) -> None:
    """Someone on one school's roster is never asked; «сменить школу» says there is nothing to choose."""
    status = await talk.ask(Who.TEACHER, "мой статус")
    assert not status.text.startswith(QUESTION)
    answer = await talk.ask(Who.TEACHER, "сменить школу")
    assert "только одной школы" in answer.text
