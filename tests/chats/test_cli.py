"""`sferum-bot report migration`: the exact JSON shape, one school or several, and errors."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.services.chats import ChatsService
from storage.chats import ChatsSql
from storage.conversation_state import ConversationStateRepo
from storage.db import Database
from tests.chats.conftest import seed

CONFIG = """
[storage]
data_dir = "data"
[[schools]]
id = "school1"
name = "МБОУ СОШ № 1"
[[schools]]
id = "school2"
name = "Школа № 2"
"""


async def _prepare(tmp_path: Path) -> Path:
    from bot.config import load_settings

    config = tmp_path / "config.toml"
    config.write_text(CONFIG, "utf-8")
    settings = load_settings(config)
    db = await Database.open(settings.storage.database_path)
    try:
        people = await seed(db, settings)
        service = ChatsService(ChatsSql(db), settings, dialogs=ConversationStateRepo(db))
        person = people["ivanova"]
        await service.start(person, "class:5А:pupils")
        await service.choose_messenger(person, "none")
        await service.typed(person, "https://vk.me/join/Abc123")
        await service.typed(person, "25")
        await service.confirm(person)
    finally:
        await db.close()
    return config


async def test_json_for_one_school(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--org gives one object with exactly the fields the issue fixes."""
    config = await _prepare(tmp_path)
    assert await _main(["report", "migration", "--config", str(config), "--org", "school1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {"org": "school1", "expected": 10, "confirmed": 1, "checked": 0, "people": [
        {"name": "Иванова Анна Петровна", "expected": 2, "confirmed": 1, "missing": ["Чат с родителями 5А"]},
        {"name": "Орлов Виктор Павлович", "expected": 4, "confirmed": 0,
         "missing": ["Чат с заместителями", "Чат с педагогами", "Чат с родительским активом",
                     "Чат с ученическим активом"]},
        {"name": "Смирнова Ольга Викторовна", "expected": 4, "confirmed": 0,
         "missing": ["Чат с учениками 7Б", "Чат с родителями 7Б", "Чат с учениками 10А", "Чат с родителями 10А"]},
    ]}


async def test_json_for_several_schools_is_a_list_in_config_order(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Without --org and with two schools: a list, school1 then school2."""
    config = await _prepare(tmp_path)
    assert await _main(["report", "migration", "--config", str(config), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["org"] for d in data] == ["school1", "school2"]
    assert data[1] == {"org": "school2", "expected": 2, "confirmed": 0, "checked": 0, "people": [
        {"name": "Ли Анна Игоревна", "expected": 2, "confirmed": 0, "missing": ["Чат с учениками 1А", "Чат с родителями 1А"]}]}


async def test_text_table_and_unknown_school(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without --json a Russian table; an unknown --org is a config error (exit 2) in Russian."""
    config = await _prepare(tmp_path)
    assert await _main(["report", "migration", "--config", str(config), "--org", "school1"]) == 0
    out = capsys.readouterr().out
    assert "Ожидается чатов: 10, подтверждено: 1" in out and "Чат с родителями 5А" in out
    assert await _main(["report", "migration", "--config", str(config), "--org", "nope"]) == 2
    assert "школы «nope» нет в настройках" in capsys.readouterr().err


async def _main(argv: list[str]) -> int:
    """The CLI in a thread: it runs its own event loop."""
    return await asyncio.to_thread(main, argv)


def test_plain_example_config_without_token(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain copy of config.example.toml and no token: zeros, exit 0."""
    from tests.conftest import ROOT

    monkeypatch.delenv("SFERUM_VK__TOKEN", raising=False)
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.example.toml").read_text("utf-8"), "utf-8")
    assert main(["report", "migration", "--config", str(config), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"org": "school1", "expected": 0, "confirmed": 0, "checked": 0,
                                                   "people": []}
