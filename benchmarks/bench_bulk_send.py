"""Bulk send throughput through the emulator with its 20 requests/s limit, beside the naive loop.

Usage: python benchmarks/bench_bulk_send.py [--n 10000] [--naive 200] [--reply-every 1.0]
       [--fault-rate 0.1] [--delay-ms 100] [--crash] [--validate]

The emulator runs as a subprocess (`python -m vk_emulator`, 20 requests/s per token, strict
parameters; schema validation off unless --validate) so that it does not share a core with
the sender. Printed figures:
- the naive `for user: await api.messages.send(...)` loop on `--naive` users, with vkbottle's
  plain API (it runs into error 6) and with the rate-limited API (it crawls at ~20/s);
- VkOutbound.send_bulk of `--n` personalized messages (outbox + execute batches of 25),
  in messages/s (target ≥ 450; VK's ceiling is 20 × 25 = 500);
- the latency of interactive replies sent every `--reply-every` s during the bulk send
  (p50/p95/max; target p95 ≤ 2 s);
- with --crash, the same bulk send in `bulk_worker.py`, SIGKILLed half-way and resumed by a
  new process, checked user by user (faults stay on, if asked for).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from vkbottle import API  # noqa: E402
from vkbottle.exception_factory import VKAPIError  # noqa: E402

from bot.config import Settings, parse_settings  # noqa: E402
from bot.ports import OutMessage  # noqa: E402
from bot.vk.api import make_api  # noqa: E402
from bot.vk.outbound import VkOutbound  # noqa: E402
from bot.vk.rules import idem_key  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.outbox import OutboxRepo  # noqa: E402
from vk_emulator import EmulatorControl  # noqa: E402

TOKEN = "bench"
GROUP_ID = 1


def _start_emulator(validate: bool, token: str = TOKEN, group_id: int = GROUP_ID) -> tuple[subprocess.Popen[str], str]:
    """`python -m vk_emulator` in its own process (a core of its own, as VK is) at VK's 20 requests/s per
    token; the process and its base URL."""
    cmd = [sys.executable, "-m", "vk_emulator", "--port", "0", "--token", token,
           "--group-id", str(group_id), "--rps", "20"]
    if not validate:
        cmd.append("--no-validate")
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("emulator listening on "):
        proc.kill()
        raise SystemExit(f"the emulator did not start: {line!r}")
    return proc, line.removeprefix("emulator listening on ")


async def _seed(control: EmulatorControl, ids: list[int]) -> None:
    for start in range(0, len(ids), 200):
        await asyncio.gather(*(control.add_user(i, "Имя", f"Учитель{i}", allows_messages=True)
                               for i in ids[start:start + 200]))


def _text(vk_id: int) -> str:
    return (f"Коллега №{vk_id}, на прошлой неделе у вас 1 сообщение в рабочих чатах (нужно 3). "
            "Напишите, пожалуйста, в чат класса в Сферуме; если что-то не получается, нажмите «Помощь».")


async def _naive_plain(api_url: str, ids: list[int]) -> tuple[float, int, int]:
    """vkbottle's API as it comes: one messages.send per user, no limiter, no retry."""
    api = API(TOKEN)
    api.API_URL = api_url
    ok = rate_limited = 0
    started = time.perf_counter()
    for i, vk_id in enumerate(ids):
        try:
            await api.messages.send(peer_id=vk_id, message=_text(vk_id), random_id=i + 1)
            ok += 1
        except VKAPIError[6]:
            rate_limited += 1
    elapsed = time.perf_counter() - started
    return elapsed, ok, rate_limited


async def _naive_limited(settings: Settings, ids: list[int]) -> tuple[float, int]:
    """The same loop through the rate-limited API: nothing lost, one request per message."""
    api = make_api(settings)
    ok = 0
    started = time.perf_counter()
    for i, vk_id in enumerate(ids):
        await api.messages.send(peer_id=vk_id, message=_text(vk_id), random_id=i + 1)
        ok += 1
    return time.perf_counter() - started, ok


async def _bulk(settings: Settings, db_path: Path, ids: list[int], reply_peer: int,
                reply_every: float) -> tuple[float, int, list[float]]:
    db = await Database.open(db_path)
    api = make_api(settings)
    outbound = VkOutbound(api, OutboxRepo(db), settings)
    messages = [OutMessage(peer_id=i, text=_text(i), org_id="school1", kind="reminder",
                           idem_key=idem_key("school1", "reminder", "2026-11-14", i)) for i in ids]
    latencies: list[float] = []
    try:
        started = time.perf_counter()
        bulk = asyncio.create_task(outbound.send_bulk(messages))
        n = 0
        while not bulk.done():
            await asyncio.wait({bulk}, timeout=reply_every)
            if bulk.done():
                break
            n += 1
            t0 = time.perf_counter()
            delivery = await outbound.reply(OutMessage(peer_id=reply_peer, text=f"Ответ на вопрос {n}"))
            latencies.append(time.perf_counter() - t0)
            assert delivery.ok, delivery
        deliveries = await bulk
        elapsed = time.perf_counter() - started
        return elapsed, sum(d.ok for d in deliveries), latencies
    finally:
        await db.close()


async def _counts(control: EmulatorControl, ids: list[int]) -> list[int]:
    counts: list[int] = []
    for start in range(0, len(ids), 200):
        bodies = await asyncio.gather(*(control.sent(i) for i in ids[start:start + 200]))
        counts.extend(len(b["items"]) for b in bodies)
    return counts


