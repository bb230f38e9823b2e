"""3,000 personalised messages to 3,000 people through the MAX emulator, by the real bot in webhook mode.

Usage: python benchmarks/bench_max_send.py [--n 3000] [--n-faults 3000] [--naive 300] [--skip-faults]

The MAX emulator runs in this process with its limits on (30 requests/s per token, 2 sends/s per chat,
schema checks on). The bot is `sferum-bot run` in its own process, configured only with [max] in webhook
mode: at start its scheduler sends the week's reminders (one personal text per teacher) through the outbox,
while a person asks the bot something every 5 s. Printed figures:
- the bulk rate from the first reminder delivered to the last (goal ≥ 28.5/s), HTTP 429 answers (goal 0),
  people who got none or more than one (goal 0/0), and the reply time to the questions (p95 ≤ 1 s);
- the naive way in the same run: one POST /messages after another from a plain aiohttp loop, which
  waits a second after each 429 and sends again after an error (MAX has no `random_id`);
- a second run with 5 % of answers dropped (delivered, but the answer lost) and the bot SIGKILLed after
  25 %, 50 % and 75 % of the people have their reminder, restarted each time: lost and duplicated
  messages (goal 0/0), and the naive loop under the same 5 % drops.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import max_bot_run as run  # noqa: E402

from max_emulator import MaxEmulator  # noqa: E402

FIRST = 7_100_000
ASKERS = [7_900_000 + i for i in range(40)]
NAIVE_FIRST = 7_500_000
QUESTION_EVERY = 5.0


STARTED: list[run.Bot] = []


async def _start(folder: Path) -> run.Bot:
    bot = await run.start_bot(folder)
    STARTED.append(bot)
    return bot


async def _emulator(seed: int) -> MaxEmulator:
    emu = MaxEmulator(token=run.TOKEN, bot_id=run.BOT_ID, seed=seed)
    await emu.start()
    return emu


async def _questions(emu: MaxEmulator, stop: asyncio.Event, latencies: list[float]) -> None:
    """One question every 5 s from a different person; the time until the bot's answer appears."""
    for asker in ASKERS:
        chat = run.dialog_id(emu, asker)
        before = emu.ops.sent_items(chat, None)
        started = time.perf_counter()
        emu.ops.say({"user_id": asker, "text": "Как подключить Сферум к электронному журналу?"})
        answered = await emu.ops.wait_sent(chat, before[-1]["seq"] if before else None, 1, 30.0)
        if answered:
            latencies.append(time.perf_counter() - started)
        try:
            await asyncio.wait_for(stop.wait(), QUESTION_EVERY - (time.perf_counter() - started))
            return
        except TimeoutError:
            continue


def _bulk_figures(emu: MaxEmulator, ids: list[int]) -> tuple[float, float, int, int]:
    """(rate first→last, seconds, people without a reminder, extra copies) from the emulator's record."""
    stamps: list[int] = []
    lost = extra = 0
    for user_id in ids:
        mine = [m for m in emu.ops.core.by_chat.get(run.dialog_id(emu, user_id), []) if m.from_bot]
        lost += not mine
        extra += max(0, len(mine) - 1)
        stamps.extend(m.timestamp for m in mine)
    span = (max(stamps) - min(stamps)) / 1000 if len(stamps) > 1 else 0.0
    return ((len(stamps) - 1) / span if span else 0.0), span, lost, extra


async def _naive(emu: MaxEmulator, n: int) -> tuple[float, int, int, int]:
    """for person: POST /messages, wait 1 s after a 429, send again after an error. (rate, 429s, lost, extra)."""
    ids = [NAIVE_FIRST + i for i in range(n)]
    emu.seed_users([{"user_id": i, "first_name": f"Наивный{i}", "started": True} for i in ids])
    limited = 0
    started = time.perf_counter()
    async with aiohttp.ClientSession(headers={"Authorization": run.TOKEN}) as session:
        for user_id in ids:
            for _attempt in range(10):
                try:
                    async with session.post(f"{emu.base_url}/messages", params={"user_id": user_id},
                                            json={"text": f"Напоминание для {user_id}"}) as answer:
                        if answer.status == 429:
                            limited += 1
                            await asyncio.sleep(1.0)
                            continue
                        break
                except aiohttp.ClientError:
                    continue
    rate = n / (time.perf_counter() - started)
    _, _, lost, extra = _bulk_figures(emu, ids)
    return rate, limited, lost, extra


