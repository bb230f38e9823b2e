"""Faults under load at full scale: a 10,000-message bulk send while teachers keep asking
questions, first on a healthy VK, then with 10 % API faults, long-poll failures and a SIGKILL
of the bot half-way through (a new process takes over the same database).

Usage: python benchmarks/bench_faults_under_load.py [--n 10000] [--teachers 10] [--think 3.0]
       [--fault-rate 0.1] [--skip-clean]

The emulator runs as a subprocess (`python -m vk_emulator`, 20 requests/s, no schema
validation); the bot runs as another (`bot_worker.py`: the real app — long poll, handlers,
outbox — plus the bulk send); this script plays the teachers: each asks a question, waits
for the answer, thinks `--think` s and asks again. Printed for each run, from the emulator's
record: reminders delivered, lost, duplicated; questions asked, answered once, unanswered,
answered twice; messages to teachers that answer no question; answer latency p50/p95/max;
total time.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_bulk_send import TOKEN, _seed, _start_emulator  # noqa: E402 - the same emulator and seeding

from bot.vk.rules import chunk_key, random_id_for  # noqa: E402
from vk_emulator import EmulatorControl  # noqa: E402

QUESTIONS = ["как войти в сферум", "не приходит код", "мой статус", "что такое чат класса?",
             "🙂", "где взять ссылку на чат 5А", "asdf", "спасибо!", "как добавить родителей",
             "можно ли звонить через сферум", "меню", "Сферум не открывается на компьютере"]


@dataclass
class Run:
    """What one run measured."""

    name: str
    ids: list[int]
    teachers: list[int]
    asked: list[tuple[int, str, float]] = field(default_factory=list)  # (teacher, event_id, asked at)
    latencies: list[float] = field(default_factory=list)
    kills: list[str] = field(default_factory=list)


def _reply_ids(event_id: str) -> dict[int, bool]:
    """random_id -> whether it is the first message of the answer to that question."""
    return {random_id_for(chunk_key(f"reply:{event_id}:{n}", i, total)): (n, i) == (1, 1)
            for n in range(1, 6) for total in range(1, 4) for i in range(1, total + 1)}


async def _spawn(api_url: str, data_dir: Path, run: Run, mode: str) -> asyncio.subprocess.Process:
    cmd = [sys.executable, str(REPO / "benchmarks" / "bot_worker.py"), "--api-url", api_url,
           "--token", TOKEN, "--data-dir", str(data_dir), "--n", str(len(run.ids)),
           "--first-id", str(run.ids[0]), "--teachers", ",".join(map(str, run.teachers)), "--mode", mode]
    return await asyncio.create_subprocess_exec(
        *cmd, cwd=str(REPO), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)})


async def _teacher(control: EmulatorControl, run: Run, teacher: int, think: float,
                   stop: asyncio.Event) -> None:
    """Ask, wait for the first message of the answer, think, ask again — until told to stop."""
    questions = itertools.cycle(QUESTIONS[teacher % len(QUESTIONS):] + QUESTIONS[:teacher % len(QUESTIONS)])
    after = 0
    while not stop.is_set():
        t0 = time.perf_counter()
        event_id = str((await control.say(teacher, next(questions)))["event_id"])
        run.asked.append((teacher, event_id, t0))
        first = {rid for rid, is_first in _reply_ids(event_id).items() if is_first}
        answered = False
        while not answered:
            items = await control.wait_sent(teacher, 1, after=after, timeout=120)
            after = int(items[-1]["seq"])
            answered = any(int(item["random_id"]) in first for item in items)
        run.latencies.append(time.perf_counter() - t0)
        await asyncio.sleep(think)


async def _counts(control: EmulatorControl, ids: list[int]) -> list[int]:
    counts: list[int] = []
    for start in range(0, len(ids), 200):
        bodies = await asyncio.gather(*(control.sent(i) for i in ids[start:start + 200]))
        counts.extend(len(b["items"]) for b in bodies)
    return counts


async def _all_delivered(control: EmulatorControl, ids: list[int]) -> None:
    """Wait (on the emulator) until every bulk recipient has a message."""
    await control.wait_sent(ids[-1], 1, timeout=600)
    while True:
        counts = await _counts(control, ids)
        missing = [vk_id for vk_id, c in zip(ids, counts, strict=True) if c == 0]
        if not missing:
            return
        await control.wait_sent(missing[0], 1, timeout=600)


async def _long_poll_failures(control: EmulatorControl, faults: dict[str, Any], stop: asyncio.Event) -> None:
    """A long-poll failure (1, 2, 3, 1, …) every 1.5 s, the API faults staying on."""
    for code in itertools.cycle([1, 2, 3]):
        await control.faults(**faults, longpoll_failed=[code])
        try:
            await asyncio.wait_for(stop.wait(), 1.5)
            return
        except TimeoutError:
            continue


async def _one_run(api_url: str, control: EmulatorControl, run: Run, think: float,
                   faults: dict[str, Any] | None, crash: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        before = await control.stats()
        started = time.perf_counter()
        bot = await _spawn(api_url, data_dir, run, "send")
        await control.wait_listening(timeout=60)
        stop = asyncio.Event()
        helpers = [asyncio.create_task(_teacher(control, run, t, think, stop)) for t in run.teachers]
        if faults is not None:
            helpers.append(asyncio.create_task(_long_poll_failures(control, faults, stop)))
        if crash:
            await control.wait_sent(run.ids[len(run.ids) // 2], 1, timeout=600)
            bot.send_signal(signal.SIGKILL)
            await bot.wait()
            delivered = (await control.stats())["delivered"] - before["delivered"]
            run.kills.append(f"SIGKILL with {delivered} messages delivered")
            bot = await _spawn(api_url, data_dir, run, "resume")
        await _all_delivered(control, run.ids)
        stop.set()
        await asyncio.gather(*helpers)  # every teacher's last question answered
        elapsed = time.perf_counter() - started
        await control.faults()
        bot.send_signal(signal.SIGTERM)
        _, err = await bot.communicate()
        if bot.returncode != 0:
            print(err.decode()[-2000:], file=sys.stderr)
    return elapsed


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


async def _report(control: EmulatorControl, run: Run, elapsed: float) -> bool:
    counts = await _counts(control, run.ids)
    lost, dupes = counts.count(0), sum(1 for c in counts if c > 1)
    firsts = {event_id: 0 for _, event_id, _ in run.asked}
    stray = 0
    for teacher in run.teachers:
        mine = {rid: (event_id, first) for who, event_id, _ in run.asked if who == teacher
                for rid, first in _reply_ids(event_id).items()}
        for item in (await control.sent(teacher))["items"]:
            owner = mine.get(int(item["random_id"]))
            if owner is None:
                stray += 1
            elif owner[1]:
                firsts[owner[0]] += 1
    once = sum(1 for n in firsts.values() if n == 1)
    unanswered = sum(1 for n in firsts.values() if n == 0)
    twice = sum(1 for n in firsts.values() if n > 1)
    for note in run.kills:
        print(f"  {note}, then a new process on the same database")
    print(f"  reminders : {sum(1 for c in counts if c == 1)}/{len(run.ids)} exactly once, "
          f"{lost} lost, {dupes} duplicated")
    print(f"  questions : {len(firsts)} asked by {len(run.teachers)} teachers, {once} answered once, "
          f"{unanswered} unanswered, {twice} answered twice; {stray} other messages to teachers")
    print(f"  latency   : p50 {_p(run.latencies, 0.5) * 1000:.0f} ms, p95 {_p(run.latencies, 0.95) * 1000:.0f} ms, "
          f"max {max(run.latencies, default=0.0) * 1000:.0f} ms"
          + (" (questions asked while the bot restarts included)" if run.kills else ""))
    print(f"  total     : {elapsed:.1f} s from the bot's start -> {len(run.ids) / elapsed:.0f} reminders/s")
    return lost == 0 and dupes == 0 and unanswered == 0 and twice == 0


async def main(args: argparse.Namespace) -> int:
    proc, base_url = _start_emulator(False)
    api_url = base_url + "/method/"
    share = args.fault_rate / 5
    faults = {"error_rate": {"6": share, "9": share, "10": share}, "http_500_rate": share,
              "drop_rate": share, "delay_ms": [1, 20]}
    ok = True
    try:
        async with EmulatorControl(base_url) as control:
            runs = [] if args.skip_clean else [("healthy VK, no crash", None, False)]
            runs.append((f"{args.fault_rate:.0%} API faults, long-poll failures, SIGKILL half-way", faults, True))
            for number, (name, run_faults, crash) in enumerate(runs):
                base = 1_000_000 * (number + 1)
                run = Run(name, list(range(base + 100_001, base + 100_001 + args.n)),
                          list(range(base + 1, base + 1 + args.teachers)))
                t0 = time.perf_counter()
                await _seed(control, [*run.ids, *run.teachers])
                print(f"{name}: {args.n} reminders, {args.teachers} teachers asking "
                      f"(seeded in {time.perf_counter() - t0:.1f} s)")
                elapsed = await _one_run(api_url, control, run, args.think, run_faults, crash)
                ok = await _report(control, run, elapsed) and ok
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print("result    :", "0 lost, 0 duplicated, every question answered once" if ok else "FAILED")
    return 0 if ok else 1


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000, help="reminders in the bulk send")
    parser.add_argument("--teachers", type=int, default=10, help="teachers asking questions meanwhile")
    parser.add_argument("--think", type=float, default=3.0, help="seconds a teacher waits between questions")
    parser.add_argument("--fault-rate", type=float, default=0.1, help="share of API requests that fail")
    parser.add_argument("--skip-clean", action="store_true", help="only the run with faults and the crash")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
