"""The real bot (`sferum-bot run`) in MAX against an in-process MAX emulator: config, seed, start, kill.

Shared by `bench_max_send.py` and `tests/max/test_delivery_crash.py`. The school is configured only with
[max] in webhook mode (the emulator posts to the bot's local endpoint), quiet hours off, the weekly
reminders' latest slot already due, so the bot sends the reminders as soon as it starts (the scheduler's
catch-up) and the outbox delivers them through MAX. People are seeded as having started the bot earlier:
the database knows each dialog's chat id, as the bot learns it from their `bot_started`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.ports import free_port  # noqa: E402,F401 - tests and benchmarks take it from here
from bot.domain.models import Organization, Period, Role  # noqa: E402
from max_emulator import MaxEmulator  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.outbox import OutboxRepo  # noqa: E402
from storage.people import PeopleRepo  # noqa: E402
from storage.reminders import ReminderRepo  # noqa: E402
from storage.stats import StatsRepo  # noqa: E402

TOKEN, BOT_ID, SECRET = "bench-max", 9000, "bench_secret"
DEPUTY = 7_000_002
PERIOD = Period(start=dt.date(2026, 11, 14), end=dt.date(2026, 11, 20))
REPORT_PREFIX = "Напоминания за неделю"


def write_config(folder: Path, api_url: str, port: int) -> Path:
    """A school only in MAX, webhook mode on 127.0.0.1:`port`, quiet hours off, nothing but reminders scheduled."""
    config = folder / "config.toml"
    config.write_text(f"""
[max]
token = "{TOKEN}"
api_url = "{api_url}"
mode = "webhook"
webhook_host = "127.0.0.1"
webhook_port = {port}
webhook_path = "/max/webhook"
webhook_secret = "{SECRET}"
public_url = "http://127.0.0.1:{port}/max/webhook"

[storage]
data_dir = "data"

[[schools]]
id = "school1"
name = "МБОУ СОШ № 1"
deputy_max_ids = [{DEPUTY}]
messenger_preference = "max"

[schools.schedule]
weekly_summary = false
missing_import_check = {{ enabled = false }}
reminders = {{ day = "mon", time = "00:01" }}

[schools.schedule.quiet_hours]
start = "00:00"
end = "00:00"
weekends = false
""", encoding="utf-8")
    return config


def db_path(folder: Path) -> Path:
    return folder / "data" / "sferum-bot.sqlite3"


async def seed(folder: Path, emu: MaxEmulator, ids: list[int]) -> None:
    """Teachers with MAX ids, each under the message threshold in PERIOD, who started the bot earlier."""
    emu.seed_users([{"user_id": i, "first_name": f"Учитель{i}", "started": True} for i in [*ids, DEPUTY]])
    (folder / "data").mkdir(parents=True, exist_ok=True)
    db = await Database.open(db_path(folder))
    try:
        await PeopleRepo(db).sync_organizations([Organization(id="school1", name="МБОУ СОШ № 1")])
        async with db.transaction() as conn:
            people = [(await PeopleRepo.add_in(conn, "school1", f"Учитель{i} Анна Петровна", Role.TEACHER)).id
                      for i in ids]
            # The roster's MAX column (bound by identification in the bot's life before the benchmark).
            await conn.executemany("UPDATE people SET max_id = ? WHERE id = ?", list(zip(ids, people, strict=True)))
            import_id = await StatsRepo.create_import_in(conn, org_id="school1", kind="person", period=PERIOD,
                                                         file_name="bench.xlsx", rows_read=len(ids),
                                                         rows_imported=len(ids), problems=[], imported_by=None)
            await StatsRepo.put_person_values_in(conn, PERIOD, [(pid, "school1", import_id, {"group_messages": 1})
                                                                 for pid in people])
        # The bot ran before: last week's slot was handled, so this week's (already due) fires at start.
        now = dt.datetime.now(dt.UTC)
        await ReminderRepo(db).mark_job("school1:reminders", now - dt.timedelta(days=8), "ok", now)
        outbox = OutboxRepo(db)
        for user_id in [*ids, DEPUTY]:
            await outbox.set_dialog(user_id, dialog_id(emu, user_id))
    finally:
        await db.close()


def dialog_id(emu: MaxEmulator, user_id: int) -> int:
    return int(emu.ops.core.users[user_id].dialog_id)


@dataclass
class Bot:
    """One `sferum-bot run` process."""

    proc: asyncio.subprocess.Process
    started: float = field(default_factory=time.perf_counter)

    async def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> int:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.proc.wait(), timeout=60)


async def start_bot(folder: Path, log_name: str = "bot.log") -> Bot:
    """`python -m bot run --config …` with its log in `folder`."""
    log = (folder / log_name).open("ab")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(folder / "config.toml"),
        stdout=log, stderr=log, cwd=str(REPO),
        env={**os.environ, "PYTHONPATH": str(REPO), "SFERUM_VK__TOKEN": "", "SFERUM_MAX__TOKEN": ""})
    log.close()
    return Bot(proc)


async def wait_for(check: Any, timeout: float, what: str, bot: Bot | None = None) -> None:  # noqa: ASYNC109
    """Poll `check()` (every 20 ms, at most `timeout` s); fails naming `what` (or when the bot died)."""
    deadline = time.monotonic() + timeout
    while not check():
        if bot is not None and bot.proc.returncode is not None:
            raise RuntimeError(f"the bot exited with {bot.proc.returncode} while waiting for {what}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} within {timeout} s")
        await asyncio.sleep(0.02)


def delivered(emu: MaxEmulator, ids: list[int]) -> dict[int, int]:
    """How many messages each person's dialog holds from the bot."""
    by_chat = emu.ops.core.by_chat
    return {i: sum(1 for m in by_chat.get(dialog_id(emu, i), []) if m.from_bot) for i in ids}


def reports(emu: MaxEmulator) -> list[str]:
    return [m.text or "" for m in emu.ops.core.by_chat.get(dialog_id(emu, DEPUTY), [])
            if m.from_bot and (m.text or "").startswith(REPORT_PREFIX)]


def outbox_left(folder: Path) -> int:
    """Rows of the bot's outbox not finished yet (pending or sending), read-only beside the running bot."""
    with sqlite3.connect(f"file:{db_path(folder)}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT COUNT(*) FROM outbox WHERE messenger = 'max' "
                           "AND status IN ('pending', 'sending')").fetchone()
    return int(row[0])
