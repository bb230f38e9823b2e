"""The whole bot in its own process (long poll, handlers, outbox), plus a bulk send, for
`bench_faults_under_load.py`: it is SIGKILLed mid-way and started again.

    python benchmarks/bot_worker.py --api-url URL --token T --data-dir DIR --n 10000
                                    [--first-id 1] [--teachers 3001,3002] [--mode send|resume]

`send` puts the teachers on the school's roster, then polls VK and sends n personalized
reminders (the same messages every run); `resume` only polls, and the app delivers what the
outbox holds pending when it starts. Runs until SIGTERM; prints one JSON line at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bulk_worker import messages  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.config import parse_settings  # noqa: E402
from bot.domain.models import Role  # noqa: E402
from bot.vk.runtime import Backoff  # noqa: E402


async def main(args: argparse.Namespace) -> int:
    settings = parse_settings(
        {"vk": {"api_url": args.api_url, "token": args.token, "group_id": 1, "rps": args.rps, "wait": 5},
         "storage": {"data_dir": str(args.data_dir)},
         "schools": [{"id": "school1", "name": "МБОУ СОШ № 1", "deputy_vk_ids": [1002]}]},
        Path.cwd())
    app = await build_app(settings, backoff=Backoff(base=0.1, cap=2.0))
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, app.stop)
    started = time.perf_counter()
    ok = 0
    bulk: asyncio.Task[None] | None = None
    if args.mode == "send":
        for vk_id in args.teachers:
            await app.deps.people.add("school1", f"Учитель{vk_id} Анна Петровна", Role.TEACHER, vk_id=vk_id)

        async def send() -> None:
            nonlocal ok
            deliveries = await app.outbound.send_bulk(messages(args.first_id, args.n))
            ok = sum(d.ok for d in deliveries)

        bulk = asyncio.create_task(send())
    try:
        await app.run()
    finally:
        if bulk is not None:
            bulk.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await bulk
        await app.close()
    print(json.dumps({"mode": args.mode, "ok": ok, "seconds": round(time.perf_counter() - started, 3)}),
          flush=True)
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--token", default="t")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--first-id", type=int, default=1)
    parser.add_argument("--rps", type=int, default=20)
    parser.add_argument("--teachers", type=lambda s: [int(x) for x in s.split(",") if x], default=[])
    parser.add_argument("--mode", choices=("send", "resume"), default="send")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
