"""`sferum-bot emulator --messenger max` and `python -m max_emulator`."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT


async def _serve_and_call(argv: list[str], cwd: Path) -> tuple[str, dict[str, object], int]:
    process = await asyncio.create_subprocess_exec(
        *argv, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode().strip()
        base = line.rsplit(" ", 1)[1]

        def get() -> dict[str, object]:
            request = urllib.request.Request(base + "/me", headers={"Authorization": "tok"})
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
                body: dict[str, object] = json.loads(response.read())
                return body

        body = await asyncio.to_thread(get)
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 30)
    return line, body, code


async def test_sferum_bot_emulator_messenger_max() -> None:
    """The project's CLI starts the MAX emulator, prints the ready line, serves, stops on SIGTERM."""
    argv = [
        sys.executable,
        "-m",
        "bot",
        "emulator",
        "--messenger",
        "max",
        "--port",
        "0",
        "--token",
        "tok",
        "--bot-id",
        "77",
        "--seed",
        "demo",
    ]
    line, body, code = await _serve_and_call(argv, ROOT)
    assert line.startswith("emulator listening on http://127.0.0.1:")
    assert body["user_id"] == 77 and code == 0


async def test_python_m_max_emulator() -> None:
    """`python -m max_emulator` serves the same way."""
    argv = [sys.executable, "-m", "max_emulator", "--port", "0", "--token", "tok"]
    line, body, code = await _serve_and_call(argv, ROOT)
    assert body["is_bot"] is True and code == 0


def test_messenger_defaults_to_vk() -> None:
    """Without --messenger the command line is the VK emulator's, unchanged."""
    import argparse

    from bot.commands import emulator

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    emulator.register(sub, argparse.ArgumentParser(add_help=False))
    args = parser.parse_args(["emulator", "--port", "0", "--group-id", "5"])
    assert args.messenger == "vk" and args.group_id == 5 and args.rps == 20


def test_seed_needs_resolved_people(capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m max_emulator --seed demo` cannot resolve the demo people itself: exit 2."""
    from max_emulator.__main__ import main

    assert main(["--seed", "demo"]) == 2
    assert "--seed" in capsys.readouterr().err


async def test_busy_port_is_a_russian_error() -> None:
    """A port already taken ends with exit 1 and a Russian message on stderr, no traceback."""
    from max_emulator import MaxEmulator

    async with MaxEmulator() as busy:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "max_emulator",
            "--port",
            str(busy.port),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    text = err.decode()
    assert "не удалось запустить эмулятор MAX" in text and "Traceback" not in text
