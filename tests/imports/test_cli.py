"""`sferum-bot import-roster` and `import-stats`: JSON output, refusals and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import ROOT
from tests.imports.tables import PERSON_HEADER, ROSTER_HEADER, ROSTER_ROWS, TITLE, csv_bytes, xlsx


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A plain copy of config.example.toml (no token), its data folder inside tmp_path."""
    path = tmp_path / "config.toml"
    path.write_text((ROOT / "config.example.toml").read_text("utf-8"), "utf-8")
    return path


def _write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_roster_json(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The roster JSON has exactly the fields roster.md fixes; a screen name is a problem without a token."""
    rows = [*ROSTER_ROWS, ["Орлова Вера", "учитель", "", "https://vk.com/orlova_v"]]
    path = _write(tmp_path, "staff.xlsx", xlsx([ROSTER_HEADER, *rows]))
    code, out, err = _run(capsys, "import-roster", path, "--config", str(config), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert list(result) == ["org", "rows_read", "added", "updated", "left", "problems"]
    assert (result["org"], result["rows_read"], result["added"], result["updated"], result["left"]) == (
        "school1", 6, 6, 0, 0)
    assert [p["row"] for p in result["problems"]] == [7]
    again = json.loads(_run(capsys, "import-roster", path, "--config", str(config), "--json")[1])
    assert (again["added"], again["updated"], again["left"]) == (0, 6, 0)


def test_import_stats_json_and_text(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The statistics JSON counts data rows and rows stored against people; the text report is Russian."""
    _run(capsys, "import-roster", _write(tmp_path, "staff.csv", csv_bytes([ROSTER_HEADER, *ROSTER_ROWS])),
         "--config", str(config))
    rows = [[TITLE], PERSON_HEADER, [1, "Иванова А.П.", "учитель", 5, 1, "да", "да", "да"],
            [2, "Незнакомцев Н.", "учитель", 1, 0], ["Итого", None, None, 6, 1]]
    path = _write(tmp_path, "week.csv", csv_bytes(rows, ";", "cp1251"))
    code, out, err = _run(capsys, "import-stats", path, "--config", str(config), "--json")
    assert code == 0, err
    assert json.loads(out) == {
        "period": {"start": "2026-11-14", "end": "2026-11-20"}, "kind": "person", "rows_read": 2,
        "rows_imported": 1, "problems": [{"row": 4, "reason": "«Незнакомцев Н.» нет в списке сотрудников"}],
    }
    code, out, _ = _run(capsys, "import-stats", path, "--config", str(config), "--period", "2026-11-07..2026-11-13")
    assert code == 0
    assert "07.11.2026–13.11.2026" in out and "строка 4: «Незнакомцев Н.»" in out
    code, out, _ = _run(capsys, "import-stats", path, "--config", str(config))
    assert code == 3 and "Неделя 14.11.2026–20.11.2026 уже загружена" in out
    code, out, _ = _run(capsys, "import-stats", path, "--config", str(config), "--yes")
    assert code == 0 and "заменены" in out


@pytest.mark.parametrize(("command", "data", "reason"), [
    ("import-stats", b"%PDF-1.5", "не таблица"),
    ("import-stats", b"", "пуст"),
    ("import-roster", csv_bytes([["ФИО", "Класс"], ["Иванова", "5А"]]), "должность"),
])
def test_refused_file(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                      command: str, data: bytes, reason: str) -> None:
    """A refused file: {"error"} on stdout with --json, the reason on stderr, exit code 1."""
    path = _write(tmp_path, "bad.xlsx", data)
    code, out, err = _run(capsys, command, path, "--config", str(config), "--json")
    assert code == 1
    assert reason in json.loads(out)["error"]
    assert reason in err
    code, out, err = _run(capsys, command, path, "--config", str(config))
    assert (code, out) == (1, "")
    assert err.startswith("Ошибка: ")


def test_missing_file_bad_period_and_unknown_org(config: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """A missing file, a malformed --period and an unknown --org exit 1 with a Russian reason."""
    code, out, _ = _run(capsys, "import-stats", str(tmp_path / "nope.xlsx"), "--config", str(config), "--json")
    assert code == 1 and "не найден" in json.loads(out)["error"]
    path = _write(tmp_path, "w.csv", csv_bytes([PERSON_HEADER, [1, "Иванова", "учитель", 1]]))
    code, out, _ = _run(capsys, "import-stats", path, "--config", str(config), "--json", "--period", "14.11.2026")
    assert code == 1 and "ГГГГ-ММ-ДД" in json.loads(out)["error"]
    code, out, _ = _run(capsys, "import-stats", path, "--config", str(config), "--json", "--org", "x")
    assert code == 1 and "школы «x» нет" in json.loads(out)["error"]


def test_config_error_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A broken config exits with code 2, as every command does."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[vk]\ntokn = 1\n", "utf-8")
    path = _write(tmp_path, "w.csv", csv_bytes([PERSON_HEADER]))
    code, _, err = _run(capsys, "import-stats", path, "--config", str(bad), "--json")
    assert code == 2
    assert "tokn" in err


def test_python_m_bot_import_stats(config: Path, tmp_path: Path) -> None:
    """`python -m bot import-stats` in a subprocess prints the JSON and exits 0."""
    main(["import-roster", _write(tmp_path, "staff.csv", csv_bytes([ROSTER_HEADER, *ROSTER_ROWS])),
          "--config", str(config)])
    path = _write(tmp_path, "w.xlsx", xlsx([PERSON_HEADER, [1, "Иванова А.П.", "учитель", 3],
                                            [2, "Незнакомцев Н.", "учитель", 1]]))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SFERUM_VK__TOKEN", None)
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "import-stats", path, "--config", str(config), "--json",
         "--period", "2026-11-14..2026-11-20"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["period"] == {"start": "2026-11-14", "end": "2026-11-20"}
    assert (result["kind"], result["rows_read"], result["rows_imported"]) == ("person", 2, 1)
    assert result["problems"][0]["row"] == 3


def test_a_refused_file_leaves_a_fresh_database_empty(config: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Not even the config's school and people are written when the file is refused."""
    import sqlite3

    path = _write(tmp_path, "bad.csv", csv_bytes([["Примечание"], ["x"]]))
    assert _run(capsys, "import-stats", path, "--config", str(config), "--json")[0] == 1
    assert _run(capsys, "import-roster", path, "--config", str(config), "--json")[0] == 1
    with sqlite3.connect(tmp_path / "data" / "sferum-bot.sqlite3") as conn:
        counts = [conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # noqa: S608 - fixed names
                  for t in ("organizations", "people", "imports", "person_stats", "pending_rows", "audit_log")]
    assert counts == [0, 0, 0, 0, 0, 0]


def _dump(config: Path) -> list[str]:
    import sqlite3

    conn = sqlite3.connect(config.parent / "data" / "sferum-bot.sqlite3")
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def _cli(config: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SFERUM_VK__TOKEN", None)
    return subprocess.run([sys.executable, "-m", "bot", *argv, "--config", str(config)], capture_output=True,
                          text=True, cwd=config.parent, env=env, timeout=120, check=False)


def test_dry_run_yes_and_exit_3_for_a_roster_that_marks_people_as_left(config: Path, tmp_path: Path) -> None:
    """A first roster applies at once; a shorter one exits 3 (or 0 with --dry-run) unchanged; --yes applies."""
    first = _cli(config, "import-roster", _write(tmp_path, "a.csv", csv_bytes([ROSTER_HEADER, *ROSTER_ROWS])),
                 "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["added"] == 5
    short = _write(tmp_path, "b.csv", csv_bytes([ROSTER_HEADER, *ROSTER_ROWS[:2]]))
    before = _dump(config)
    held = _cli(config, "import-roster", short, "--json")
    assert held.returncode == 3 and "--yes" in held.stderr
    preview = json.loads(held.stdout)
    assert list(preview) == ["preview", "added", "changed", "left", "left_names", "replaces_period"]
    assert (preview["preview"], preview["added"], preview["left"], preview["replaces_period"]) == (True, 0, 3, None)
    assert len(preview["left_names"]) == 3
    dry = _cli(config, "import-roster", short)
    assert dry.returncode == 3 and "Будут отмечены как уволившиеся: 3 человека" in dry.stdout
    dry = _cli(config, "import-roster", short, "--dry-run", "--json")
    assert dry.returncode == 0 and json.loads(dry.stdout) == preview
    assert _dump(config) == before
    applied = _cli(config, "import-roster", short, "--yes", "--json")
    assert applied.returncode == 0 and json.loads(applied.stdout)["left"] == 3


def test_a_new_week_applies_and_the_same_week_waits_for_yes(config: Path, tmp_path: Path) -> None:
    """import-stats: a new week applies at once, the same week again exits 3 with replaces_period, unchanged."""
    assert _cli(config, "import-roster", _write(tmp_path, "a.csv", csv_bytes([ROSTER_HEADER, *ROSTER_ROWS]))
                ).returncode == 0
    week = _write(tmp_path, "w.csv", csv_bytes([[TITLE], PERSON_HEADER, [1, "Иванова А.П.", "учитель", 5, 1]]))
    dry = _cli(config, "import-stats", week, "--dry-run", "--json")
    assert dry.returncode == 0 and json.loads(dry.stdout)["replaces_period"] is None
    assert _cli(config, "import-stats", week, "--json").returncode == 0
    before = _dump(config)
    again = _cli(config, "import-stats", week, "--json")
    assert again.returncode == 3
    assert json.loads(again.stdout) == {"preview": True, "added": 0, "changed": 1, "left": 0, "left_names": [],
                                        "replaces_period": "2026-11-14..2026-11-20"}
    assert _dump(config) == before
    assert _cli(config, "import-stats", week, "--yes").returncode == 0


def test_refused_files_change_nothing(config: Path, tmp_path: Path) -> None:
    """Statistics as a roster, strangers' statistics, a future week, a 10,000-column file: exit 1, same dump."""
    assert _cli(config, "import-roster", _write(tmp_path, "a.csv", csv_bytes([ROSTER_HEADER, *ROSTER_ROWS]))
                ).returncode == 0
    before = _dump(config)
    stats = [[TITLE], PERSON_HEADER, [1, "Иванова А.П.", "учитель", 5, 1]]
    strangers = [[TITLE], PERSON_HEADER, *([n, f"Чужая{chr(1072 + n)} Анна", "учитель", 1, 0] for n in range(6))]
    future = [["Мониторинг за период с 01.01.2099 по 07.01.2099"], PERSON_HEADER, [1, "Иванова А.П.", "учитель", 5]]
    wide = [["ФИО", "Должность", *(f"c{n}" for n in range(10_000))], ["Кто Такой", "учитель", *(["x"] * 10_000)]]
    for command, rows, reason in (("import-roster", stats, "похоже на еженедельную статистику"),
                                  ("import-stats", strangers, "больше половины не нашлись"),
                                  ("import-stats", future, "ещё не закончилась"),
                                  ("import-roster", wide, "можно до 200")):
        for flag in ("--yes", "--dry-run"):
            proc = _cli(config, command, _write(tmp_path, "x.csv", csv_bytes(rows)), flag, "--json")
            assert proc.returncode == 1, proc.stderr
            assert reason in json.loads(proc.stdout)["error"] and reason in proc.stderr
    assert _dump(config) == before
