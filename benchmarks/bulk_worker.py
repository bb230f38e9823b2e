"""A bulk send in its own process, for the SIGKILL crash test and the benchmark.

    python benchmarks/bulk_worker.py --api-url URL --token T --db PATH --n 500 [--first-id 1]
                                     [--mode send|resume]

`send` stores and sends n personalized messages to users first-id … first-id+n-1
(the same messages every run); `resume` only delivers what the outbox holds pending.
Prints one JSON line with the outcome.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import parse_settings  # noqa: E402
from bot.ports import OutMessage  # noqa: E402
from bot.vk.api import make_api  # noqa: E402
from bot.vk.outbound import VkOutbound  # noqa: E402
from bot.vk.rules import idem_key  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.outbox import OutboxRepo  # noqa: E402


def messages(first_id: int, n: int, period: str = "2026-11-14") -> list[OutMessage]:
    """The personalized reminders the worker sends (identical on every run)."""
    return [
        OutMessage(peer_id=vk_id, org_id="school1", kind="reminder",
                   text=f"Коллега №{vk_id}, на этой неделе в чатах меньше трёх сообщений. "
                        "Напишите, пожалуйста, в рабочий чат класса в Сферуме.",
                   idem_key=idem_key("school1", "reminder", period, vk_id))
        for vk_id in range(first_id, first_id + n)
    ]


async def main(args: argparse.Namespace) -> int:
    settings = parse_settings({"vk": {"api_url": args.api_url, "token": args.token, "rps": args.rps},
                               "schools": [{"id": "school1"}]}, Path.cwd())
    db = await Database.open(args.db)
    api = make_api(settings)
    try:
        outbound = VkOutbound(api, OutboxRepo(db), settings)
        started = time.perf_counter()
        if args.mode == "resume":
            count = await outbound.resume()
            ok = count
        else:
            deliveries = await outbound.send_bulk(messages(args.first_id, args.n))
            count, ok = len(deliveries), sum(d.ok for d in deliveries)
        elapsed = time.perf_counter() - started
        print(json.dumps({"mode": args.mode, "messages": count, "ok": ok,
                          "seconds": round(elapsed, 3)}), flush=True)
    finally:
        await api.http_client.close()
        await db.close()
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--token", default="t")
    parser.add_argument("--db", required=True)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--first-id", type=int, default=1)
    parser.add_argument("--rps", type=int, default=20)
    parser.add_argument("--mode", choices=("send", "resume"), default="send")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
