"""A reminder run in its own process, for the SIGKILL benchmark.

    python benchmarks/remind_worker.py --api-url URL --token T --db PATH --n 10000 [--first-id 1]
                                       [--mode seed|run] [--deputy ID] [--kill-at POINT]

`seed` writes a school of n teachers (VK ids first-id … first-id+n-1), each under the
message threshold in the period 14.11–20.11.2026; `run` plans and sends the reminders
through the outbox exactly as the scheduler does, after delivering what the outbox holds
(as the bot does at start). `--kill-at staging|report` SIGKILLs the process itself once
every reminder is delivered: while the deputy's report is being stored (`staging`, before
the commit) or just before it is sent (`report`, after the commit), for the crash tests.
Prints one JSON line with timings.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.composition import reminder_stores  # noqa: E402
from bot.config import Settings, parse_settings  # noqa: E402
from bot.domain.models import Organization, Period, Role  # noqa: E402
from bot.ports import Delivery, OutMessage  # noqa: E402
from bot.services.reminders import REPORT_KIND, Planned, ReminderService  # noqa: E402
from bot.vk.api import make_api  # noqa: E402
from bot.vk.outbound import VkOutbound  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.outbox import OutboxRepo  # noqa: E402
from storage.people import PeopleRepo  # noqa: E402
from storage.stats import StatsRepo  # noqa: E402

PERIOD = Period(start=dt.date(2026, 11, 14), end=dt.date(2026, 11, 20))
NOW = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)  # Monday 10:00 in Moscow
DEPUTY = 9


def settings_for(api_url: str, token: str, deputy: int = DEPUTY) -> Settings:
    return parse_settings({"vk": {"api_url": api_url, "token": token, "rps": 20},
                           "schools": [{"id": "school1", "deputy_vk_ids": [deputy]}]}, Path.cwd())


async def seed(db: Database, first_id: int, n: int) -> None:
    """n teachers bound to VK, each with 1 message in the period (one transaction)."""
    await PeopleRepo(db).sync_organizations([Organization(id="school1", name="Школа")])
    async with db.transaction() as conn:
        ids = [(await PeopleRepo.add_in(conn, "school1", f"Учитель{i} Анна Петровна", Role.TEACHER, vk_id=i)).id
               for i in range(first_id, first_id + n)]
        import_id = await StatsRepo.create_import_in(conn, org_id="school1", kind="person", period=PERIOD,
                                                     file_name="bench.xlsx", rows_read=n, rows_imported=n,
                                                     problems=[], imported_by=None)
        await StatsRepo.put_person_values_in(conn, PERIOD, [(pid, "school1", import_id, {"group_messages": 1})
                                                             for pid in ids])


class TimedReminders(ReminderService):
    """The reminder service that times its planning."""

    planned = 0
    plan_seconds = 0.0

    async def plan(self, org_id: str, *, now: dt.datetime | None = None) -> list[Planned]:
        started = time.perf_counter()
        found = await super().plan(org_id, now=now)
        self.plan_seconds += time.perf_counter() - started
        self.planned = len(found)
        return found


class KillingOutbound(VkOutbound):
    """The real sender that dies with SIGKILL at one point of the deputy's report."""

    kill_at: str | None = None

    async def enqueue_in(self, conn: Any, messages: Sequence[OutMessage]) -> None:
        await super().enqueue_in(conn, messages)
        if self.kill_at == "staging":
            os.kill(os.getpid(), signal.SIGKILL)

    async def send_bulk(self, messages: Sequence[OutMessage], **kwargs: Any) -> list[Delivery]:
        if self.kill_at == "report" and any(m.kind == REPORT_KIND for m in messages):
            os.kill(os.getpid(), signal.SIGKILL)
        return await super().send_bulk(messages, **kwargs)


async def main(args: argparse.Namespace) -> int:
    settings = settings_for(args.api_url, args.token, args.deputy)
    db = await Database.open(args.db)
    api = make_api(settings)
    try:
        started = time.perf_counter()
        if args.mode == "seed":
            await seed(db, args.first_id, args.n)
            print(json.dumps({"mode": "seed", "seconds": round(time.perf_counter() - started, 3)}), flush=True)
            return 0
        outbound = KillingOutbound(api, OutboxRepo(db), settings)
        outbound.kill_at = args.kill_at
        resumed = await outbound.resume()
        service = TimedReminders(reminder_stores(db, settings), settings, outbound)
        # One run as the scheduler makes it (it plans once; until issue 16 this script planned a
        # second time beforehand to time it, which the figure then counted twice).
        report = await service.run("school1", now=NOW)
        print(json.dumps({"mode": "run", "planned": service.planned, "plan_seconds": round(service.plan_seconds, 3),
                          "sent": report.sent, "resumed": resumed, "seconds": round(time.perf_counter() - started, 3)}), flush=True)
    finally:
        await api.http_client.close()
        await db.close()
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--token", default="t")
    parser.add_argument("--db", required=True)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--first-id", type=int, default=100_001)
    parser.add_argument("--mode", choices=("seed", "run"), default="run")
    parser.add_argument("--deputy", type=int, default=DEPUTY, help="VK id of the deputy who gets the report")
    parser.add_argument("--kill-at", choices=("staging", "report"), default=None,
                        help="SIGKILL this process at that point of the deputy's report")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
