"""Who can the bot reach: isMessagesFromGroupAllowed for a whole staff, batched beside the naive loop.

Usage: python benchmarks/bench_reach.py [--n 500] [--naive 100]

The in-process emulator keeps VK's 20 requests/s per token. Printed figures:
- the naive loop: one messages.isMessagesFromGroupAllowed request per person (`--naive` people),
  through the same rate-limited API, in people/s;
- ReachabilityService.refresh on `--n` bound people: 25 checks per `execute`, in people/s and
  requests made.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.config import parse_settings  # noqa: E402
from bot.domain.models import Organization, Role  # noqa: E402
from bot.ports import Community  # noqa: E402
from bot.services.reachability import ReachabilityService  # noqa: E402
from bot.vk.api import make_api  # noqa: E402
from bot.vk.reach import VkReach  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.people import PeopleRepo  # noqa: E402
from storage.reach import ReachRepo  # noqa: E402
from vk_emulator import Emulator  # noqa: E402
from vk_emulator.client import EmulatorControl  # noqa: E402

FIRST_ID = 500_000


async def main(n: int, naive: int) -> None:
    emulator = Emulator(token="t", group_id=1)
    await emulator.start()
    tmp = Path(tempfile.mkdtemp())
    settings = parse_settings({"vk": {"token": "t", "group_id": 1, "api_url": emulator.api_url},
                               "schools": [{"id": "school1"}]}, tmp)
    api = make_api(settings)
    db = await Database.open(tmp / "bench.sqlite3")
    try:
        async with EmulatorControl(emulator.base_url) as control:
            people = PeopleRepo(db)
            await people.sync_organizations([Organization(id="school1", name="Школа")])
            for i in range(n):
                await control.add_user(FIRST_ID + i, "Имя", f"Фамилия{i}", allows_messages=i % 3 != 0)
                await people.add("school1", f"Фамилия{i} Имя", Role.TEACHER, vk_id=FIRST_ID + i)

            started = time.perf_counter()
            for i in range(naive):
                await api.request("messages.isMessagesFromGroupAllowed", {"group_id": 1, "user_id": FIRST_ID + i})
            naive_s = time.perf_counter() - started
            print(f"naive loop:  {naive} people in {naive_s:.2f} s = {naive / naive_s:.0f} people/s, "
                  f"{naive} requests")

            async def call(method: str, params: dict[str, Any]) -> Any:
                return (await api.request(method, params))["response"]

            service = ReachabilityService(ReachRepo(db), probe=VkReach(call, Community(1)))
            before = (await control.stats())["requests"].get("execute", 0)
            started = time.perf_counter()
            result = await service.refresh("school1")
            batched_s = time.perf_counter() - started
            requests = (await control.stats())["requests"].get("execute", 0) - before
            print(f"refresh:     {result.checked} people in {batched_s:.2f} s = {result.checked / batched_s:.0f} "
                  f"people/s, {requests} requests (unreachable found: {result.refused})")
    finally:
        await db.close()
        await api.http_client.close()
        await emulator.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--naive", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(main(args.n, args.naive))
