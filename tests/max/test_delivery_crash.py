"""`sferum-bot run` in MAX, SIGKILLed three times mid-send with 5 % of answers dropped: nobody loses or doubles a message."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from max_emulator import MaxEmulator
from tests import benchmark_scripts

run = benchmark_scripts.load("max_bot_run")
N = 60
IDS = [7_100_000 + i for i in range(N)]


@pytest.fixture
async def emu() -> AsyncIterator[MaxEmulator]:
    """The MAX emulator with its limits on (30 requests/s, 2 sends/s a chat)."""
    emulator = MaxEmulator(token=run.TOKEN, bot_id=run.BOT_ID, seed=5)
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()
    assert emulator.state.schema_violations == []


async def test_three_kills_and_dropped_answers_lose_and_double_nothing(emu: MaxEmulator, tmp_path: Path) -> None:
    """Killed after about 15, 30 and 45 reminders, then left to finish: each teacher has exactly one
    reminder, the deputy exactly one report, and the outbox is empty."""
    bots: list[Any] = []
    try:
        run.write_config(tmp_path, emu.base_url, run.free_port())
        await run.seed(tmp_path, emu, IDS)
        emu.ops.set_faults({"drop_rate": 0.05})
        for threshold in (15, 30, 45):
            bot = await run.start_bot(tmp_path)
            bots.append(bot)
            await run.wait_for(lambda t=threshold: sum(run.delivered(emu, IDS).values()) >= t, 60,
                               f"{threshold} reminders", bot)
            await bot.kill()
        bot = await run.start_bot(tmp_path)
        bots.append(bot)
        await run.wait_for(lambda: all(run.delivered(emu, IDS).values()) and run.reports(emu)
                           and run.outbox_left(tmp_path) == 0, 90, "every reminder and the report", bot)
        assert await bot.stop() == 0
        assert set(run.delivered(emu, IDS).values()) == {1}
        [report] = run.reports(emu)
        assert report.startswith(f"Напоминания за неделю 14.11.2026–20.11.2026: не дошли до 0 из {N}.")
        assert emu.state.stats.dropped_answers > 0
    finally:
        for left in bots:  # a failed wait must not leave a bot running
            if left.proc.returncode is None:
                await left.kill()
