"""Privacy at first contact in MAX, end to end through the MAX emulator: the consent before anything
else, then «Мои данные» with the person's own export as a file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.config import Settings, parse_settings
from bot.messaging.events import Identity, Messenger
from max_emulator import MaxEmulator
from max_emulator.client import MaxEmulatorControl
from tests.max.conftest import DEPUTY, DIRECTOR, TEACHERS, TOKEN

OPERATOR = "МБОУ СОШ № 1 г. Примерска"


@pytest.fixture
def max_settings(tmp_path: Path, max_emu: MaxEmulator) -> Settings:
    """The MAX-only school of tests/max with its own operator and consent required."""
    return parse_settings(
        {
            "vk": {"api_url": "http://127.0.0.1:9/method/"},
            "max": {"token": TOKEN, "api_url": max_emu.base_url},
            "privacy": {"consent_required": True},
            "schools": [{"id": "school1", "name": "МБОУ СОШ № 1", "director_max_id": DIRECTOR,
                         "deputy_max_ids": [DEPUTY], "registration_deadline": "2026-12-01",
                         "privacy": {"operator": OPERATOR}}],
        },
        tmp_path,
    )


def _button(message: dict[str, Any], label: str) -> dict[str, Any]:
    return next(b for row in message["keyboard"] for b in row if label in b["text"])


async def test_consent_first_then_my_data_with_the_export(max_app: App, max_ctl: MaxEmulatorControl) -> None:
    """A MAX teacher's message gets the consent text; «Согласен(на)» records it for the MAX account (not the
    VK account with the same number) and greets with the menu; «Мои данные» sends the export file."""
    teacher, name = TEACHERS[0]
    said = await max_ctl.say(teacher, "мой статус")
    [prompt] = await max_ctl.wait_sent(said["chat_id"], 1)
    assert prompt["text"].startswith("Согласие на обработку персональных данных") and OPERATOR in prompt["text"]
    consent = _button(prompt, "Согласен")
    assert consent["type"] == "callback"

    await max_ctl.press(teacher, prompt["mid"], consent["payload"])
    [thanks] = await max_ctl.wait_sent(said["chat_id"], 1, after=prompt["seq"])
    assert thanks["text"].startswith("Спасибо, согласие записано.") and name.split()[1] in thanks["text"]
    [answer] = await max_ctl.answers(teacher, count=1)
    assert answer["notification"] == "Спасибо, согласие записано."
    account = Identity(messenger=Messenger.MAX, external_id=teacher)
    assert await max_app.deps.privacy.needs_consent(account, "school1") is None
    # Kept per messenger: the VK account with the same number has not consented.
    assert await max_app.deps.privacy.needs_consent(teacher, "school1") is not None

    await max_ctl.press(teacher, thanks["mid"], _button(thanks, "Мои данные")["payload"])
    reply, file = await max_ctl.wait_sent(said["chat_id"], 2, after=thanks["seq"])
    assert reply["text"].startswith("Что бот хранит о вас сейчас:") and "классы: 1" in reply["text"]
    assert "согласия на обработку данных: 1" in reply["text"]
    [attachment] = file["attachments"]
    assert attachment["type"] == "file" and attachment["filename"] == "мои-данные.json"
    [entry] = await max_app.deps.audit.recent(action="export_person")
    assert json.loads(entry.details) == {"by": f"max:{teacher}"}
