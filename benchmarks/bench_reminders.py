"""A reminder run for 10,000 teachers through the emulator, SIGKILLed half-way and restarted.

Usage: python benchmarks/bench_reminders.py [--n 10000] [--naive 200] [--kill-at 0.5] [--only all|wave|send]

The emulator runs as a subprocess (20 requests/s, strict parameters, schema validation
off). The reminder run (plan + outbox send, `remind_worker.py`) runs in its own process:
it is killed with SIGKILL once the person at `--kill-at` of the list has their reminder,
then a new process runs the same reminders again. Printed figures:
- planning time for n people (statistics, rules and personal texts);
- the naive `for teacher: await api.messages.send(...)` loop on `--naive` teachers through
  the rate-limited API (one request per message), extrapolated to n;
- the killed run and the restarted one: messages/s overall, and the emulator's record
  user by user — exactly one reminder each, none lost, none doubled; one report to the deputy;
- runs of `--report-crash` teachers SIGKILLed 80, 100 and 120 ms after the last reminder was
  delivered and restarted: the deputy's report arrives exactly once each time;
- first, a regional wave (`wave_plan.py`): 1,000 schools × 60 teachers planned school by school
  and staged in the reminder log and the outbox, beside per-person queries.

Measured (issue 16, 2 shared cores, load average 0.3–0.7, medians of 3 runs): the uninterrupted
run 10,000 in 21.5 s -> 465 messages/s (464–466; target ≥ 450; before issue 16: 386/s in the
issue, 431/s measured here the same day), no error 6, each teacher exactly one; the regional wave
of 60,000 planned in 4.0 s (2.4–4.1), planned and staged in the outbox in 6.6 s (4.7–6.8; target
≤ 10 s); per-person queries would take 20–51 s. The send itself is bound by VK's 20 requests/s
(400 execute calls of 25 take 20.1 s); what was cut is the time around it: the worker no longer
plans twice (once only to time it), the keyboard is laid out once per wave instead of per message,
stored rows are built without validating each value again, the deputies are read by role.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import wave_plan  # noqa: E402
from bench_bulk_send import _counts, _naive_limited, _seed, _start_emulator  # noqa: E402
from remind_worker import DEPUTY, settings_for  # noqa: E402

from storage.db import Database  # noqa: E402
from vk_emulator import EmulatorControl  # noqa: E402

TOKEN = "bench"
WORKER = REPO / "benchmarks" / "remind_worker.py"
CLEAN_DEPUTY = DEPUTY - 1


async def _worker(api_url: str, db: Path, n: int, first_id: int, mode: str,
                  deputy: int = DEPUTY) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER), "--api-url", api_url, "--token", TOKEN, "--db", str(db), "--n", str(n),
        "--first-id", str(first_id), "--mode", mode, "--deputy", str(deputy), stdout=asyncio.subprocess.PIPE)


async def _result(proc: asyncio.subprocess.Process) -> dict[str, object]:
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"the worker failed with exit code {proc.returncode}")
    return dict(json.loads(out.decode().strip().splitlines()[-1]))


async def wave(args: argparse.Namespace) -> None:
    """A regional wave (schools × staff people) planned and staged in the outbox, beside the naive way."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = wave_plan.region_settings(args.wave_schools, Path(tmp))
        db = await Database.open(Path(tmp) / "region.sqlite3")
        try:
            started = time.perf_counter()
            await wave_plan.seed(db, settings, args.wave_staff)
            people = args.wave_schools * args.wave_staff
            print(f"regional wave: {args.wave_schools} schools × {args.wave_staff} = {people} people "
                  f"(seeded in {time.perf_counter() - started:.1f} s)")
            slow = await wave_plan.naive(db, settings, args.naive_schools)
            per_person = slow["seconds"] / max(1, slow["planned"])
            print(f"naive (queries per person) on {args.naive_schools} schools: {slow['planned']} planned in "
                  f"{slow['seconds']:.2f} s -> the region would take ~{per_person * people:.0f} s")
            ours = await wave_plan.plan_and_stage(db, settings)
            print(f"ours: {ours['planned']} reminders planned in {ours['plan_seconds']:.2f} s, planned and staged "
                  f"in the outbox ({ours['outbox']} rows) in {ours['seconds']:.2f} s (target: planned ≤ 10 s)")
        finally:
            await db.close()


