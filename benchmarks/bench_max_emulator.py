"""Throughput of the local MAX emulator: `POST /messages` per second from a local aiohttp client.

Usage: python benchmarks/bench_max_emulator.py [--requests 3000] [--concurrency 32]

The emulator runs in this process with its rate limits off; each run sends personalised messages
to distinct people who pressed Start. Printed: the naive way (one request after another) beside
concurrent requests, each with the schema checks of every request and answer on and off.
MAX itself allows 30 requests a second, so anything far above that leaves the emulator out of the
bot's own figures.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from max_emulator import MaxEmulator  # noqa: E402 - after the path tweak for direct runs

TOKEN = "bench"


async def _run(total: int, concurrency: int, validate: bool) -> tuple[float, int]:
    emulator = MaxEmulator(token=TOKEN, validate=validate, rps=None)
    emulator.state.limits.per_chat_rps = None
    emulator.seed_users(
        [
            {"user_id": 10_000 + i, "first_name": f"Учитель {i}", "started": True}
            for i in range(total)
        ]
    )
    await emulator.start()
    errors = 0
    queue = list(range(total))
    try:
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            url = emulator.base_url + "/messages"
            headers = {"Authorization": TOKEN}

            async def worker() -> None:
                nonlocal errors
                while queue:
                    index = queue.pop()
                    body = {"text": f"Учитель {index}, напоминаем про отчёт за неделю."}
                    async with session.post(
                        url, params={"user_id": str(10_000 + index)}, json=body, headers=headers
                    ) as response:
                        await response.read()
                        errors += response.status != 200

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            elapsed = time.perf_counter() - started
    finally:
        await emulator.stop()
    return total / elapsed, errors


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    print(f"{args.requests} POST /messages to {args.requests} people")
    for validate in (True, False):
        checks = "schema checks on " if validate else "schema checks off"
        naive, naive_errors = await _run(args.requests, 1, validate)
        fast, fast_errors = await _run(args.requests, args.concurrency, validate)
        print(
            f"  {checks}: one at a time {naive:7.0f}/s (errors {naive_errors});"
            f" {args.concurrency} at once {fast:7.0f}/s (errors {fast_errors})"
        )


if __name__ == "__main__":
    asyncio.run(main())
