"""Several real `sferum-bot run` workers on one PostgreSQL database against an in-process VK emulator.

Shared by `bench_workers.py` and `tests/ops/test_several_workers.py`: a config per community, a wave of
reminders stored in the outbox as the scheduler stores one (the workers' sweeps send it), workers started
as processes (`python -m bot run`), killed with SIGKILL or stopped with SIGTERM, and what the emulator got.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.ports import free_port  # noqa: E402,F401 - tests and benchmarks take it from here
from bot.vk.rules import idem_key, random_id_for  # noqa: E402
from storage.outbox import NewOutboxMessage, OutboxRepo  # noqa: E402
from storage.pg import PgDatabase  # noqa: E402
from vk_emulator import Emulator  # noqa: E402


def write_config(folder: Path, api_url: str, pg_url: str, token: str, group_id: int, rps: int = 20,
                 metrics_port: int | None = None) -> Path:
    """One community on the emulator, the database on PostgreSQL, quiet hours off; /metrics only on
    `metrics_port` (worker k of `run --workers N` takes the port + k - 1)."""
    folder.mkdir(parents=True, exist_ok=True)
    metrics = f"port = {metrics_port}" if metrics_port else "enabled = false"
    config = folder / "config.toml"
    config.write_text(f"""
[vk]
token = "{token}"
group_id = {group_id}
api_url = "{api_url}"
rps = {rps}
wait = 1

[metrics]
{metrics}

[storage]
data_dir = "{folder / 'data'}"
url = "{pg_url}"

[[schools]]
id = "school1"
name = "МБОУ СОШ № 1"

[schools.schedule.quiet_hours]
start = "00:00"
end = "00:00"
weekends = false
""", encoding="utf-8")
    return config


@dataclass(frozen=True)
class Community:
    """One VK community of a region config: its name, its emulator's API address, token and group id."""

    name: str
    api_url: str
    token: str
    group_id: int


def write_region_config(folder: Path, pg_url: str, communities: list[Community], rps: int = 20) -> Path:
    """One deployment serving every community of `communities` ([[vk.communities]]), a school per community
    (`school-<name>`, written to by its community), the database on PostgreSQL, quiet hours off, no /metrics."""
    folder.mkdir(parents=True, exist_ok=True)
    parts = [f"""
[vk]
wait = 1

[metrics]
enabled = false

[storage]
data_dir = "{folder / 'data'}"
url = "{pg_url}"
"""]
    for community in communities:
        parts.append(f"""
[[vk.communities]]
name = "{community.name}"
token = "{community.token}"
group_id = {community.group_id}
api_url = "{community.api_url}"
rps = {rps}
""")
    for community in communities:
        parts.append(f"""
[[schools]]
id = "school-{community.name}"
name = "МБОУ СОШ «{community.name}»"
vk_community = "{community.name}"

[schools.schedule.quiet_hours]
start = "00:00"
end = "00:00"
weekends = false
""")
    config = folder / "config.toml"
    config.write_text("".join(parts), encoding="utf-8")
    return config


def wave_rows(ids: list[int], week: str = "2026-11-14", *, school: str = "school1",
              bot: str = "main") -> list[NewOutboxMessage]:
    """A reminder from `school` (sent by the bot `bot`) to each of `ids`, as a planned wave's outbox rows."""
    rows = []
    for vk_id in ids:
        key = idem_key(school, "reminder", week, vk_id)
        rows.append(NewOutboxMessage(idem_key=key, peer_id=vk_id, random_id=random_id_for(key), org_id=school,
                                     kind="reminder", message=f"Напоминание №{vk_id}", priority=1, bot=bot))
    return rows


async def store_wave(pg_url: str, ids: list[int], week: str = "2026-11-14", *, school: str = "school1",
                     bot: str = "main") -> int:
    """`wave_rows` stored in the outbox as a wave is; how many rows were new."""
    db = await PgDatabase.open(pg_url)
    try:
        return await OutboxRepo(db).enqueue(wave_rows(ids, week, school=school, bot=bot))
    finally:
        await db.close()


async def migrate(pg_url: str) -> None:
    """Bring the database to this code's schema before the workers start (one of them would, too)."""
    db = await PgDatabase.open(pg_url)
    await db.close()


async def outbox_counts(pg_url: str) -> dict[str, int]:
    db = await PgDatabase.open(pg_url, migrate=False)
    try:
        return await OutboxRepo(db).counts("vk")
    finally:
        await db.close()


def add_people(emulator: Emulator, ids: list[int]) -> None:
    emulator.seed_users([{"id": i, "first_name": "Имя", "last_name": f"Учитель{i}", "allows_messages": True}
                         for i in ids])


def delivered(emulator: Emulator, ids: list[int]) -> Counter[int]:
    """How many of the bot's messages each of `ids` got (2 would be a duplicate)."""
    wanted = set(ids)
    return Counter(item["peer_id"] for item in emulator.state.sent_items(None) if item["peer_id"] in wanted)


@dataclass
class Worker:
    """One `sferum-bot run` process and its log."""

    proc: asyncio.subprocess.Process
    log: Path
    started: float = field(default_factory=time.perf_counter)

    def text(self) -> str:
        return self.log.read_text("utf-8", "replace") if self.log.exists() else ""

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> int:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.proc.wait(), timeout=60)


async def start_worker(config: Path, log_name: str, *extra: str, env: dict[str, str] | None = None) -> Worker:
    """`python -m bot run --config …` (plus `extra` arguments) with its log beside the config."""
    log = config.parent / log_name
    out = log.open("ab")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(config), *extra,
        stdout=out, stderr=out, cwd=str(REPO),
        env={**os.environ, "PYTHONPATH": str(REPO), "SFERUM_VK__TOKEN": "", "SFERUM_MAX__TOKEN": "",
             **(env or {})})
    out.close()
    return Worker(proc, log)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds process `pid` has used so far, with its reaped children's (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    # Fields 14-17 of proc(5) (utime, stime, cutime, cstime), counted after the command's closing parenthesis.
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def server_cpu_seconds(postmaster_pid: int) -> float:
    """CPU seconds of a PostgreSQL server: its postmaster (with the backends it reaped) and its live backends."""
    total = cpu_seconds(postmaster_pid)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == postmaster_pid:
            total += sum(int(v) for v in fields[11:13]) / os.sysconf("SC_CLK_TCK")
    return total


async def wait_for(check: Any, timeout: float, what: str) -> None:  # noqa: ASYNC109
    """Poll `check()` (every 50 ms, at most `timeout` s); fails naming `what`."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} within {timeout} s")
        await asyncio.sleep(0.05)