async def main(args: argparse.Namespace) -> int:
    if args.only in ("all", "wave"):
        await wave(args)
    if args.only == "wave":
        return 0
    proc, base_url = _start_emulator(False)
    api_url = base_url + "/method/"
    ids = list(range(100_001, 100_001 + args.n))
    naive_ids = list(range(300_001, 300_001 + args.naive))
    try:
        async with EmulatorControl(base_url) as control:
            t0 = time.perf_counter()
            await _seed(control, [*ids, *naive_ids, DEPUTY, CLEAN_DEPUTY])
            print(f"seeded {len(ids) + len(naive_ids) + 1} emulator users in {time.perf_counter() - t0:.1f} s")

            elapsed, ok = await _naive_limited(settings_for(api_url, TOKEN), naive_ids)
            naive_rate = ok / elapsed
            print(f"naive loop of messages.send (rate-limited API): {ok} in {elapsed:.2f} s -> "
                  f"{naive_rate:.1f} messages/s, {args.n} would take ~{args.n / naive_rate / 60:.1f} min, "
                  "and a crash half-way leaves no record of who already got one")
            await asyncio.sleep(1.1)  # let the emulator's one-second window clear

            with tempfile.TemporaryDirectory() as tmp:
                # An uninterrupted run: the figures of the run itself (the worker's own clock).
                clean_ids = list(range(500_001, 500_001 + args.n))
                await _seed(control, clean_ids)
                db = Path(tmp) / "clean.sqlite3"
                await _result(await _worker(api_url, db, args.n, clean_ids[0], "seed", CLEAN_DEPUTY))
                clean = await _result(await _worker(api_url, db, args.n, clean_ids[0], "run", CLEAN_DEPUTY))
                rate = float(str(clean["sent"])) / float(str(clean["seconds"]))
                print(f"reminder run, uninterrupted: planned {clean['planned']} in {clean['plan_seconds']} s; "
                      f"planned and sent {clean['sent']} in {clean['seconds']} s -> {rate:.0f} messages/s "
                      f"(x{rate / naive_rate:.0f} the naive loop)")

                # The same, SIGKILLed half-way and run again by a new process.
                db = Path(tmp) / "crash.sqlite3"
                await _result(await _worker(api_url, db, args.n, ids[0], "seed"))
                before = await control.stats()
                started = time.perf_counter()
                first = await _worker(api_url, db, args.n, ids[0], "run")
                await control.wait_sent(ids[int((args.n - 1) * args.kill_at)], 1, timeout=600)
                first.send_signal(signal.SIGKILL)
                await first.wait()
                at_kill = (await control.stats())["delivered"] - before["delivered"]
                second = await _result(await _worker(api_url, db, args.n, ids[0], "run"))
                elapsed = time.perf_counter() - started
            counts = await _counts(control, ids)
            deputy = len((await control.sent(DEPUTY))["items"])
            stats = await control.stats()
            print(f"reminder run SIGKILLed after {at_kill} of {args.n} delivered; the restarted process "
                  f"finished in {second['seconds']} s; {elapsed:.1f} s in all, two process starts included")
            print(f"exactly once (emulator's record, all {len(counts)} teachers): "
                  f"{'yes' if set(counts) == {1} else 'NO'} — {sum(1 for c in counts if c == 1)} got one, "
                  f"{sum(1 for c in counts if c == 0)} lost, {sum(1 for c in counts if c > 1)} doubled; "
                  f"{stats['deduplicated'] - before['deduplicated']} re-sends dropped by random_id; "
                  f"reports to the deputy: {deputy}")
            if args.report_crash:
                await _report_crash(api_url, control, args.report_crash)
            limited = (await control.stats())["rate_limited"]
            print(f"requests the emulator refused with error 6 (over 20/s) in the whole run: {limited}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return 0


async def _report_crash(api_url: str, control: EmulatorControl, n: int) -> None:
    """SIGKILL 80, 100 and 120 ms after the last reminder was delivered; the deputy still gets one report."""
    got: list[int] = []
    for attempt, delay in enumerate((0.08, 0.10, 0.12)):
        ids = list(range(700_001 + attempt * 10_000, 700_001 + attempt * 10_000 + n))
        deputy = 20 + attempt
        await _seed(control, [*ids, deputy])
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "report.sqlite3"
            await _result(await _worker(api_url, db, n, ids[0], "seed", deputy))
            first = await _worker(api_url, db, n, ids[0], "run", deputy)
            await control.wait_sent(ids[-1], 1, timeout=600)
            await asyncio.sleep(delay)
            first.send_signal(signal.SIGKILL)
            await first.wait()
            await _result(await _worker(api_url, db, n, ids[0], "run", deputy))
        got.append(len((await control.sent(deputy))["items"]))
    print(f"SIGKILL 80/100/120 ms after the last of {n} reminders, then a restart: reports to the deputy "
          f"{got} (exactly one each: {'yes' if got == [1, 1, 1] else 'NO'})")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000, help="teachers to remind")
    parser.add_argument("--naive", type=int, default=200, help="teachers for the naive loop")
    parser.add_argument("--kill-at", type=float, default=0.5, help="share of the list delivered at the kill")
    parser.add_argument("--report-crash", type=int, default=300, metavar="N",
                        help="also kill N-teacher runs 80-120 ms after the last reminder (0: skip)")
    parser.add_argument("--only", choices=("all", "wave", "send"), default="all",
                        help="wave: only the regional planning; send: only the runs through the emulator")
    parser.add_argument("--wave-schools", type=int, default=1000, help="schools of the regional wave")
    parser.add_argument("--wave-staff", type=int, default=60, help="teachers per school of the regional wave")
    parser.add_argument("--naive-schools", type=int, default=10, help="schools the naive planning runs on")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
