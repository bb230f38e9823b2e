"""Junk files against the bot: an 11 MB, 199,000-row CSV that matches no one, and a 10,000-column roster.

Usage: python benchmarks/bench_junk_import.py [--rows 199000]

Each way runs in its own subprocess on its own copy of the same database (a school with a
roster of 300 people), so that peak memory is measured for that way alone:
- ours: the file is read in the worker process (`ProcessParser`), the bot process only matches;
- old: the file is read in a thread of the bot process itself (`ThreadParser`, the old way).
Printed for each file: how it ended (refused or imported) and in how many seconds; the bot
process's peak RSS (VmHWM) and the worker's; how much the database grew; and the p95 and
maximum latency of «other people's replies» meanwhile: a task that every 20 ms reads a
person's row from the same database (as a reply to «мой статус» does) and times it.
Targets for ours: bot ≤ 300 MB, worker ≤ 400 MB, the wide roster refused within 2 s,
replies p95 ≤ 1 s. `w.start` is the worker's start, paid once when the bot starts (not per file).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.config import parse_settings  # noqa: E402
from bot.domain.models import Period, Role  # noqa: E402
from bot.imports.reader import ImportRefused  # noqa: E402
from bot.imports.worker import ProcessParser, ThreadParser, shutdown_worker, warm_worker  # noqa: E402
from bot.services.imports import ImportService, Mode  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.imports import ImportsSql  # noqa: E402
from storage.roster import RosterEntry, RosterRepo  # noqa: E402

PERIOD = Period.parse("2026-11-14..2026-11-20")
LETTERS = "абвгдежзиклмнопрстуфхцчшэюя"


def junk_name(rng: random.Random) -> str:
    return " ".join("".join(rng.choice(LETTERS) for _ in range(rng.randint(7, 10))).capitalize() for _ in range(3))


def make_junk_csv(path: Path, rows: int) -> None:
    """A per-person weekly table whose names match nobody (about 58 bytes a row: 11 MB for 199,000 rows)."""
    rng = random.Random(13)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("ФИО;Сообщений в групповых чатах;Звонков\n")
        for _ in range(rows):
            out.write(f"{junk_name(rng)};{rng.randint(0, 99)};{rng.randint(0, 9)}\n")


def make_wide_roster(path: Path, columns: int = 10_000, people: int = 50) -> None:
    """A roster of strangers with `columns` columns."""
    rng = random.Random(7)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(";".join(["ФИО", "Должность", *(f"Поле {n}" for n in range(columns - 2))]) + "\n")
        for _ in range(people):
            out.write(";".join([junk_name(rng), "учитель", *("x" * (columns - 2))]) + "\n")


async def prepare_db(path: Path) -> None:
    db = await Database.open(path)
    try:
        settings = parse_settings({"schools": [{"id": "school1", "name": "Школа"}]}, path.parent)
        await ImportService(ImportsSql(db), settings).prepare()
        rng = random.Random(1)
        entries = [RosterEntry(org_id="school1", full_name=junk_name(rng), role=Role.TEACHER) for _ in range(300)]
        async with db.transaction() as conn:
            await RosterRepo.apply_in(conn, ["school1"], entries)
    finally:
        await db.close()


def _hwm_mb(pid: int | str = "self") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children() -> list[int]:
    me = os.getpid()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == me:
                found.append(int(entry.name))
    return found


def _wait_warm() -> None:
    """Until the worker process has started and answered once."""
    from bot.imports import worker

    worker._POOL.get().submit(int).result()


async def _replies(db: Database, stop: asyncio.Event, latencies: list[float]) -> None:
    """«Other people's replies»: a small read every 20 ms, timed from asking to answering."""
    while not stop.is_set():
        asked = time.perf_counter()
        async with db.read() as conn, conn.execute("SELECT full_name FROM people WHERE id = ?", (5,)) as cur:
            await cur.fetchone()
        latencies.append(time.perf_counter() - asked)
        await asyncio.sleep(0.02)


