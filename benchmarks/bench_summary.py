"""A district's summary: 100 schools × 50 teachers × 52 weeks (260,000 per-person rows), beside the naive way.

Usage: python benchmarks/bench_summary.py [--schools 100] [--teachers 50] [--weeks 52] [--runs 5]

Printed figures (median of the runs, after one warm-up run):
- ours: `SummaryService.district()` — every school's latest week, the previous week and
  the 8-week trend aggregated in SQL (one grouped query over the (school, period) pairs),
  then the ranking; and `SummaryService.schools()` (what `sferum-bot summary --json` prints);
  target ≤ 300 ms;
- naive: per school, the imported periods, then `StatsRepo.person_stats` for each of the
  8 periods as models and the roster for roles, counted in Python loops row by row.
The database is built once in a temporary folder; building it is not timed.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.config import Settings, parse_settings  # noqa: E402
from bot.domain.models import Organization, Period, Role  # noqa: E402
from bot.services.summary import SummaryService  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.people import PeopleRepo  # noqa: E402
from storage.stats import StatsRepo  # noqa: E402
from storage.summary import SummaryRepo  # noqa: E402

LAST = Period.parse("2026-11-14..2026-11-20")
TARGET_MS = 300


class FixedClock:
    def now(self) -> dt.datetime:
        return dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)


def settings_for(schools: int, data_dir: Path) -> Settings:
    return parse_settings({"district": {"name": "Район"}, "schools": [
        {"id": f"s{n:03d}", "name": f"Школа № {n + 1}", "registration_deadline": "2026-12-01"}
        for n in range(schools)]}, data_dir)


async def build(db: Database, settings: Settings, teachers: int, weeks: int) -> int:
    """The district's roster and a year of weekly per-person tables; returns the rows stored."""
    rnd = random.Random(7)
    await PeopleRepo(db).sync_organizations(Organization(id=s.id, name=s.name) for s in settings.schools)
    ids: dict[str, list[int]] = {}
    async with db.transaction() as conn:
        for school in settings.schools:
            ids[school.id] = [(await PeopleRepo.add_in(
                conn, school.id, f"Учитель{t} Иван Петрович", Role.TEACHER,
                classes=[f"{t % 11 + 1}А"] if t < 20 else [])).id for t in range(teachers)]
    stored = 0
    period = LAST
    for _ in range(weeks):
        async with db.transaction() as conn:
            for school in settings.schools:
                import_id = await StatsRepo.create_import_in(
                    conn, org_id=school.id, kind="person", period=period, file_name="week.xlsx",
                    rows_read=teachers, rows_imported=teachers, problems=[], imported_by=None)
                rows = [(pid, school.id, import_id, {
                    "group_messages": rnd.randrange(0, 15), "calls": rnd.randrange(0, 3),
                    "group_chats_created": rnd.randrange(0, 2), "ejd_linked": rnd.random() < 0.6,
                    "registered": rnd.random() < 0.95}) for pid in ids[school.id]]
                await StatsRepo.put_person_values_in(conn, period, rows)
                stored += len(rows)
        period = period.previous()
    return stored


async def naive(db: Database, settings: Settings) -> dict[str, Any]:
    """Per school: the periods, then each period's rows as models, counted in Python loops."""
    stats, people = StatsRepo(db), PeopleRepo(db)
    t = settings.thresholds
    result: dict[str, Any] = {}
    for school in settings.schools:
        roles = {p.id: p.role for p in await people.in_org(school.id)}
        trend = []
        for period in (await stats.periods(school.id))[:8]:
            counts = {"teachers_total": 0, "teachers_3plus": 0, "teachers_10plus": 0, "teachers_1call": 0,
                      "teachers_created_chats": 0, "teachers_ejd": 0}
            for row in await stats.person_stats(school.id, period):
                if roles.get(row.person_id) is not Role.TEACHER:
                    continue
                counts["teachers_total"] += row.registered is not False
                counts["teachers_3plus"] += (row.group_messages or 0) >= t.messages
                counts["teachers_10plus"] += (row.group_messages or 0) >= t.messages_target
                counts["teachers_1call"] += (row.calls or 0) >= t.calls
                counts["teachers_created_chats"] += (row.group_chats_created or 0) > 0
                counts["teachers_ejd"] += bool(row.ejd_linked)
            trend.append(counts)
        result[school.id] = trend
    return result


async def timed(fn: Callable[[], Awaitable[Any]], runs: int) -> tuple[float, float, Any]:
    """Best and median milliseconds of `runs` calls after a warm-up, and the last result."""
    result = await fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = await fn()
        times.append((time.perf_counter() - start) * 1000)
    return min(times), statistics.median(times), result


def cpu_probe() -> float:
    """Milliseconds for a fixed pure-Python loop: shows how busy the machine was (≈40 ms when idle)."""
    start = time.perf_counter()
    sum(range(3_000_000))
    return (time.perf_counter() - start) * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--teachers", type=int, default=50)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings_for(args.schools, Path(tmp))
        db = await Database.open(Path(tmp) / "bench.sqlite3")
        try:
            started = time.perf_counter()
            rows = await build(db, settings, args.teachers, args.weeks)
            print(f"база: {args.schools} школ × {args.teachers} учителей × {args.weeks} недель = {rows:,} строк "
                  f"(построена за {time.perf_counter() - started:.1f} с)".replace(",", " "))
            service = SummaryService(SummaryRepo(db), settings, clock=FixedClock())
            probe = cpu_probe()
            ours_best, ours_ms, district = await timed(service.district, args.runs)
            json_best, json_ms, schools = await timed(service.schools, args.runs)
            naive_best, naive_ms, counted = await timed(lambda: naive(db, settings), max(1, args.runs // 2))
        finally:
            await db.close()
    # Both ways must agree, or the comparison means nothing.
    first = settings.schools[0].id
    ours = schools[0].indicator("teachers_3plus").count
    theirs = counted[first][0]["teachers_3plus"]
    assert ours == theirs, (ours, theirs)
    print(f"загрузка машины: контрольный цикл {probe:.0f} мс (≈40 мс на свободной машине)")
    print("                                        лучшее   медиана")
    print(f"сводка по району (ours, SQL-агрегаты):  {ours_best:6.0f} мс {ours_ms:6.0f} мс  "
          f"{'✓' if ours_ms <= TARGET_MS else '✗'} цель ≤ {TARGET_MS} мс; школ: {len(district.schools)}")
    print(f"summary --json по всем школам (ours):   {json_best:6.0f} мс {json_ms:6.0f} мс")
    print(f"naive (строки моделями, циклы Python):  {naive_best:6.0f} мс {naive_ms:6.0f} мс  "
          f"(в {naive_ms / ours_ms:.0f} раз медленнее)")

if __name__ == "__main__":
    asyncio.run(main())
