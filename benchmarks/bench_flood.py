"""One person's flood beside a broadcast and other people's questions, with fairness on and off.

Usage: python benchmarks/bench_flood.py [--n 5000] [--runs 3] [--rate 25] [--off-n 1000]

The emulator runs as a subprocess (20 requests/s per token, schema validation off); the real
bot (`bot.app.build_app`: inbox poller, handlers, outbox) runs in this process against it.
Each run sends a broadcast of `--n` messages through the bot's outbox while teachers ask
«мой статус» one after another (the time until each gets an answer is a reply latency),
and, in the flooded runs, a stranger writes `--rate` messages per second until the broadcast
is done. Printed side by side (medians of `--runs` runs):
- the broadcast's time undisturbed and under the flood (target: flooded ≤ 1.2 × undisturbed);
- other people's reply p50/p95 (target p95 ≤ 1 s);
- how many messages the flooder sent and how many the bot sent back.
With `--off-n` > 0 one more flooded run of that many messages goes with fairness switched
off (`[fairness] enabled = false`): the old behaviour, for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_bulk_send import TOKEN, _p, _seed, _start_emulator  # noqa: E402

from bot.app import App, build_app  # noqa: E402
from bot.config import parse_settings  # noqa: E402
from bot.domain.models import Role  # noqa: E402
from bot.ports import OutMessage  # noqa: E402
from bot.services.fairness import BUSY_NOTICE, FairShare  # noqa: E402
from vk_emulator import EmulatorControl  # noqa: E402

FLOODER = 900_001
TEACHERS = list(range(800_001, 800_006))
FIRST_RECIPIENT = 100_001


@dataclass
class Run:
    seconds: float
    latencies: list[float]
    flood_sent: int
    flood_replies: int
    notices: int


async def _ask(control: EmulatorControl, teacher: int) -> float:
    items = (await control.sent(teacher))["items"]
    after = int(items[-1]["seq"]) if items else 0
    started = time.perf_counter()
    await control.say(teacher, "мой статус")
    await control.wait_sent(teacher, 1, after=after, timeout=60)
    return time.perf_counter() - started


async def _questions(control: EmulatorControl, stop: asyncio.Event, latencies: list[float]) -> None:
    """Teachers ask in turn, about two questions a second, while the broadcast runs."""
    i = 0
    while not stop.is_set():
        latencies.append(await _ask(control, TEACHERS[i % len(TEACHERS)]))
        i += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


def _flood(base_url: str, stop: threading.Event, rate: float) -> int:
    """A stranger writes `rate` messages a second on a fixed schedule; returns how many.

    It runs in its own thread and event loop, like a separate person, so that its HTTP calls
    do not share the bot's event loop.
    """
    async def flood() -> int:
        sent = 0
        async with EmulatorControl(base_url) as control:
            started = time.perf_counter()
            while not stop.is_set():
                await control.say(FLOODER, f"ау {sent}")
                sent += 1
                delay = started + sent / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
        return sent

    return asyncio.run(flood())


async def _run(app: App, control: EmulatorControl, base_url: str, tag: str, n: int, rate: float) -> Run:
    before = len((await control.sent(FLOODER))["items"])
    messages = [OutMessage(peer_id=FIRST_RECIPIENT + i, text=f"Объявление {tag}: собрание в четверг в 15:00.",
                           org_id="school1", kind="broadcast", idem_key=f"bench:{tag}:{i}") for i in range(n)]
    stop = asyncio.Event()
    latencies: list[float] = []
    asker = asyncio.create_task(_questions(control, stop, latencies))
    stop_flood = threading.Event()
    flooder = asyncio.create_task(asyncio.to_thread(_flood, base_url, stop_flood, rate)) if rate else None
    started = time.perf_counter()
    deliveries = await app.outbound.send_bulk(messages)
    seconds = time.perf_counter() - started
    stop.set()
    stop_flood.set()
    await asker
    flood_sent = await flooder if flooder is not None else 0
    await app.poller.drain()
    assert all(d.ok for d in deliveries), "the broadcast lost messages"
    texts = [m["text"] for m in (await control.sent(FLOODER))["items"]][before:]
    return Run(seconds, latencies, flood_sent, len(texts), texts.count(BUSY_NOTICE))


def _line(label: str, runs: list[Run]) -> str:
    seconds = statistics.median(r.seconds for r in runs)
    latencies = [x for r in runs for x in r.latencies]
    sent = sum(r.flood_sent for r in runs)
    replies = sum(r.flood_replies for r in runs)
    notices = sum(r.notices for r in runs)
    flood = (f"flooder sent {sent}, got {replies} back ({notices} «подождите»)" if sent
             else "no flood")
    return (f"{label:<34}: broadcast {seconds:6.1f} s (runs: {', '.join(f'{r.seconds:.1f}' for r in runs)}); "
            f"others' replies p50 {_p(latencies, 0.5) * 1000:.0f} ms, p95 {_p(latencies, 0.95) * 1000:.0f} ms "
            f"({len(latencies)}); {flood}")


async def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING)
    proc, base_url = _start_emulator(False)
    api_url = base_url + "/method/"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = parse_settings({"vk": {"api_url": api_url, "token": TOKEN, "group_id": 1, "rps": 20,
                                              "wait": 5},
                                       "storage": {"data_dir": tmp},
                                       "backup": {"enabled": False},
                                       "schools": [{"id": "school1", "name": "Школа № 1"}]}, Path(tmp))
            app = await build_app(settings, api_url=api_url)
            runner = asyncio.create_task(app.run())
            try:
                async with EmulatorControl(base_url) as control:
                    t0 = time.perf_counter()
                    n = max(args.n, args.off_n)
                    await _seed(control, [*range(FIRST_RECIPIENT, FIRST_RECIPIENT + n), *TEACHERS, FLOODER])
                    for vk_id in TEACHERS:
                        await app.deps.people.add("school1", f"Учитель{vk_id} Анна Петровна", Role.TEACHER,
                                                  vk_id=vk_id)
                    await control.wait_listening()
                    print(f"seeded {n + len(TEACHERS) + 1} users in {time.perf_counter() - t0:.1f} s")
                    fair = settings.fairness

                    def fresh() -> FairShare:
                        return FairShare(fair.burst, fair.interval_s)

                    quiet: list[Run] = []
                    flooded: list[Run] = []
                    for k in range(args.runs):
                        app.poller.fairness = fresh()
                        quiet.append(await _run(app, control, base_url, f"quiet{k}", args.n, 0))
                        app.poller.fairness = fresh()
                        flooded.append(await _run(app, control, base_url, f"flood{k}", args.n, args.rate))
                    q = statistics.median(r.seconds for r in quiet)
                    f = statistics.median(r.seconds for r in flooded)
                    print(f"broadcast of {args.n}, fairness on (burst {fair.burst}, one per "
                          f"{fair.interval_s:g} s), medians of {args.runs} runs:")
                    print(_line("  undisturbed", quiet))
                    print(_line(f"  under a {args.rate:g} msg/s flood", flooded))
                    print(f"  flooded / undisturbed = {f / q:.2f} (target <= 1.2)")
                    if args.off_n:
                        app.poller.fairness = None
                        base = await _run(app, control, base_url, "offquiet", args.off_n, 0)
                        off = await _run(app, control, base_url, "off", args.off_n, args.rate)
                        print(f"broadcast of {args.off_n}, fairness off (the old behaviour), one run each:")
                        print(_line("  undisturbed", [base]))
                        print(_line(f"  under a {args.rate:g} msg/s flood", [off]))
                        print(f"  flooded / undisturbed = {off.seconds / base.seconds:.2f}")
            finally:
                await app.close()
                await asyncio.gather(runner, return_exceptions=True)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--n", type=int, default=5000, help="messages in each broadcast")
    parser.add_argument("--runs", type=int, default=3, help="runs of each kind (the median is shown)")
    parser.add_argument("--rate", type=float, default=25.0, help="the flooder's messages per second")
    parser.add_argument("--off-n", type=int, default=1000,
                        help="broadcast size of the run with fairness off (0: skip it)")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
