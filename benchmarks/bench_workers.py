"""Several workers on PostgreSQL against two VK communities at their real limits, beside one process each.

Usage: python benchmarks/bench_workers.py [--pg-url URL] [--n 10000] [--workers 2]

Two VK emulators (processes of their own) on 127.0.0.1 stand for two communities, each enforcing 20 requests/s per token (25
messages per execute: at most 500 messages/s per community, 1,000 in total). This branch runs one
community per deployment (several communities in one process come with another change), so each
community is a deployment of its own: its config, its PostgreSQL database, its workers. A wave of `--n`
reminders per community is stored in the outbox as the scheduler stores one; the workers' sweeps send it.
Rounds, in one run:
- naive: one `sferum-bot run` per community;
- workers: `--workers` real worker processes per community sharing its outbox and its token's budget;
- sigkill: the same, and one worker of the first community is SIGKILLed after a fifth of its wave
  (its claimed rows come back after the lease, 5 s here, 60 s by default).
Printed per round: messages/s in total (first store to last row sent), VK's error 6 count, duplicates
and messages lost (each teacher must get exactly one). PostgreSQL comes from --pg-url or
SFERUM_TEST_PG_URL; the databases are created and dropped by the benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks import workers_run as run  # noqa: E402
from benchmarks.bench_bulk_send import _start_emulator  # noqa: E402 - the same emulator process
from vk_emulator import EmulatorControl  # noqa: E402

COMMUNITIES = (("bench-a", 501), ("bench-b", 502))
ENV = {"SFERUM_ROLE_RETRY_S": "1", "SFERUM_OUTBOX_LEASE_S": "5"}


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _database(url: str, name: str, *, drop_only: bool = False) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    return _with_db(url, name)




async def _seed(control: EmulatorControl, ids: list[int]) -> None:
    for start in range(0, len(ids), 200):
        await asyncio.gather(*(control.add_user(i, "Имя", f"Учитель{i}", allows_messages=True)
                               for i in ids[start:start + 200]))


async def _round(label: str, pg_url: str, folder: Path, n: int, per_community: int, kill: bool) -> dict[str, float]:
    emulators = [_start_emulator(False, token, group_id) for token, group_id in COMMUNITIES]
    urls: list[str] = []
    workers: list[list[run.Worker]] = []
    waves: list[list[int]] = []
    try:
        for index, ((token, group_id), (_, base)) in enumerate(zip(COMMUNITIES, emulators, strict=True)):
            url = _database(pg_url, f"bench_workers_{label}_{index}")
            urls.append(url)
            await run.migrate(url)
            ids = list(range(100_000 * (index + 1), 100_000 * (index + 1) + n))
            async with EmulatorControl(base) as control:
                await _seed(control, ids)
            waves.append(ids)
            config = run.write_config(folder / f"{label}-{index}", f"{base}/method/", url, token, group_id)
            workers.append([await run.start_worker(config, f"w{k}.log", env=ENV) for k in range(per_community)])

        async def all_running() -> bool:
            counts = []
            for url in urls:
                with psycopg.connect(url) as conn:
                    row = conn.execute("SELECT count(*) FROM workers").fetchone()
                    counts.append(int(row[0]) if row else 0)
            return counts == [per_community] * len(urls)

        await run.wait_for(all_running, 120, "every worker registered")
        await asyncio.sleep(3)  # the rate shares settle (each joining worker holds back 2 s)
        started = time.perf_counter()
        for url, ids in zip(urls, waves, strict=True):
            await run.store_wave(url, ids)
        killed = False
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            left = [(await run.outbox_counts(url)).get("pending", 0) for url in urls]
            if kill and not killed and left[0] <= n * 4 // 5:
                await workers[0][0].kill()
                killed = True
            if sum(left) == 0:
                break
            await asyncio.sleep(0.1)
        elapsed = time.perf_counter() - started
        duplicates = lost = errors6 = 0
        by_community = []
        for (_, base), ids in zip(emulators, waves, strict=True):
            async with EmulatorControl(base) as control:
                items = (await control.sent(None))["items"]
                limited = int((await control.stats())["rate_limited"])
            got = Counter(item["peer_id"] for item in items)
            duplicates += sum(1 for i in ids if got[i] > 1)
            lost += sum(1 for i in ids if got[i] == 0)
            errors6 += limited
            by_community.append(limited)
        if errors6:
            print(f"  error 6 by community: {by_community}", flush=True)
        return {"messages": float(n * len(urls)), "seconds": elapsed, "per_s": n * len(urls) / elapsed,
                "error6": float(errors6), "duplicates": float(duplicates), "lost": float(lost)}
    finally:
        for group in workers:
            for worker in group:
                await worker.stop()
        for proc, _ in emulators:
            proc.terminate()
            proc.wait(timeout=30)
        for url in urls:
            _database(pg_url, urlsplit(url).path.lstrip("/"), drop_only=True)


async def main(args: argparse.Namespace) -> int:
    pg_url = args.pg_url or os.environ.get("SFERUM_TEST_PG_URL", "")
    if not pg_url:
        print("нужен PostgreSQL: --pg-url или SFERUM_TEST_PG_URL", file=sys.stderr)
        return 2
    rounds = [("naive", 1, False), ("workers", args.workers, False), ("sigkill", args.workers, True)]
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
        for label, count, kill in rounds:
            result = await _round(label, pg_url, Path(tmp), args.n, count, kill)
            print(f"{label:8} {count} worker(s) per community × {len(COMMUNITIES)} communities: "
                  f"{int(result['messages'])} messages in {result['seconds']:.1f} s = {result['per_s']:.0f}/s; "
                  f"error 6: {int(result['error6'])}, duplicates: {int(result['duplicates'])}, "
                  f"lost: {int(result['lost'])}", flush=True)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default="")
    parser.add_argument("--n", type=int, default=10000, help="reminders per community")
    parser.add_argument("--workers", type=int, default=2, help="workers per community")
    sys.exit(asyncio.run(main(parser.parse_args())))
