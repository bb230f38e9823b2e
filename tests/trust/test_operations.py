"""Running it: the systemd unit in the repository, logs to standard output (plain or JSON)."""

from __future__ import annotations

import configparser
import json
import logging
from collections.abc import Iterator

import pytest

from bot.cli import build_parser
from bot.config import LoggingConfig
from bot.logs import setup_logging
from tests.conftest import ROOT


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The root logger, given back as it was (setup_logging replaces its handlers)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield root
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def test_systemd_unit_runs_the_bot_and_restarts_it() -> None:
    """deploy/sferum-bot.service starts `sferum-bot run --config …`, stops by SIGTERM, restarts on failure."""
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(ROOT / "deploy" / "sferum-bot.service", encoding="utf-8")
    assert {"Unit", "Service", "Install"} <= set(unit.sections())
    service = unit["Service"]
    command = service["ExecStart"].split()
    assert command[0].endswith("sferum-bot") and command[1] == "run" and "--config" in command
    assert service["KillSignal"] == "SIGTERM" and service["Restart"] in ("on-failure", "always")
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    # The commands the unit and the README name exist.
    choices = next(a for a in build_parser()._actions if a.dest == "command").choices
    assert choices is not None and {"run", "status", "backup", "restore"} <= set(choices)


def test_json_logs_go_to_stdout_one_object_a_line_without_secrets(
        root_logger: logging.Logger, capsys: pytest.CaptureFixture[str]) -> None:
    """format = "json": one JSON object per line on standard output, the token masked."""
    setup_logging(LoggingConfig(level="INFO", format="json"))
    logging.getLogger("bot.test").warning("VK error with access_token=abcdef123456 for %s", "Анна")
    lines = [line for line in capsys.readouterr().out.splitlines() if line]
    record = json.loads(lines[-1])
    assert record["level"] == "WARNING" and record["logger"] == "bot.test"
    assert "abcdef123456" not in lines[-1] and "Анна" in record["message"]


def test_plain_logs_go_to_stdout(root_logger: logging.Logger, capsys: pytest.CaptureFixture[str]) -> None:
    """format = "plain": a readable line with the level and the logger on standard output."""
    setup_logging(LoggingConfig(level="INFO", format="plain"))
    logging.getLogger("bot.test").info("started")
    logging.getLogger("bot.test").debug("not shown at INFO")
    out = capsys.readouterr().out
    assert "INFO bot.test: started" in out and "not shown" not in out
