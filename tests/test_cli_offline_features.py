"""The command line sees what the bot would: chats not confirmed and people it cannot reach."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.demo.fixture import load_fixture
from tests.conftest import ROOT


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A plain copy of config.example.toml with the demo school's roster and statistics imported."""
    path = tmp_path / "config.toml"
    path.write_text((ROOT / "config.example.toml").read_text("utf-8"), "utf-8")
    fixture = load_fixture()
    roster = tmp_path / "roster.csv"
    roster.write_bytes(fixture.roster_csv())
    stats = tmp_path / "stats.csv"
    stats.write_bytes(fixture.stats_csv(1))
    assert _run(capsys, "import-roster", str(roster), "--config", str(path))[0] == 0
    assert _run(capsys, "import-stats", str(stats), "--config", str(path))[0] == 0
    return path


def test_summary_json_counts_expected_chats_and_unreachable(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`summary --json` reports the chats migration and the people without a VK page, not zeros."""
    code, out, err = _run(capsys, "summary", "--json", "--config", str(config))
    assert code == 0, err
    data = json.loads(out)
    classes = sum(len(p.classes) for p in load_fixture().people)
    assert data["migration"]["expected"] >= 2 * classes
    assert data["migration"]["confirmed"] == 0
    assert data["unreachable"] >= 1  # the demo roster has a teacher without a VK page


def test_remind_dry_run_includes_unconfirmed_chats(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`remind --dry-run --json` names `chats_not_confirmed` for class teachers, as the real run would."""
    code, out, err = _run(capsys, "remind", "--dry-run", "--json", "--config", str(config))
    assert code == 0, err
    planned = json.loads(out)
    assert any("chats_not_confirmed" in p["reasons"] for p in planned)