async def _crash_run(api_url: str, control: EmulatorControl, ids: list[int]) -> None:
    """The bulk send in a worker process, SIGKILLed half-way, then resumed by a new one."""
    worker = REPO / "benchmarks" / "bulk_worker.py"
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, str(worker), "--api-url", api_url, "--token", TOKEN,
               "--db", str(Path(tmp) / "crash.sqlite3"), "--n", str(len(ids)),
               "--first-id", str(ids[0])]
        started = time.perf_counter()
        first = await asyncio.create_subprocess_exec(*cmd, stdout=asyncio.subprocess.DEVNULL)
        await control.wait_sent(ids[len(ids) // 2], 1, timeout=300)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        at_kill = len([c for c in await _counts(control, ids) if c])
        second = await asyncio.create_subprocess_exec(*cmd, "--mode", "resume",
                                                      stdout=asyncio.subprocess.DEVNULL)
        await second.wait()
        elapsed = time.perf_counter() - started
    counts = await _counts(control, ids)
    print(f"SIGKILL after {at_kill}/{len(ids)} delivered, then resume: "
          f"{sum(1 for c in counts if c == 1)} got exactly one, {sum(1 for c in counts if c == 0)} lost, "
          f"{sum(1 for c in counts if c > 1)} duplicated ({elapsed:.1f} s with the restart)")


def _p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main(args: argparse.Namespace) -> int:
    proc, base_url = _start_emulator(args.validate)
    api_url = base_url + "/method/"
    settings = parse_settings({"vk": {"api_url": api_url, "token": TOKEN, "rps": 20},
                               "schools": [{"id": "school1"}]}, REPO)
    bulk_ids = list(range(100_001, 100_001 + args.n))
    plain_ids = list(range(200_001, 200_001 + args.naive))
    limited_ids = list(range(300_001, 300_001 + args.naive))
    reply_peer = 400_001
    try:
        async with EmulatorControl(base_url) as control:
            t0 = time.perf_counter()
            await _seed(control, [*bulk_ids, *plain_ids, *limited_ids, reply_peer])
            print(f"seeded {len(bulk_ids) + 2 * args.naive + 1} users in {time.perf_counter() - t0:.1f} s")

            elapsed, ok, limited = await _naive_plain(api_url, plain_ids)
            print(f"naive loop, plain vkbottle API : {ok}/{args.naive} delivered in {elapsed:.2f} s, "
                  f"{limited} refused with error 6 (no limiter: past 20 requests/s the rest are lost)")
            await asyncio.sleep(1.1)  # let the emulator's one-second window clear
            elapsed, ok = await _naive_limited(settings, limited_ids)
            naive_rate = ok / elapsed
            print(f"naive loop, rate-limited API   : {ok} delivered in {elapsed:.2f} s "
                  f"-> {naive_rate:.1f} messages/s")
            await asyncio.sleep(1.1)

            if args.fault_rate or args.delay_ms:
                share = args.fault_rate / 5
                await control.faults(error_rate={"6": share, "9": share, "10": share},
                                     http_500_rate=share, drop_rate=share,
                                     delay_ms=[args.delay_ms / 2, args.delay_ms * 1.5])
                print(f"faults on for the bulk send: {args.fault_rate:.0%} of requests "
                      f"(errors 6, 9, 10, HTTP 500, dropped answers); answers delayed "
                      f"{args.delay_ms / 2:.0f}-{args.delay_ms * 1.5:.0f} ms")
            before = await control.stats()
            with tempfile.TemporaryDirectory() as tmp:
                elapsed, ok, latencies = await _bulk(settings, Path(tmp) / "bench.sqlite3", bulk_ids,
                                                     reply_peer, args.reply_every)
            after = await control.stats()
            executes = after["requests"].get("execute", 0) - before["requests"].get("execute", 0)
            rate_limited = after["rate_limited"] - before["rate_limited"]
            print(f"VkOutbound.send_bulk           : {ok}/{args.n} delivered in {elapsed:.2f} s "
                  f"-> {ok / elapsed:.0f} messages/s (target >= 450, ceiling 500); "
                  f"{executes} executes, {rate_limited} answered with error 6; "
                  f"x{ok / elapsed / naive_rate:.0f} the naive loop")
            print(f"replies during the bulk send   : {len(latencies)} replies, "
                  f"p50 {_p(latencies, 0.5) * 1000:.0f} ms, p95 {_p(latencies, 0.95) * 1000:.0f} ms, "
                  f"max {max(latencies, default=0.0) * 1000:.0f} ms (target p95 <= 2000 ms)")
            counts = await _counts(control, bulk_ids)
            dupes = sum(1 for c in counts if c > 1)
            lost = sum(1 for c in counts if c == 0)
            print(f"exactly once (emulator's record, all {len(counts)} users): "
                  f"{'yes' if set(counts) == {1} else 'NO'} ({lost} lost, {dupes} duplicated, "
                  f"{after['deduplicated'] - before['deduplicated']} re-sends dropped by random_id)")
            if args.crash:
                crash_ids = list(range(500_001, 500_001 + args.n))
                await _seed(control, crash_ids)
                await _crash_run(api_url, control, crash_ids)
            await control.faults()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000, help="messages in the bulk send")
    parser.add_argument("--naive", type=int, default=200, help="users for each naive loop")
    parser.add_argument("--reply-every", type=float, default=1.0,
                        help="seconds between interactive replies during the bulk send")
    parser.add_argument("--fault-rate", type=float, default=0.0,
                        help="share of requests that fail during the bulk send, e.g. 0.1")
    parser.add_argument("--delay-ms", type=float, default=0.0,
                        help="mean delay the emulator adds to each request (a distant VK)")
    parser.add_argument("--crash", action="store_true",
                        help="also run the bulk send in a worker, SIGKILL it half-way and resume")
    parser.add_argument("--validate", action="store_true",
                        help="let the emulator check every request and answer against VK's schema")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
