"""`python -m vk_emulator` and the `add_arguments` / `run` pair the project's CLI uses."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import urllib.request
from pathlib import Path

import pytest

from vk_emulator.cli import add_arguments, run

REPO = Path(__file__).resolve().parents[2]


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_arguments_and_defaults() -> None:
    args = parse("--port", "0", "--token", "t", "--group-id", "5", "--rps", "off", "--no-strict")
    assert (args.host, args.port, args.token, args.group_id) == ("127.0.0.1", 0, "t", 5)
    assert args.rps is None and args.strict is False and args.seed is None
    assert parse().rps == 20


def test_seed_needs_resolved_users(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(parse("--seed", "demo")) == 2
    assert "--seed" in capsys.readouterr().err


async def test_module_serves_until_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "vk_emulator",
        "--port",
        "0",
        "--token",
        "tok",
        "--group-id",
        "3",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode().strip()
        assert line.startswith("emulator listening on http://127.0.0.1:")
        base = line.rsplit(" ", 1)[1]

        def get(url: str) -> dict[str, object]:
            with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
                body: dict[str, object] = json.loads(response.read())
                return body

        body = await asyncio.to_thread(
            get, f"{base}/method/groups.getById?access_token=tok&v=5.199"
        )
        assert body["response"]["groups"][0]["id"] == 3  # type: ignore[index]
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 30)
    assert code == 0
