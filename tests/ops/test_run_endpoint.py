"""`sferum-bot run` serves /healthz, /readyz and /metrics on [metrics] port and keeps its row in `workers`."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from max_emulator import MaxEmulator
from tests import benchmark_scripts

run = benchmark_scripts.load("max_bot_run")


@pytest.fixture
async def emu() -> AsyncIterator[MaxEmulator]:
    """The MAX emulator on 127.0.0.1."""
    emulator = MaxEmulator(token=run.TOKEN, bot_id=run.BOT_ID, seed=5)
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


async def _get(port: int, path: str) -> tuple[int, str]:
    try:
        async with aiohttp.ClientSession() as session, \
                session.get(f"http://127.0.0.1:{port}{path}", timeout=aiohttp.ClientTimeout(total=5)) as resp:
            return resp.status, await resp.text()
    except aiohttp.ClientError:
        return 0, ""


def _workers(folder: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(f"file:{run.db_path(folder)}?mode=ro", uri=True) as conn:
        return [(r[0], int(r[1])) for r in conn.execute("SELECT host, pid FROM workers")]


async def test_run_serves_the_endpoint_and_registers_itself(emu: MaxEmulator, tmp_path: Path) -> None:
    """Ready once MAX accepted the token; /metrics is Prometheus text; SIGTERM leaves the workers table empty."""
    metrics_port = run.free_port()
    config = run.write_config(tmp_path, emu.base_url, run.free_port())
    config.write_text(config.read_text("utf-8") + f'\n[metrics]\nport = {metrics_port}\n', "utf-8")
    bot = await run.start_bot(tmp_path)
    try:
        ready: list[tuple[int, str]] = []

        async def probe() -> None:
            ready.append(await _get(metrics_port, "/readyz"))

        for _ in range(1500):  # polling with a bound (30 s)
            await probe()
            if ready[-1][0] == 200 or bot.proc.returncode is not None:
                break
            await asyncio.sleep(0.02)
        assert ready[-1] == (200, "ok\n"), (tmp_path / "bot.log").read_text("utf-8")[-2000:]
        assert await _get(metrics_port, "/healthz") == (200, "ok\n")
        status, text = await _get(metrics_port, "/metrics")
        assert status == 200 and 'sferum_outbox_queue{messenger="max",status="pending"}' in text
        assert [pid for _, pid in _workers(tmp_path)] == [bot.proc.pid]
        assert await bot.stop() == 0
        assert _workers(tmp_path) == []
    finally:
        if bot.proc.returncode is None:
            await bot.kill()
