"""One worker per role: the standby loop on a fake lease, and the advisory lock on a real PostgreSQL."""

from __future__ import annotations

import asyncio

import psycopg

from bot.ops.leader import while_held
from storage.leases import AdvisoryLock


class FakeLease:
    """A lock that is free after `busy` tries and lost after `held_checks` checks (once)."""

    name = "scheduler"

    def __init__(self, busy: int, held_checks: int | None = None) -> None:
        self.busy = busy
        self.held_checks = held_checks
        self.tries = 0
        self.released = False

    async def try_acquire(self) -> bool:
        self.tries += 1
        return self.tries > self.busy

    async def still_held(self) -> bool:
        if self.held_checks is None:
            return True
        self.held_checks -= 1
        if self.held_checks < 0:
            self.held_checks = None
            return False
        return True

    async def release(self) -> None:
        self.released = True


async def test_a_standby_runs_the_role_once_the_lock_is_free() -> None:
    """Two tries fail (two retry pauses), the third takes the lock and the work runs; the lock is given up."""
    lease, pauses, ran = FakeLease(busy=2), [], []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    async def work() -> None:
        ran.append(True)

    await while_held(lease, work, retry=3.0, sleep=pause)
    assert pauses == [3.0, 3.0] and ran == [True] and lease.released


async def test_a_lost_lock_stops_the_role_until_it_is_taken_again() -> None:
    """The holder's connection dies: the running work is cancelled, and started again once re-taken."""
    lease = FakeLease(busy=0, held_checks=0)
    starts: list[int] = []
    cancelled = asyncio.Event()

    async def work() -> None:
        starts.append(len(starts))
        if len(starts) == 1:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.set()
                raise

    await asyncio.wait_for(while_held(lease, work, retry=0.01), timeout=10)
    assert cancelled.is_set() and starts == [0, 1] and lease.tries == 2


async def test_the_advisory_lock_has_one_holder_and_frees_when_its_session_dies(pg_url: str) -> None:
    """A second worker cannot take a held role; it can once the holder's session is gone (a SIGKILL)."""
    holder, standby = AdvisoryLock(pg_url, "vk:77"), AdvisoryLock(pg_url, "vk:77")
    other_role = AdvisoryLock(pg_url, "scheduler")
    try:
        assert await holder.try_acquire()
        assert not await standby.try_acquire()
        assert await other_role.try_acquire(), "roles with other names are independent"
        assert holder._conn is not None
        row = await (await holder._conn.execute("SHOW tcp_keepalives_idle")).fetchone()
        assert row is not None and str(row[0]) in ("5", "5s"), "the server would not notice a vanished machine"
        pid = holder._conn.info.backend_pid
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        assert not await holder.still_held()
        assert await standby.try_acquire()
        assert await standby.still_held()
    finally:
        for lock in (holder, standby, other_role):
            await lock.release()
