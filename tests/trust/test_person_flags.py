"""CLI `forget` and `export-person`: the person named by ФИО, VK id, MAX id or internal id."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.domain.models import Organization, Role
from storage.db import Database
from storage.people import PeopleRepo


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    """A config and a database with two Ивановы (one also a namesake by initials) and a Петров."""
    path = tmp_path / "config.toml"
    path.write_text('[storage]\ndata_dir = "data"\n[[schools]]\nid = "school1"\n', "utf-8")

    async def seed() -> None:
        db = await Database.open(tmp_path / "data" / "sferum-bot.sqlite3")
        repo = PeopleRepo(db)
        await repo.sync_organizations([Organization(id="school1", name="Школа")])
        await repo.add("school1", "Иванова Анна Петровна", Role.TEACHER, vk_id=501)   # id 1
        await repo.add("school1", "Иванова Алла Павловна", Role.TEACHER)              # id 2
        await repo.add("school1", "Петров Сергей Иванович", Role.STAFF, vk_id=503)    # id 3
        await db.close()

    asyncio.run(seed())
    return path


def _exported(capsys: pytest.CaptureFixture[str]) -> int:
    out = capsys.readouterr().out
    return int(json.loads(out.strip().splitlines()[-1])["tables"]["people"][0]["id"])


@pytest.mark.parametrize(("flags", "person_id"), [
    (["--person", "Иванова Анна Петровна"], 1),
    (["--person", "иванова  анна петровна"], 1),
    (["--person", "Петров С. И."], 3),
    (["--person", "Петров"], 3),
    (["--vk-id", "503"], 3),
    (["--person-id", "2"], 2),
    (["--person", "2"], 2),  # the old `--person ID` still works
])
def test_export_person_finds_the_one_person(conf: Path, capsys: pytest.CaptureFixture[str],
                                            flags: list[str], person_id: int) -> None:
    """ФИО (any case, initials), a VK id or the internal id name exactly one person."""
    assert main(["export-person", *flags, "--config", str(conf)]) == 0
    assert _exported(capsys) == person_id


@pytest.mark.parametrize("name", ["Иванова", "Иванова А. П."])
def test_an_ambiguous_name_is_refused_with_the_candidates(conf: Path, capsys: pytest.CaptureFixture[str],
                                                          name: str) -> None:
    """Two people fit: nothing is done and both are listed with their ids."""
    assert main(["forget", "--person", name, "--config", str(conf)]) == 1
    err = capsys.readouterr().err
    assert f"под «{name}» подходят несколько человек — ничего не изменено" in err
    assert "--person-id 1: Иванова Анна Петровна" in err and "--person-id 2: Иванова Алла Павловна" in err
    assert main(["export-person", "--person-id", "1", "--config", str(conf)]) == 0
    assert _exported(capsys) == 1  # still there


def test_forget_by_name_forgets_that_person(conf: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`forget --person "ФИО" --json` reports the internal id it forgot."""
    assert main(["forget", "--person", "Иванова Анна Петровна", "--json", "--config", str(conf)]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["person"] == 1


@pytest.mark.parametrize(("flags", "message"), [
    (["--person", "Сидоров Иван"], "«Сидоров Иван» нет в базе"),
    (["--vk-id", "999"], "сотрудника со страницей ВКонтакте id999 нет в базе"),
    (["--max-id", "777"], "сотрудника с MAX id 777 нет в базе"),
    (["--person-id", "42"], "сотрудника с id 42 нет в базе"),
])
def test_unknown_person_is_a_russian_error(conf: Path, capsys: pytest.CaptureFixture[str],
                                           flags: list[str], message: str) -> None:
    """Nobody found: a Russian message on stderr, exit 1, nothing changed."""
    assert main(["forget", *flags, "--config", str(conf)]) == 1
    assert message in capsys.readouterr().err