async def run_way(way: str, db_path: Path, file_path: Path, kind: str) -> dict[str, object]:
    db = await Database.open(db_path)
    size_before = db_path.stat().st_size
    worker_peak = 0.0
    try:
        settings = parse_settings({"schools": [{"id": "school1", "name": "Школа"}]}, db_path.parent)
        parser = ProcessParser() if way == "ours" else ThreadParser()
        warm = 0.0
        if way == "ours":
            # `sferum-bot run` starts the worker at the bot's start (warm_worker); so does this.
            warm = time.perf_counter()
            warm_worker()
            await asyncio.get_running_loop().run_in_executor(None, _wait_warm)
            warm = time.perf_counter() - warm
        service = ImportService(ImportsSql(db), settings, parser=parser)
        data = file_path.read_bytes()
        latencies: list[float] = []
        stop = asyncio.Event()
        replies = asyncio.create_task(_replies(db, stop, latencies))
        await asyncio.sleep(0.1)
        started = time.perf_counter()
        try:
            outcome = await service.submit(data, file_path.name, kind=kind, mode=Mode.APPLY, period=PERIOD)
            result = outcome.result
            ended = f"imported {getattr(result, 'rows_imported', getattr(result, 'added', 0))}"
        except ImportRefused as refused:
            ended = "refused: " + str(refused)[:60]
        seconds = time.perf_counter() - started
        stop.set()
        await replies
        for pid in _children():
            worker_peak = max(worker_peak, _hwm_mb(pid))
    finally:
        await db.close()
        shutdown_worker()
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1] if latencies else 0.0
    return {"ended": ended, "seconds": seconds, "warm": warm, "bot_mb": _hwm_mb(), "worker_mb": worker_peak,
            "db_growth_mb": (db_path.stat().st_size - size_before) / 2**20, "p95": p95,
            "max": latencies[-1] if latencies else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=199_000)
    parser.add_argument("--child", choices=["ours", "old"])
    parser.add_argument("--db", type=Path)
    parser.add_argument("--file", type=Path)
    parser.add_argument("--kind")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(run_way(args.child, args.db, args.file, args.kind))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        junk, wide = folder / "junk.csv", folder / "wide_roster.csv"
        make_junk_csv(junk, args.rows)
        make_wide_roster(wide)
        asyncio.run(prepare_db(folder / "base.sqlite3"))
        print(f"junk: {args.rows} rows, {junk.stat().st_size / 2**20:.1f} MB; wide roster: 10000 columns × 50 "
              f"people, {wide.stat().st_size / 2**20:.1f} MB; roster of 300 people")
        print(f"{'file':<7}{'way':<6}{'seconds':>8}{'bot MB':>8}{'worker MB':>10}{'db +MB':>8}"
              f"{'reply p95':>10}{'max':>7}{'w.start':>8}  ended")
        for name, path, kind in (("junk", junk, "stats"), ("wide", wide, "roster")):
            for way in ("ours", "old"):
                db_path = folder / f"{name}-{way}.sqlite3"
                shutil.copy(folder / "base.sqlite3", db_path)
                proc = subprocess.run(
                    [sys.executable, __file__, "--child", way, "--db", str(db_path), "--file", str(path),
                     "--kind", kind], capture_output=True, text=True, check=True)
                r = json.loads(proc.stdout.strip().splitlines()[-1])
                print(f"{name:<7}{way:<6}{r['seconds']:>8.2f}{r['bot_mb']:>8.0f}{r['worker_mb']:>10.0f}"
                      f"{r['db_growth_mb']:>8.1f}{r['p95']:>10.3f}{r['max']:>7.2f}{r['warm']:>8.2f}  {r['ended']}")
        print("targets for ours: bot ≤ 300 MB, worker ≤ 400 MB, wide roster refused ≤ 2 s, reply p95 ≤ 1 s")


if __name__ == "__main__":
    main()
