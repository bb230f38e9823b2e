"""`sferum-bot remind`: the dry run's JSON shape, no token needed; clear errors otherwise."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_settings
from bot.domain.models import Organization, Role
from storage.db import Database
from storage.people import PeopleRepo
from tests.conftest import ROOT
from tests.reminders.conftest import seed_stats


def config(tmp_path: Path) -> Path:
    """A plain copy of config.example.toml (no token) with its data in tmp_path."""
    path = tmp_path / "config.toml"
    path.write_text((ROOT / "config.example.toml").read_text(encoding="utf-8"), encoding="utf-8")
    return path


async def seed(path: Path) -> None:
    settings = load_settings(path)
    db = await Database.open(settings.storage.database_path)
    try:
        people = PeopleRepo(db)
        await people.sync_organizations([Organization(id="school1", name="Школа")])
        anna = await people.add("school1", "Иванова Анна Петровна", Role.TEACHER, vk_id=2001)
        maria = await people.add("school1", "Сидорова Мария Ивановна", Role.TEACHER)
        oleg = await people.add("school1", "Орлов Олег Олегович", Role.TEACHER, vk_id=2002)
        await seed_stats(db, [(anna.id, {"group_messages": 1}), (maria.id, {"registered": False}),
                              (oleg.id, {"group_messages": 30})])
    finally:
        await db.close()


def test_dry_run_json_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--dry-run --json prints exactly [{"org", "vk_id", "name", "reasons", "text"}], null without VK."""
    path = config(tmp_path)
    asyncio.run(seed(path))
    assert main(["remind", "--dry-run", "--json", "--config", str(path)]) == 0
    items = json.loads(capsys.readouterr().out)
    assert [sorted(i) for i in items] == [["name", "org", "reasons", "text", "vk_id"]] * 2
    by_name = {i["name"]: i for i in items}
    assert by_name["Иванова Анна Петровна"]["vk_id"] == 2001
    assert by_name["Иванова Анна Петровна"]["reasons"] == ["messages_below_threshold"]
    assert by_name["Иванова Анна Петровна"]["org"] == "school1"
    assert by_name["Сидорова Мария Ивановна"]["vk_id"] is None
    assert by_name["Сидорова Мария Ивановна"]["reasons"] == ["not_registered"]
    assert by_name["Иванова Анна Петровна"]["text"].startswith("Анна Петровна, добрый день!")


def test_dry_run_without_a_database_is_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With no database yet there is nobody to remind, and no database is created."""
    path = config(tmp_path)
    assert main(["remind", "--dry-run", "--json", "--config", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert not (tmp_path / "data").exists()
    assert main(["remind", "--dry-run", "--config", str(path)]) == 0
    assert "база ещё не создана: загрузите список сотрудников или запустите бота" in capsys.readouterr().out


def test_dry_run_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The human dry run shows each person, where it goes and the text."""
    path = config(tmp_path)
    asyncio.run(seed(path))
    assert main(["remind", "--dry-run", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Иванова Анна Петровна (school1, id2001)" in out and "только в отчёт" in out and "Всего: 2." in out


def test_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown school is a configuration error (2); a real run without a token fails in Russian (1)."""
    path = config(tmp_path)
    assert main(["remind", "--dry-run", "--org", "nope", "--config", str(path)]) == 2
    assert "школы «nope» нет в настройках" in capsys.readouterr().err
    assert main(["remind", "--config", str(path)]) == 1
    assert "нужен ключ доступа" in capsys.readouterr().err
