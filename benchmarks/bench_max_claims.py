"""What keeping MAX outbox rows safe between workers costs, beside the bare claim, on PostgreSQL.

Usage: python benchmarks/bench_max_claims.py [--url postgresql://user@host:port/db] [--people 60000] [--page 122]
       [--runs 20]

A regional MAX wave is stored (`--people` rows, one per person, plus a text and a file for every 20th person,
as a summary with its table), then, `--runs` times each (median and best printed, in ms):
- claim: `OutboxClaims.claim` of one page, as before (the naive way: no check of who holds the chat);
- claim + chats: the claim and `OutboxClaims.held_elsewhere` over the page's chats (ours, one worker per chat);
  the two are taken in turns, run by run;
- renew: one heartbeat, `OutboxClaims.renew` of a whole page (every third of the lease while it is sent);
- lock check: `AdvisoryLock.still_held`, what a poller asks before it stores a fetched batch.
The page is what one of seven workers sends in half a 60 s lease at MAX's 30 requests/s (122 rows); at that rate
a page takes about 30 s to send, which the per-page costs are set against. The database is created on the server
of `--url` (or SFERUM_TEST_PG_URL) and dropped afterwards; storing the wave is not timed.

Figures (defaults, 2 cores shared with other sessions, load average 6.4 at the start and 6.8 at the end; noisy):
claim 87 ms median (best 48), claim + chats 97 ms (best 80), renew 1.6 ms, lock check 0.06 ms: about 11 ms more
per page, 0.04 % of the 30 s the page takes to send.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from storage.claims import OutboxClaims  # noqa: E402
from storage.leases import AdvisoryLock  # noqa: E402
from storage.outbox import NewOutboxMessage, OutboxRepo  # noqa: E402
from storage.pg import PgDatabase  # noqa: E402

STATUSES = ("pending", "sending")
BOTS = ("main",)  # the default MAX bot's rows, as its sender asks for them
RATE = 30 * 0.95 / 7  # one of seven workers' share of MAX's 30 requests/s


def wave(people: int) -> list[NewOutboxMessage]:
    """One reminder per person, and for every 20th person a summary text followed by its file."""
    rows = [NewOutboxMessage(idem_key=f"r:{p}", peer_id=p, messenger="max", message="Напоминание", kind="reminder")
            for p in range(1, people + 1)]
    for p in range(1, people + 1, 20):
        rows += [NewOutboxMessage(idem_key=f"s:{p}", peer_id=p, messenger="max", message="Сводка", kind="summary"),
                 NewOutboxMessage(idem_key=f"s:{p}#file1", peer_id=p, messenger="max", message="", kind="summary",
                                  attachment='["{}"]')]
    return rows


async def timed(runs: int, step: Callable[[], Awaitable[Any]], after: Callable[[Any], Awaitable[Any]]) -> list[float]:
    """`runs` timings of `step` in ms; `after(result)` (untimed) puts the state back."""
    found = []
    for _ in range(runs):
        start = time.perf_counter()
        result = await step()
        found.append((time.perf_counter() - start) * 1000)
        await after(result)
    return found


def line(name: str, times: list[float]) -> str:
    return f"  {name:<14} медиана {statistics.median(times):7.2f} мс, лучшее {min(times):7.2f} мс"


async def measure(db: PgDatabase, url: str, args: argparse.Namespace) -> None:
    started = time.perf_counter()
    await OutboxRepo(db).enqueue(wave(args.people))
    print(f"Волна MAX: {args.people} человек, сохранена за {time.perf_counter() - started:.1f} с (не входит в замеры).")
    claims = OutboxClaims(db, "bench")

    async def release(rows: Any) -> None:
        await claims.release([r.id for r in (rows[0] if isinstance(rows, tuple) else rows)])

    async def claim() -> Any:
        return await claims.claim("max", limit=args.page, statuses=STATUSES, bots=BOTS)

    async def claim_and_chats() -> Any:
        rows = await claim()
        return rows, await claims.held_elsewhere("max", sorted({r.peer_id for r in rows}), rows[-1].id, STATUSES,
                                                 BOTS)

    async def nothing(_: Any) -> None:
        return None

    # Warm both paths once, then take them in turns (each run: the bare claim, then ours), so that the
    # server's state and other sessions' load fall on both alike.
    await release(await claim_and_chats())
    bare: list[float] = []
    ours: list[float] = []
    for _ in range(args.runs):
        bare += await timed(1, claim, release)
        ours += await timed(1, claim_and_chats, release)
    page = await claim()
    renew = await timed(args.runs, lambda: claims.renew([r.id for r in page]), nothing)
    await release(page)
    lock = AdvisoryLock(url, "bench:role")
    try:
        assert await lock.try_acquire()
        check = await timed(args.runs, lock.still_held, nothing)
    finally:
        await lock.release()
    print(f"Страница: {args.page} строк, отправляется за ~{args.page / RATE:.0f} с (доля одного из семи процессов).")
    print(line("захват", bare))
    print(line("захват + чаты", ours))
    print(line("продление", renew))
    print(line("проверка роли", check))
    extra = max(0.0, statistics.median(ours) - statistics.median(bare))
    beats = max(1, round(args.page / RATE / 20))  # a beat every 20 s of a 60 s lease
    per_page = extra + beats * statistics.median(renew)
    print(f"Добавлено на страницу (проверка чатов и {beats} продления): {per_page:.1f} мс — "
          f"{per_page / (args.page / RATE * 1000) * 100:.3f} % времени её отправки.")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("SFERUM_TEST_PG_URL", ""), help="a PostgreSQL server")
    parser.add_argument("--people", type=int, default=60000)
    parser.add_argument("--page", type=int, default=122)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    if not args.url:
        print("Нужен сервер PostgreSQL: укажите --url или SFERUM_TEST_PG_URL.", file=sys.stderr)
        raise SystemExit(2)
    import psycopg

    name = f"sferum_bench_claims_{os.getpid()}"
    parts = urlsplit(args.url)
    admin = await psycopg.AsyncConnection.connect(args.url, autocommit=True)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))
        db = await PgDatabase.open(url)
        try:
            await measure(db, url, args)
        finally:
            await db.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
