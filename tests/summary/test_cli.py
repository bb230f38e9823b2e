"""`sferum-bot summary`: the JSON shape exactly, a list for several schools, files, Russian errors."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.cli import main
from storage.db import Database
from tests.conftest import ROOT
from tests.summary.conftest import seed_school

KEYS = ["org", "period", "indicators", "profile_status", "registered", "migration", "unreachable"]
INDICATORS = ["students_total", "teachers_total", "teachers_created_chats", "teachers_3plus", "teachers_10plus",
              "teachers_1call", "teachers_ejd", "students_ejd"]


def _config(tmp_path: Path, schools: int = 1) -> Path:
    """A plain copy of config.example.toml (no token), with extra schools appended."""
    text = (ROOT / "config.example.toml").read_text("utf-8")
    for n in range(2, schools + 1):
        text += f'\n[[schools]]\nid = "school{n}"\nname = "Школа {n}"\n'
    path = tmp_path / "config.toml"
    path.write_text(text, "utf-8")
    return path


def _seed(tmp_path: Path, orgs: list[str]) -> None:
    async def run() -> None:
        db = await Database.open(tmp_path / "data" / "sferum-bot.sqlite3")
        try:
            for org in orgs:
                await seed_school(db, org, org)
        finally:
            await db.close()

    asyncio.run(run())


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_shape_for_one_school(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints exactly the fields of the issue, in order, with the spec's ids and types."""
    config = _config(tmp_path)
    _seed(tmp_path, ["school1"])
    code, out, err = _run(capsys, "summary", "--config", str(config), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert list(data) == KEYS and list(data["indicators"]) == INDICATORS
    assert data["org"] == "school1" and data["period"] == {"start": "2026-11-14", "end": "2026-11-20"}
    assert all(list(v) == ["count", "share", "change"] for v in data["indicators"].values())
    assert data["indicators"]["teachers_3plus"] == {"count": 3, "share": 0.75, "change": 1}
    assert isinstance(data["indicators"]["teachers_3plus"]["share"], float)
    assert data["profile_status"] in ("active", "inactive", "unknown")
    assert list(data["registered"]) == ["count", "total"]
    # The CLI reads the chats migration and reachability from the database, as the bot does.
    assert list(data["migration"]) == ["expected", "confirmed"]
    assert data["migration"]["expected"] >= data["migration"]["confirmed"] == 0
    assert isinstance(data["unreachable"], int) and data["unreachable"] >= 0


def test_json_list_for_several_schools_in_config_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without --org, several schools give a list in config order; --org gives one object."""
    config = _config(tmp_path, schools=3)
    _seed(tmp_path, ["school3", "school1"])
    code, out, _ = _run(capsys, "summary", "--config", str(config), "--json")
    assert code == 0
    data = json.loads(out)
    assert [d["org"] for d in data] == ["school1", "school2", "school3"]
    assert data[1]["indicators"]["teachers_total"]["count"] is None
    one = json.loads(_run(capsys, "summary", "--config", str(config), "--json", "--org", "school3")[1])
    assert one["org"] == "school3" and one["indicators"]["teachers_total"]["count"] == 4


def test_period_argument(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--period picks the week; no previous period means a null change."""
    config = _config(tmp_path)
    _seed(tmp_path, ["school1"])
    data = json.loads(_run(capsys, "summary", "--config", str(config), "--json",
                           "--period", "2026-11-07..2026-11-13")[1])
    assert data["period"]["start"] == "2026-11-07"
    assert data["indicators"]["teachers_3plus"] == {"count": 2, "share": 0.5, "change": None}


def test_files_and_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--xlsx and --png write files; no flag prints the Russian text; a district prints its ranking."""
    config = _config(tmp_path)
    _seed(tmp_path, ["school1"])
    assert _run(capsys, "summary", "--config", str(config), "--xlsx", str(tmp_path / "s.xlsx"))[0] == 0
    assert (tmp_path / "s.xlsx").read_bytes().startswith(b"PK")
    assert _run(capsys, "summary", "--config", str(config), "--png", str(tmp_path / "s.png"))[0] == 0
    assert (tmp_path / "s.png").read_bytes().startswith(b"\x89PNG")
    code, out, _ = _run(capsys, "summary", "--config", str(config))
    assert code == 0 and "Показатели:" in out and "С кем поговорить" in out
    several = _config(tmp_path, schools=2)
    code, out, _ = _run(capsys, "summary", "--config", str(several))
    assert code == 0 and "Сводка по району" in out


def test_errors_in_russian(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad period, an unknown school and a missing folder: Russian on stderr, exit 1, nothing on stdout."""
    config = _config(tmp_path)
    for args, words in ((["--period", "вчера"], "ГГГГ-ММ-ДД"), (["--org", "nope"], "школы «nope» нет"),
                        (["--png", str(tmp_path / "no" / "s.png")], "папки")):
        code, out, err = _run(capsys, "summary", "--config", str(config), *args)
        assert (code, out) == (1, "") and words in err and err.startswith("Ошибка:")
    code, _, err = _run(capsys, "summary", "--config", str(tmp_path / "missing.toml"))
    assert code == 2 and "не найден" in err
