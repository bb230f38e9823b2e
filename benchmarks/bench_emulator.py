"""Throughput of the local VK emulator: simple API requests per second from a local aiohttp client.

Usage: python benchmarks/bench_emulator.py [--requests 20000] [--concurrency 64]
       [--method users.get] [--validate] [--in-process]

By default the emulator runs as a subprocess (`python -m vk_emulator`, rate limit off, schema validation
off) so that the client and the server each get a core, as with the bot against the emulator.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from vk_emulator import Emulator  # noqa: E402 - after the path tweak for direct runs

TOKEN = "bench"
USER = 1001


async def _fire(api_url: str, method: str, total: int, concurrency: int) -> tuple[float, int]:
    params = {
        "users.get": {"user_ids": str(USER)},
        "messages.isMessagesFromGroupAllowed": {"group_id": "1", "user_id": str(USER)},
        "groups.getById": {},
    }[method]
    form = {**params, "access_token": TOKEN, "v": "5.199"}
    url = api_url + method
    errors = 0
    remaining = total
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal remaining, errors
            while remaining > 0:
                remaining -= 1
                async with session.post(url, data=form) as response:
                    body = await response.json()
                    if "response" not in body:
                        errors += 1

        # Warm up the connections first.
        async with session.post(url, data=form) as response:
            await response.read()
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return total / elapsed, errors


def _start_subprocess(validate: bool) -> tuple[subprocess.Popen[str], str]:
    command = [
        sys.executable,
        "-m",
        "vk_emulator",
        "--port",
        "0",
        "--token",
        TOKEN,
        "--group-id",
        "1",
        "--rps",
        "off",
    ]
    if not validate:
        command.append("--no-validate")
    process = subprocess.Popen(
        command,
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("emulator listening on "):
        process.kill()
        raise SystemExit(f"emulator did not start: {line!r}")
    return process, line.rsplit(" ", 1)[1]


async def _seed(base_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        user = {"id": USER, "first_name": "Bench", "last_name": "User", "allows_messages": True}
        async with session.post(f"{base_url}/_emu/users", json=user) as response:
            response.raise_for_status()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--method",
        default="users.get",
        choices=["users.get", "messages.isMessagesFromGroupAllowed", "groups.getById"],
    )
    parser.add_argument("--validate", action="store_true", help="keep schema validation on")
    parser.add_argument("--in-process", action="store_true", help="server in this event loop")
    args = parser.parse_args()

    process: subprocess.Popen[str] | None = None
    emulator: Emulator | None = None
    if args.in_process:
        emulator = Emulator(token=TOKEN, group_id=1, strict=True, validate=args.validate, rps=None)
        await emulator.start()
        base_url = emulator.base_url
    else:
        process, base_url = _start_subprocess(args.validate)
    try:
        await _seed(base_url)
        rate, errors = await _fire(
            f"{base_url}/method/", args.method, args.requests, args.concurrency
        )
    finally:
        if emulator is not None:
            await emulator.stop()
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
    where = "in-process" if args.in_process else "subprocess"
    validation = "on" if args.validate else "off"
    print(
        f"{args.method}: {rate:,.0f} requests/s ({args.requests} requests, concurrency "
        f"{args.concurrency}, emulator {where}, schema validation {validation}, errors {errors})"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
