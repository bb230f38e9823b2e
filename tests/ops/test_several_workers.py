"""Two real `sferum-bot run` workers on a real PostgreSQL against the VK emulator: the wave goes out once,
a SIGKILLed worker loses nothing and duplicates nothing, and the scheduler and the community's reader move
to the survivor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests import benchmark_scripts
from vk_emulator import Emulator

run = benchmark_scripts.load("workers_run")

TOKEN, GROUP_ID = "workers-token", 4242
# A standby tries a role's lock twice a second here (5 s in production), and a dead worker's outbox rows
# come back after 5 s (60 s in production), so the test waits seconds, not minutes.
FAST_ROLES = {"SFERUM_ROLE_RETRY_S": "0.5", "SFERUM_OUTBOX_LEASE_S": "5"}


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """The VK emulator with its 20 requests/s limit on."""
    emu = Emulator(token=TOKEN, group_id=GROUP_ID, strict=True, seed=3)
    await emu.start(host="127.0.0.1", port=0)
    try:
        yield emu
    finally:
        await emu.stop()


async def _holder(workers: list[run.Worker], role: str) -> list[run.Worker]:
    return [w for w in workers if f"роль {role}" in w.text()]


async def test_two_workers_send_a_wave_once_and_survive_a_sigkill(emulator: Emulator, pg_url: str,
                                                                   tmp_path: Path) -> None:
    """600 reminders stored while two workers run; one is SIGKILLed mid-wave: every teacher gets exactly one,
    VK never said «too many requests», and the survivor took over the scheduler and the Long Poll."""
    ids = list(range(10_000, 10_600))
    run.add_people(emulator, ids)
    config = run.write_config(tmp_path, emulator.api_url, pg_url, TOKEN, GROUP_ID)
    first = await run.start_worker(config, "w1.log", env=FAST_ROLES)
    workers = [first]
    try:
        async def first_holds_both() -> bool:
            return "роль scheduler" in first.text() and f"роль vk:{GROUP_ID}" in first.text()

        await run.wait_for(first_holds_both, 60, "scheduler and reader in the first worker")
        second = await run.start_worker(config, "w2.log", env=FAST_ROLES)
        workers.append(second)
        assert await run.store_wave(pg_url, ids) == 600

        async def some_sent() -> bool:
            return sum(run.delivered(emulator, ids).values()) >= 100

        await run.wait_for(some_sent, 60, "the first 100 messages")
        await first.kill()

        async def all_sent() -> bool:
            return (await run.outbox_counts(pg_url)).get("pending", 0) == 0

        await run.wait_for(all_sent, 120, "the whole wave")

        async def survivor_holds_both() -> bool:
            return "роль scheduler" in second.text() and f"роль vk:{GROUP_ID}" in second.text()

        await run.wait_for(survivor_holds_both, 30, "takeover of the scheduler and the reader")
        got = run.delivered(emulator, ids)
        assert set(got) == set(ids) and set(got.values()) == {1}, "a teacher got none or two"
        assert await run.outbox_counts(pg_url) == {"sent": 600}
        assert emulator.state.stats.rate_limited == 0
        assert await second.stop() == 0
    finally:
        for worker in workers:
            await worker.kill()


async def test_run_workers_2_on_postgresql_starts_two_and_sigterm_stops_both(emulator: Emulator, pg_url: str,
                                                                             tmp_path: Path) -> None:
    """`run --workers 2`: two processes register in `workers`; SIGTERM to the parent stops both cleanly."""
    import psycopg

    config = run.write_config(tmp_path, emulator.api_url, pg_url, TOKEN, GROUP_ID, metrics_port=run.free_port(2))
    parent = await run.start_worker(config, "parent.log", "--workers", "2", env=FAST_ROLES)

    def registered() -> list[int]:
        with psycopg.connect(pg_url) as conn:
            return [int(r[0]) for r in conn.execute("SELECT pid FROM workers").fetchall()]

    try:
        async def two() -> bool:
            return len(registered()) == 2 and parent.text().count("sferum-bot started for community") == 2

        await run.wait_for(two, 60, "two running workers")
        assert parent.proc.pid not in registered()
        assert "address already in use" not in parent.text(), "each worker has a /metrics port of its own"
        assert await parent.stop() == 0
        assert registered() == []
    finally:
        await parent.kill()
