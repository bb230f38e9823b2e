"""A region's summary: 1,000 schools × 60 staff × 52 weeks (3.1 million per-person rows), beside the naive way.

Usage: python benchmarks/bench_region_summary.py [--schools 1000] [--teachers 60] [--weeks 52] [--runs 20]
       [--url postgresql://user@host:port/db]

Printed figures (median and best of `--runs` warm calls, after one warm-up call):
- ours: `SummaryService.region()` — every school's latest week and the week before aggregated
  in SQL (one grouped range scan over the (school, period) index for all schools), then the
  ranking and the schools that slipped; also `region("Район 1")`, one district of 100 schools;
  target ≤ 300 ms for the whole region;
- naive: per school, its imported periods, then `StatsRepo.person_stats` for both weeks as
  models and the roster for roles, counted in Python loops row by row.
With `--url` (a PostgreSQL server, e.g. the one `.ci/postgres.sh start DIR` prints) the same figures are
measured on PostgreSQL too, in a throwaway database created on that server and dropped afterwards.
Each database is built once; building it is not timed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_summary import FixedClock, build, cpu_probe  # noqa: E402

from bot.config import Settings, parse_settings  # noqa: E402
from bot.domain.models import Role  # noqa: E402
from bot.domain.russian import count  # noqa: E402
from bot.services.summary import SummaryService  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.people import PeopleRepo  # noqa: E402
from storage.stats import StatsRepo  # noqa: E402
from storage.summary import SummaryRepo  # noqa: E402

TARGET_MS = 300
DISTRICTS = 10


def settings_for(schools: int, data_dir: Path) -> Settings:
    """`schools` schools spread over ten districts."""
    return parse_settings({"district": {"name": "Область"}, "schools": [
        {"id": f"s{n:04d}", "name": f"Школа № {n + 1}", "district": f"Район {n % DISTRICTS + 1}"}
        for n in range(schools)]}, data_dir)


async def naive(db: Database, settings: Settings) -> dict[str, float | None]:
    """Per school: the periods, then both weeks' rows as models, counted in Python loops."""
    stats, people = StatsRepo(db), PeopleRepo(db)
    t = settings.thresholds
    shares: dict[str, float | None] = {}
    for school in settings.schools:
        roles = {p.id: p.role for p in await people.in_org(school.id)}
        found: list[float | None] = []
        for period in (await stats.periods(school.id))[:2]:
            total = active = 0
            for row in await stats.person_stats(school.id, period):
                if roles.get(row.person_id) is not Role.TEACHER:
                    continue
                total += row.registered is not False
                active += (row.group_messages or 0) >= t.messages
            found.append(min(1.0, active / total) if total else None)
        shares[school.id] = found[0] if found else None
    return shares


async def timed(fn: Callable[[], Awaitable[Any]], runs: int) -> tuple[float, float, Any]:
    """Best and median milliseconds of `runs` calls after a warm-up, and the last result."""
    result = await fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = await fn()
        times.append((time.perf_counter() - start) * 1000)
    return min(times), statistics.median(times), result


async def measure(db: Any, settings: Settings, args: argparse.Namespace, label: str) -> None:
    """Build the region in `db`, then time ours and the naive way on it and print the figures."""
    started = time.perf_counter()
    rows = await build(db, settings, args.teachers, args.weeks)
    print(f"база ({label}): {count(args.schools, 'школа')} × {count(args.teachers, 'сотрудник')} × "
          f"{count(args.weeks, 'неделя')} = "
          f"{rows:,} строк (построена за {time.perf_counter() - started:.0f} с)".replace(",", " "))
    service = SummaryService(SummaryRepo(db), settings, clock=FixedClock())
    probe = cpu_probe()
    ours_best, ours_ms, region = await timed(service.region, args.runs)
    one_best, one_ms, district = await timed(lambda: service.region("Район 1"), args.runs)
    naive_best, naive_ms, shares = await timed(lambda: naive(db, settings), max(1, args.runs // 10))
    # Both ways must agree, or the comparison means nothing.
    for school in region.schools[:50]:
        assert abs((school.share or 0) - (shares[school.org_id] or 0)) < 1e-9, school.org_id
    print(f"загрузка машины: контрольный цикл {probe:.0f} мс (≈40 мс на свободной машине)")
    print(f"{label}:                                  лучшее   медиана")
    print(f"сводка по региону (ours, SQL-агрегаты):   {ours_best:6.0f} мс {ours_ms:6.0f} мс  "
          f"{'✓' if ours_ms <= TARGET_MS else '✗'} цель ≤ {TARGET_MS} мс; школ: {len(region.schools)}, "
          f"просели: {len(region.slipped)}")
    print(f"сводка по одному району (ours):           {one_best:6.0f} мс {one_ms:6.0f} мс  "
          f"школ: {len(district.schools)}")
    print(f"naive (строки моделями, циклы Python):    {naive_best:6.0f} мс {naive_ms:6.0f} мс  "
          f"(в {naive_ms / ours_ms:.0f} раз медленнее)")


async def on_postgres(url: str, settings: Settings, args: argparse.Namespace) -> None:
    """The same figures in a throwaway database on the PostgreSQL server at `url`."""
    import os
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    from storage.pg import PgDatabase

    name = f"sferum_bench_region_{os.getpid()}"
    admin = await psycopg.AsyncConnection.connect(url, autocommit=True)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        parts = urlsplit(url)
        db = await PgDatabase.open(urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, "")))
        try:
            await measure(db, settings, args, "PostgreSQL")
        finally:
            await db.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--teachers", type=int, default=60)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--url", default="", help="a PostgreSQL server: measure there too (a throwaway database)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings_for(args.schools, Path(tmp))
        db = await Database.open(Path(tmp) / "bench.sqlite3")
        try:
            await measure(db, settings, args, "SQLite")
        finally:
            await db.close()
        if args.url:
            await on_postgres(args.url, settings, args)
        else:
            print("PostgreSQL: не измерено (укажите --url сервера PostgreSQL).")


if __name__ == "__main__":
    asyncio.run(main())
