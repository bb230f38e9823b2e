"""Several workers of one regional deployment on PostgreSQL against two VK communities at their real limits.

Usage: python benchmarks/bench_workers.py [--pg-url URL] [--n 10000] [--workers 2] [--runs 1]

Two VK emulators (processes of their own) on 127.0.0.1 stand for two communities, each enforcing 20 requests/s
per token (25 messages per execute: at most 500 messages/s per community, 1,000 in total). A wave of `--n`
reminders per community is stored in the outbox as the scheduler stores one; the workers' sweeps send it.
Rounds, in one run:
- one process: one deployment (one PostgreSQL database, one config with two `[[vk.communities]]`, a school
  per community) served by a single `sferum-bot run`;
- per community: the earlier layout, a deployment per community (its config, its database) with one
  `sferum-bot run` each;
- workers: the one deployment served by `--workers` `sferum-bot run` processes sharing its outbox and each
  token's budget;
- sigkill: the same, and one worker is SIGKILLed after a fifth of the wave (its claimed rows come back
  after the lease, 5 s here, 60 s by default).
The waves are planned before the clock (wave_plan times planning) and stored at once, each on an open
connection of its own, as a regional wave is staged in one go; the clock starts at the store.
Printed per round: messages/s in total (first store to last row sent; the store's own seconds beside it), VK's
error 6 count, duplicates and
messages lost (each teacher must get exactly one), and CPU seconds (user + system) per 1,000 messages of the
workers, of the emulators and of the PostgreSQL server, from the store of the wave to its last row sent
(CPU, not wall time, is what the workers cost on a machine other processes share). With `--runs R` every
round runs R times and the medians follow. PostgreSQL comes from --pg-url or SFERUM_TEST_PG_URL; the
databases are created and dropped by the benchmark. The emulators check every request and every event they
send against VK's schema (`--no-validate`, as the figures before issue 16 §5 were taken, skips that).

Figures on 2026-12-06 evening, another machine (AMD EPYC, 2 cores; load average 0.7 at the start, 2.3 at the
end, a helper starting its work during run 1), `--n 10000 --runs 3 --only workers,sigkill,one-process`:
one process 933/s (933, 930, 935); workers (2) 899/s (860, 899, 900); sigkill 716/s (711, 716, 722);
0 error 6, 0 duplicates, 0 lost in every round. The same at 18:53 with nothing else running (load average
0.1 at the start, 0.8 at the end), medians of 3: one process 943/s, workers (2) 900/s, sigkill 722/s; 0 error 6,
0 duplicates, 0 lost.

Figures after the emulator validates with jsonschema-rs and the waves are stored at once (`--n 10000
--runs 3`, medians, 2 shared cores, load average 3.8 at the start, 2.6 at the end, other sessions' jobs
running), 0 error 6, 0 duplicates, 0 lost in every round; CPU seconds per 1,000 as workers / emulators /
PostgreSQL:
- one process: 937/s, runs 939, 892, 937 (0.20 / 0.09 / 0.37);
- per community: 926/s, runs 938, 921, 926 (0.24 / 0.10 / 0.48);
- workers (2): 895/s, runs 898, 895, 893 (0.25 / 0.10 / 0.56), stored in 0.5–0.8 s;
- sigkill: 706/s, runs 690, 706, 706.
The emulators' CPU fell from 0.35 to 0.09–0.11 s per 1,000 (bench_vk_schema: an echo event cost ~250 µs in
python-jsonschema). What keeps 2 workers under 950/s: the store (0.5–0.8 s here), the sweep that notices a
wave another process stored (every 1 s), and the limiter holding each slot a window past its request's end.
An earlier run of the same in this session, with the waves stored one after the other on fresh connections
(1.3 s), under load average 5–7: workers 853/s (883, 853, 821).

Figures before (`--n 10000 --runs 3`, medians, 2 shared cores; load average 0.0 at the start, 7.2 at the end: other
sessions' work came back during the third run), 20,000 messages per round, 0 error 6, 0 duplicates, 0 lost
in every round of every run; CPU seconds per 1,000 messages as workers / emulators / PostgreSQL:
- one process: 932/s (0.16 / 0.34 / 0.41);
- per community: 925/s (0.18 / 0.33 / 0.42);
- workers (2): 895/s, runs 900, 895, 689 (0.19 / 0.35 / 0.43): two workers share each token at 95 % of
  its 20 requests/s (bot.ops.cluster.SHARED_HEADROOM), so 950/s is their ceiling;
- sigkill: 676/s (the killed worker's rows wait for its 5 s lease).
Before this change, the same workers round (single runs, load average 2–5) gave 448/s at 0.78 / 0.41 / 0.75:
one worker swept its communities one after the other, and each message cost a statement per row to start
and record its batch, and three writes for VK's echo of it in the inbox. With the sweeps side by side it gave
528–718/s at 0.46–0.50 / 0.39–0.41 / 0.50–0.51.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks import workers_run as run  # noqa: E402
from benchmarks.bench_bulk_send import _start_emulator  # noqa: E402 - the same emulator process
from storage.outbox import OutboxRepo  # noqa: E402
from storage.pg import PgDatabase  # noqa: E402
from vk_emulator import EmulatorControl  # noqa: E402

COMMUNITIES = (("north", "bench-a", 501), ("south", "bench-b", 502))
ENV = {"SFERUM_ROLE_RETRY_S": "1", "SFERUM_OUTBOX_LEASE_S": "5"}


@dataclass(frozen=True)
class Round:
    """One round: its label, whether every community is one deployment, workers per deployment, a SIGKILL."""

    label: str
    region: bool
    workers: int
    kill: bool = False


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _database(url: str, name: str, *, drop_only: bool = False) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    return _with_db(url, name)


def _postmaster(url: str) -> int | None:
    """The pid of the PostgreSQL server at `url` when it runs on this machine (a postmaster started with its port:
    `-p PORT`, as .ci/postgres.sh starts one); None otherwise."""
    port = str(urlsplit(url).port or 5432)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [a.decode(errors="replace") for a in argv]
        if words and words[0].endswith("/postgres") and any(
                a == "-p" and b == port for a, b in zip(words, words[1:], strict=False)):
            return int(entry.name)
    return None


async def _seed(control: EmulatorControl, ids: list[int]) -> None:
    for start in range(0, len(ids), 200):
        await asyncio.gather(*(control.add_user(i, "Имя", f"Учитель{i}", allows_messages=True)
                               for i in ids[start:start + 200]))


async def _registered(urls: list[str], each: int) -> bool:
    counts = []
    for url in urls:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT count(*) FROM workers").fetchone()
            counts.append(int(row[0]) if row else 0)
    return counts == [each] * len(urls)


async def _round(spec: Round, pg_url: str, folder: Path, n: int, validate: bool) -> dict[str, float]:
    emulators = [_start_emulator(validate, token, group_id) for _, token, group_id in COMMUNITIES]
    communities = [run.Community(name, f"{base}/method/", token, group_id)
                   for (name, token, group_id), (_, base) in zip(COMMUNITIES, emulators, strict=True)]
    urls: list[str] = []
    workers: list[run.Worker] = []
    # Which database holds each community's wave (one for the region, one each otherwise).
    wave_db: list[int] = []
    waves: list[list[int]] = []
    try:
        for index, (_, base) in enumerate(emulators):
            ids = list(range(100_000 * (index + 1), 100_000 * (index + 1) + n))
            async with EmulatorControl(base) as control:
                await _seed(control, ids)
            waves.append(ids)
        groups = [communities] if spec.region else [[c] for c in communities]
        for index, group in enumerate(groups):
            url = _database(pg_url, f"bench_workers_{spec.label.replace(' ', '_')}_{index}")
            urls.append(url)
            await run.migrate(url)
            config = run.write_region_config(folder / f"{spec.label}-{index}", url, group)
            workers += [await run.start_worker(config, f"w{k}.log", env=ENV) for k in range(spec.workers)]
            wave_db += [index] * len(group)
        await run.wait_for(lambda: _registered(urls, spec.workers), 120, "every worker registered")
        await asyncio.sleep(3)  # the rate shares settle (each joining worker holds back 2 s)
        postmaster = _postmaster(pg_url)
        pids = [w.proc.pid for w in workers]
        cpu_workers = [run.cpu_seconds(pid) for pid in pids]
        cpu_emulators = sum(run.cpu_seconds(proc.pid) for proc, _ in emulators)
        cpu_pg = run.server_cpu_seconds(postmaster) if postmaster else 0.0
        # Planned before the clock, as a scheduler plans a wave (wave_plan times that); stored at once, each
        # community's wave on its own connection, as a regional wave is staged in one go.
        dbs = [await PgDatabase.open(url, migrate=False) for url in urls]
        rows = [run.wave_rows(ids, school=f"school-{community.name}", bot=community.name)
                for community, ids in zip(communities, waves, strict=True)]
        started = time.perf_counter()
        try:
            await asyncio.gather(*(OutboxRepo(dbs[db]).enqueue(wave)
                                   for wave, db in zip(rows, wave_db, strict=True)))
        finally:
            for database in dbs:
                await database.close()
        stored = time.perf_counter() - started
        killed = False
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            left = [(await run.outbox_counts(url)).get("pending", 0) for url in urls]
            if spec.kill and not killed and sum(left) <= n * len(communities) * 4 // 5:
                cpu_workers[0] = run.cpu_seconds(pids[0]) - cpu_workers[0]  # what it used before it died
                await workers[0].kill()
                killed = True
            if sum(left) == 0:
                break
            await asyncio.sleep(0.1)
        elapsed = time.perf_counter() - started
        cpu_w = sum(cpu_workers[k] if killed and k == 0 else run.cpu_seconds(pid) - cpu_workers[k]
                    for k, pid in enumerate(pids))
        cpu_e = sum(run.cpu_seconds(proc.pid) for proc, _ in emulators) - cpu_emulators
        cpu_p = run.server_cpu_seconds(postmaster) - cpu_pg if postmaster else float("nan")
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
        thousands = n * len(communities) / 1000
        return {"messages": float(n * len(communities)), "seconds": elapsed, "per_s": n * len(communities) / elapsed,
                "stored_s": stored,
                "error6": float(errors6), "duplicates": float(duplicates), "lost": float(lost),
                "cpu_workers": cpu_w / thousands, "cpu_emulators": cpu_e / thousands, "cpu_pg": cpu_p / thousands}
    finally:
        for worker in workers:
            await worker.stop()
        for proc, _ in emulators:
            proc.terminate()
            proc.wait(timeout=30)
        for url in urls:
            _database(pg_url, urlsplit(url).path.lstrip("/"), drop_only=True)


def _line(spec: Round, result: dict[str, float], prefix: str = "") -> str:
    layout = (f"1 deployment × {len(COMMUNITIES)} communities" if spec.region
              else f"{len(COMMUNITIES)} deployments × 1 community")
    return (f"{prefix}{spec.label:13} {spec.workers} worker(s), {layout}: {int(result['messages'])} messages in "
            f"{result['seconds']:.1f} s = {result['per_s']:.0f}/s (stored in {result['stored_s']:.2f} s); error 6: {int(result['error6'])}, "
            f"duplicates: {int(result['duplicates'])}, lost: {int(result['lost'])}; CPU s per 1,000: workers "
            f"{result['cpu_workers']:.2f}, emulators {result['cpu_emulators']:.2f}, PostgreSQL {result['cpu_pg']:.2f}")


async def main(args: argparse.Namespace) -> int:
    pg_url = args.pg_url or os.environ.get("SFERUM_TEST_PG_URL", "")
    if not pg_url:
        print("нужен PostgreSQL: --pg-url или SFERUM_TEST_PG_URL", file=sys.stderr)
        return 2
    rounds = [Round("one process", True, 1), Round("per community", False, 1),
              Round("workers", True, args.workers), Round("sigkill", True, args.workers, kill=True)]
    if args.only:
        rounds = [r for r in rounds if r.label.replace(" ", "-") in args.only.split(",")]
    results: dict[str, list[dict[str, float]]] = {r.label: [] for r in rounds}
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
        for number in range(1, args.runs + 1):
            for spec in rounds:
                result = await _round(spec, pg_url, Path(tmp) / str(number), args.n, not args.no_validate)
                results[spec.label].append(result)
                print(_line(spec, result, f"[{number}] " if args.runs > 1 else ""), flush=True)
    if args.runs > 1:
        print(f"medians of {args.runs} runs:")
        for spec in rounds:
            median = {key: statistics.median(r[key] for r in results[spec.label]) for key in results[spec.label][0]}
            print(_line(spec, median), flush=True)
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default="")
    parser.add_argument("--n", type=int, default=10000, help="reminders per community")
    parser.add_argument("--workers", type=int, default=2, help="workers of the regional deployment")
    parser.add_argument("--runs", type=int, default=1, help="runs of every round (medians printed)")
    parser.add_argument("--only", default="", help="these rounds only, comma-separated: one-process, per-community, "
                        "workers, sigkill")
    parser.add_argument("--no-validate", action="store_true",
                        help="the emulators skip the schema check of each request (as the earlier figures did)")
    sys.exit(asyncio.run(main(parser.parse_args())))
