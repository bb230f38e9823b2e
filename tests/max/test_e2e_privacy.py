"""Privacy at first contact in MAX, end to end through the MAX emulator: the consent before anything
else, then «Мои данные» with the person's own export as a file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.cli import main
from bot.commands._common import open_db
from bot.config import Settings, parse_settings
from bot.messaging.events import Identity, Messenger
from max_emulator import MaxEmulator
from max_emulator.client import MaxEmulatorControl
from tests.max.conftest import DEPUTY, DIRECTOR, TEACHERS, TOKEN, on_backend
from tests.pg import backend
from tests.trust.test_privacy_accounts import cells_with

OPERATOR = "МБОУ СОШ № 1 г. Примерска"


@pytest.fixture
def max_settings(tmp_path: Path, max_emu: MaxEmulator, storage_override: dict[str, Any]) -> Settings:
    """The MAX-only school of tests/max with its own operator and consent required (on the backend under test)."""
    return on_backend(parse_settings(
        {
            "vk": {"api_url": "http://127.0.0.1:9/method/"},
            "max": {"token": TOKEN, "api_url": max_emu.base_url},
            "privacy": {"consent_required": True},
            "schools": [{"id": "school1", "name": "МБОУ СОШ № 1", "director_max_id": DIRECTOR,
                         "deputy_max_ids": [DEPUTY], "registration_deadline": "2026-12-01",
                         "privacy": {"operator": OPERATOR}}],
        },
        tmp_path,
    ), storage_override)


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


async def test_my_data_has_the_max_rows_and_forget_by_max_id_leaves_none(
        max_app: App, max_ctl: MaxEmulatorControl, max_emu: MaxEmulator, max_settings: Settings,
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The file «Мои данные» sends a MAX teacher holds their MAX rows (consent, reachability, dialog,
    events); `sferum-bot forget --max-id N` then leaves the MAX id in no table."""
    assert max_app.db.dialect == backend()  # the PostgreSQL pass of CI runs it on PostgreSQL
    teacher, _ = TEACHERS[0]
    said = await max_ctl.say(teacher, "мой статус")
    [prompt] = await max_ctl.wait_sent(said["chat_id"], 1)
    await max_ctl.press(teacher, prompt["mid"], _button(prompt, "Согласен")["payload"])
    [thanks] = await max_ctl.wait_sent(said["chat_id"], 1, after=prompt["seq"])
    await max_ctl.press(teacher, thanks["mid"], _button(thanks, "Мои данные")["payload"])
    reply, _ = await max_ctl.wait_sent(said["chat_id"], 2, after=thanks["seq"])
    assert "ваши сообщения и нажатия кнопок, ещё не удалённые:" in reply["text"]
    assert "может ли каждый бот вам писать (ВКонтакте и MAX): 1" in reply["text"] and "ваш диалог с ботом в MAX: 1" in reply["text"]
    [stored] = [f for f in max_emu.state.files.values() if f.filename == "мои-данные.json"]
    tables = json.loads(stored.data)["tables"]
    assert [r["user_id"] for r in tables["max_dialogs"]] == [teacher]
    assert {r["messenger"] for r in tables["privacy_consents"]} == {"max"}
    assert {r["order_key"] for r in tables["inbox"]} == {f"max:{teacher}"}
    assert [(r["messenger"], r["account"]) for r in tables["reach"]] == [("max", teacher)]

    await max_app.close()  # settled: nothing the bot writes later can bring the id back
    conf = tmp_path / "forget.toml"
    url = max_settings.storage.postgres_url
    conf.write_text(f'[storage]\ndata_dir = "{max_settings.storage.data_dir}"\n' + (f'url = "{url}"\n' if url else "")
                    + '[[schools]]\nid = "school1"\n', "utf-8")
    assert await asyncio.to_thread(main, ["forget", "--max-id", str(teacher), "--config", str(conf)]) == 0
    assert "удалены" in capsys.readouterr().out
    db = await open_db(max_settings)
    try:
        assert await cells_with(db, teacher) == []
    finally:
        await db.close()
    assert await asyncio.to_thread(main, ["forget", "--max-id", str(teacher), "--config", str(conf)]) == 1