async def clean_run(n: int, naive: int) -> None:
    emu = await _emulator(seed=1)
    ids = [FIRST + i for i in range(n)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        run.write_config(folder, emu.base_url, run.free_port())
        await run.seed(folder, emu, ids)
        emu.seed_users([{"user_id": a, "first_name": f"Спрашивающий{a}", "started": True} for a in ASKERS])
        bot = await _start(folder)
        latencies: list[float] = []
        stop = asyncio.Event()
        await run.wait_for(lambda: emu.state.stats.requests.get("POST /subscriptions", 0) > 0, 60,
                           "webhook subscription", bot)
        asking = asyncio.create_task(_questions(emu, stop, latencies))
        await run.wait_for(lambda: all(run.delivered(emu, ids).values()) and run.reports(emu), 20 + n / 10,
                           "every reminder", bot)
        stop.set()
        await asking
        await bot.stop()
        rate, span, lost, extra = _bulk_figures(emu, ids)
        limited = emu.state.stats.rate_limited
        p95 = statistics.quantiles(latencies, n=20, method="inclusive")[-1] if len(latencies) >= 2 else float("nan")
        print(f"bulk: {n} personal reminders in {span:.1f} s = {rate:.1f} messages/s first→last "
              f"(goal ≥ 28.5), HTTP 429: {limited}, lost: {lost}, duplicates: {extra}", flush=True)
        print(f"replies to {len(latencies)} questions (one every {QUESTION_EVERY:.0f} s): "
              f"p95 {p95:.3f} s, max {max(latencies, default=float('nan')):.3f} s (goal p95 ≤ 1 s)")
        naive_rate, naive_429, naive_lost, naive_extra = await _naive(emu, naive)
        print(f"naive sequential loop ({naive} people, same emulator): {naive_rate:.1f} messages/s, "
              f"HTTP 429: {naive_429}, lost: {naive_lost}, duplicates: {naive_extra}")
    await emu.stop()


async def fault_run(n: int, naive: int) -> None:
    emu = await _emulator(seed=2)
    ids = [FIRST + i for i in range(n)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        run.write_config(folder, emu.base_url, run.free_port())
        await run.seed(folder, emu, ids)
        emu.ops.set_faults({"drop_rate": 0.05})
        started = time.perf_counter()
        for share in (0.25, 0.5, 0.75):
            bot = await _start(folder)
            target = int(n * share)
            await run.wait_for(lambda t=target: sum(1 for c in run.delivered(emu, ids).values() if c) >= t,
                               20 + n / 10, f"{target} reminders", bot)
            await bot.kill()
        bot = await _start(folder)
        await run.wait_for(lambda: all(run.delivered(emu, ids).values()) and run.reports(emu)
                           and run.outbox_left(folder) == 0, 60 + n / 10, "every reminder", bot)
        await bot.stop()
        seconds = time.perf_counter() - started
        _, _, lost, extra = _bulk_figures(emu, ids)
        stats = emu.state.stats
        print(f"5 % answers dropped ({stats.dropped_answers} dropped), 3 × SIGKILL: {n} people in {seconds:.1f} s, "
              f"lost: {lost}, duplicates: {extra}, deputy's reports: {len(run.reports(emu))} (goal 0/0/1)")
        naive_rate, _, naive_lost, naive_extra = await _naive(emu, naive)
        print(f"naive sequential loop under the same drops ({naive} people): lost: {naive_lost}, "
              f"duplicates: {naive_extra}")
    await emu.stop()


async def main(args: argparse.Namespace) -> int:
    try:
        await clean_run(args.n, args.naive)
        if not args.skip_faults:
            await fault_run(args.n_faults, args.naive)
    finally:
        for bot in STARTED:  # a failed wait must not leave a bot running
            if bot.proc.returncode is None:
                await bot.kill()
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--n", type=int, default=3000, help="people in the clean run")
    parser.add_argument("--n-faults", type=int, default=3000, help="people in the run with drops and kills")
    parser.add_argument("--naive", type=int, default=300, help="people in each naive loop")
    parser.add_argument("--skip-faults", action="store_true", help="only the clean run")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
