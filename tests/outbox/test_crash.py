"""A bulk send killed with SIGKILL mid-way and restarted delivers every message exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.outbox.conftest import TOKEN, add_users, sent_counts
from vk_emulator import Emulator, EmulatorControl

WORKER = ROOT / "benchmarks" / "bulk_worker.py"
FIRST_ID = 10_000
N = 500


async def _spawn(emulator: Emulator, db: Path, mode: str = "send") -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER), "--api-url", emulator.api_url, "--token", TOKEN,
        "--db", str(db), "--n", str(N), "--first-id", str(FIRST_ID), "--mode", mode,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=str(ROOT),
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


async def _finish(proc: asyncio.subprocess.Process) -> dict[str, object]:
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, err.decode()
    result: dict[str, object] = json.loads(out.decode().strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("kill_after", [0, 300])
async def test_sigkill_mid_send_then_restart_delivers_exactly_once(
        emulator: Emulator, control: EmulatorControl, tmp_path: Path, kill_after: int) -> None:
    """Kill the sender mid-send (requests in flight), restart twice: 500 users, one message each."""
    ids = list(range(FIRST_ID, FIRST_ID + N))
    add_users(emulator, ids)
    # Slow answers keep requests in flight at the moment of the kill; drops lose some answers.
    await control.faults(delay_ms=[5, 40], drop_rate=0.05)
    db = tmp_path / "crash.sqlite3"
    first = await _spawn(emulator, db)
    # Messages go out in id order: once user #kill_after has one, that much is done.
    await control.wait_sent(ids[kill_after], 1, timeout=30)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    assert first.returncode == -signal.SIGKILL
    delivered_at_kill = (await control.stats())["delivered"]
    assert kill_after < delivered_at_kill < N

    resumed = await _finish(await _spawn(emulator, db, "resume"))
    pending_at_kill = int(str(resumed["messages"]))
    assert 0 < pending_at_kill <= N
    # Delivered before the kill but not yet recorded as sent: re-sent, and dropped by random_id.
    unrecorded = delivered_at_kill - (N - pending_at_kill)
    assert (await control.stats())["deduplicated"] >= unrecorded
    again = await _finish(await _spawn(emulator, db, "send"))
    assert again == {"mode": "send", "messages": N, "ok": N, "seconds": again["seconds"]}

    counts = await sent_counts(control, ids)
    assert sorted(set(counts.values())) == [1]
    assert (await control.stats())["delivered"] == N
