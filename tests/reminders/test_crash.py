"""The deputy's report survives a SIGKILL right after the last reminder was delivered."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.outbox.conftest import TOKEN, add_users, sent_counts
from vk_emulator import Emulator, EmulatorControl

WORKER = ROOT / "benchmarks" / "remind_worker.py"
FIRST_ID = 20_000
N = 40
DEPUTY = 9


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """A running emulator with its 20 requests/s limit on."""
    emu = Emulator(token=TOKEN, group_id=77, strict=True, seed=1)
    await emu.start(host="127.0.0.1", port=0)
    try:
        yield emu
    finally:
        await emu.stop()


@pytest.fixture
async def control(emulator: Emulator) -> AsyncIterator[EmulatorControl]:
    """The emulator's control API client."""
    async with EmulatorControl(emulator.base_url) as ctl:
        yield ctl


async def _worker(emulator: Emulator, db: Path, mode: str, *extra: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER), "--api-url", emulator.api_url, "--token", TOKEN, "--db", str(db),
        "--n", str(N), "--first-id", str(FIRST_ID), "--mode", mode, "--deputy", str(DEPUTY), *extra,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=str(ROOT),
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


async def _finish(proc: asyncio.subprocess.Process) -> dict[str, object]:
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, err.decode()
    result: dict[str, object] = json.loads(out.decode().strip().splitlines()[-1])
    return result


async def _reports(control: EmulatorControl) -> list[str]:
    return [str(item["text"]) for item in (await control.sent(DEPUTY))["items"]]


@pytest.mark.parametrize("kill_at", ["staging", "report"])
async def test_report_is_delivered_once_after_a_kill_past_the_last_reminder(
        emulator: Emulator, control: EmulatorControl, tmp_path: Path, kill_at: str) -> None:
    """Killed before or after the report's commit, the next start sends exactly one report."""
    ids = list(range(FIRST_ID, FIRST_ID + N))
    add_users(emulator, [*ids, DEPUTY])
    db = tmp_path / "remind.sqlite3"
    await _finish(await _worker(emulator, db, "seed"))

    first = await _worker(emulator, db, "run", "--kill-at", kill_at)
    await asyncio.wait_for(first.communicate(), timeout=60)
    assert first.returncode == -signal.SIGKILL
    # Every reminder was out before the kill; the report was not.
    assert set((await sent_counts(control, ids)).values()) == {1}
    assert await _reports(control) == []

    await _finish(await _worker(emulator, db, "run"))
    await _finish(await _worker(emulator, db, "run"))
    reports = await _reports(control)
    assert len(reports) == 1
    assert reports[0].startswith(f"Напоминания за неделю 14.11.2026–20.11.2026: не дошли до 0 из {N}.")
    assert set((await sent_counts(control, ids)).values()) == {1}
