"""What an operator reads is Russian and has no traceback: argparse, doctor, `run`'s retries, logs."""

from __future__ import annotations

import argparse
import ast
import io
import logging
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from bot.config import load_settings
from bot.logs import install_operator_handler
from tests.conftest import ROOT

CYRILLIC = re.compile("[а-яА-ЯёЁ]")
ENGLISH_ARGPARSE = (
    "usage:",
    "positional arguments",
    "options:",
    "optional arguments",
    "show this help message",
    "show program's version",
    "error:",
    "unrecognized arguments",
    "the following arguments are required",
    "invalid choice",
)
# Metavars that are not words: ids and counts read the same in Russian.
LATIN_METAVARS = {"ID", "N"}
SEPARATE = ("demo", "run")  # commands whose own output is not a help page


def _subparsers(parser: argparse.ArgumentParser) -> Iterator[tuple[list[str], argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield [name], sub
                for rest, deeper in _subparsers(sub):
                    yield [name, *rest], deeper


def _exit_code(argv: list[str]) -> int:
    """`main(argv)`'s exit code, whether returned or raised by argparse."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The root logger and the libraries' levels, given back as they were."""
    root = logging.getLogger()
    names = ("vkbottle", "apscheduler")
    saved = (root.handlers[:], root.level, [logging.getLogger(n).level for n in names],
             logging.getLogger("vkbottle").handlers[:])
    try:
        yield root
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for name, level in zip(names, saved[2], strict=True):
            logging.getLogger(name).setLevel(level)
        logging.getLogger("vkbottle").handlers[:] = saved[3]


def _operator_log(level: str = "INFO") -> io.StringIO:
    stream = io.StringIO()
    install_operator_handler(logging.StreamHandler(stream), level)
    return stream


def test_every_help_page_is_russian(capsys: pytest.CaptureFixture[str]) -> None:
    """`--help` of the program and every subcommand has no English argparse words; every option has
    a Russian help text and a Russian metavar."""
    parser = build_parser()
    pages = [[], *(path for path, _ in _subparsers(parser))]
    for path in pages:
        assert _exit_code([*path, "--help"]) == 0
        out = capsys.readouterr().out
        assert "использование:" in out, path
        found = [w for w in ENGLISH_ARGPARSE if w in out]
        assert found == [], (path, found)
    for path, sub in _subparsers(parser):
        for action in sub._actions:
            if action.help == argparse.SUPPRESS:
                continue
            assert action.help and CYRILLIC.search(action.help), (path, action.option_strings, action.help)
            if action.nargs == 0 or isinstance(action, argparse._SubParsersAction) or action.choices:
                continue
            metavar = action.metavar or (action.dest.upper() if action.option_strings else action.dest)
            assert isinstance(metavar, str)
            assert CYRILLIC.search(metavar) or metavar in LATIN_METAVARS, (path, metavar)


def test_argparse_errors_are_russian(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown option and a missing argument are refused in Russian with exit code 2."""
    assert _exit_code(["doctor", "--bogus"]) == 2
    err = capsys.readouterr().err
    assert "ошибка: неизвестные аргументы: --bogus" in err and "error" not in err
    assert _exit_code(["backup"]) == 2
    err = capsys.readouterr().err
    assert "не хватает обязательных аргументов: ФАЙЛ" in err


def test_emulator_module_help_is_russian() -> None:
    """`python -m vk_emulator --help` speaks Russian too."""
    result = subprocess.run([sys.executable, "-m", "vk_emulator", "--help"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=True)
    assert "использование:" in result.stdout and "показать эту справку и выйти" in result.stdout
    assert [w for w in ENGLISH_ARGPARSE if w in result.stdout] == []


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_doctor_with_vk_unreachable_prints_one_russian_line(tmp_path: Path) -> None:
    """`doctor` when VK cannot be reached: one Russian finding naming api_url, nothing on stderr, no traceback, exit 1."""
    config = (ROOT / "config.example.toml").read_text("utf-8")
    config = config.replace('api_url = "https://api.vk.ru/method/"',
                            f'api_url = "http://127.0.0.1:{_closed_port()}/method/"')
    # Only the VK token: the first `token = ""` is [vk]'s.
    (tmp_path / "config.toml").write_text(config.replace('token = ""', 'token = "abc"', 1), "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SFERUM_")}
    result = subprocess.run([sys.executable, "-m", "bot", "doctor"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    problems = [line for line in result.stdout.splitlines() if line.startswith("✗")]
    assert len(problems) == 1, result.stdout
    assert problems[0].startswith("✗ Нет связи с API ВКонтакте")
    assert "[vk] api_url" in result.stdout and "MAX" not in result.stdout
    assert result.stderr == ""


async def test_run_logs_one_russian_warning_per_attempt(root_logger: logging.Logger,
                                                        tmp_path: Path) -> None:
    """While VK is unreachable at start, each attempt is one Russian WARNING line, nothing else."""
    from bot.ratelimit import Backoff
    from bot.vk.api import make_api
    from bot.vk.calls import api_call
    from bot.vk.runtime import group_id_of

    settings = load_settings(ROOT / "config.example.toml").model_copy(deep=True)
    api = make_api(settings, f"http://127.0.0.1:{_closed_port()}/method/")

    async def no_wait(_delay: float) -> None:
        return None

    api._sleep = no_wait
    attempts = 0

    async def sleep(_delay: float) -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 3:
            raise StopAttempts

    stream = _operator_log("INFO")
    try:
        with pytest.raises(StopAttempts):
            await group_id_of(api_call(api), Backoff(), sleep)
    finally:
        await api.http_client.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3, lines
    for line in lines:
        assert " WARNING bot.vk.runtime: ВКонтакте недоступен: нет соединения; повтор через " in line


class StopAttempts(Exception):
    """Ends the retry loop in the test."""


def test_tracebacks_only_at_debug(root_logger: logging.Logger) -> None:
    """An ERROR with an exception is one line with the exception's type; DEBUG keeps the traceback."""
    log = logging.getLogger("bot.test")
    for level, expect_traceback in (("INFO", False), ("DEBUG", True)):
        stream = _operator_log(level)
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("событие 1: ошибка в обработчике")
        text = stream.getvalue()
        assert " ERROR bot.test: событие 1: ошибка в обработчике" in text
        assert ("Traceback" in text) is expect_traceback
        if not expect_traceback:
            assert text.strip().endswith("(ValueError)") and len(text.strip().splitlines()) == 1


def test_libraries_warnings_are_russian_and_their_chatter_quiet(root_logger: logging.Logger) -> None:
    """APScheduler's and vkbottle's warnings are translated; APScheduler's per-job INFO is quiet;
    vkbottle's own English handler is replaced."""
    stream = _operator_log("INFO")
    logging.getLogger("apscheduler.executors.default").info("Running job %s", "reminders")
    logging.getLogger("apscheduler.executors.default").info("Job %s executed successfully", "x")
    logging.getLogger("apscheduler.scheduler").warning(
        "Run time of job %r was missed by %s", "reminders", "0:01:00")
    logging.getLogger("vkbottle").error("Unable to make request to %s, retrying...", "BotPolling")
    logging.getLogger("aiohttp.client").warning("Something odd happened")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3, lines
    assert " WARNING apscheduler.scheduler: задача расписания 'reminders' пропущена: опоздание 0:01:00" in lines[0]
    assert " ERROR vkbottle: ВКонтакте недоступен (BotPolling); повтор" in lines[1]
    assert " WARNING aiohttp.client: сообщение библиотеки aiohttp: «Something odd happened»" in lines[2]
    assert all(isinstance(h, logging.NullHandler) for h in logging.getLogger("vkbottle").handlers)


def _log_calls(path: Path) -> Iterator[tuple[int, ast.expr | None]]:
    tree = ast.parse(path.read_text("utf-8"))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("warning", "error", "exception", "critical")
                and isinstance(node.func.value, ast.Name) and node.func.value.id in ("log", "logger")):
            yield node.lineno, node.args[0] if node.args else None


def test_warnings_and_errors_of_our_code_are_russian() -> None:
    """Every WARNING+ message written by the bot, its handlers and storage is Russian."""
    offenders = []
    for package in ("bot", "handlers", "storage"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for line, message in _log_calls(path):
                text = message.value if isinstance(message, ast.Constant) else None
                if not isinstance(text, str) or not CYRILLIC.search(text):
                    offenders.append(f"{path.relative_to(ROOT)}:{line}")
    assert offenders == []


def test_unreachable_reasons_follow_vk_codes() -> None:
    """901 says the person has not allowed messages; 902 says privacy settings forbid them; the
    reminders' report and the «Кто не подписан» list use the same words."""
    from bot.services.reachability import reason_for
    from bot.services.reminders import UNREACHABLE_REASONS

    assert reason_for(901) == UNREACHABLE_REASONS[901] == "не разрешил(а) сообщения от сообщества"
    assert reason_for(902) == UNREACHABLE_REASONS[902] == "сообщения запрещены настройками приватности"


def test_an_unexpected_error_is_one_russian_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A command that fails in an unforeseen way ends with one Russian line and exit 1, no traceback."""
    import bot.commands.trust as trust

    def broken(_args: argparse.Namespace) -> int:
        raise RuntimeError("internal detail")

    monkeypatch.delenv("SFERUM_LOGGING__LEVEL", raising=False)
    monkeypatch.setattr(trust, "_status", broken)
    assert main(["status"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["Ошибка: непредвиденная ошибка (RuntimeError). Подробности покажет запуск с "
                   "переменной окружения SFERUM_LOGGING__LEVEL=DEBUG."]
