"""The rate share of several workers and the supervisor of `run --workers N`."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.ops.cluster import Cluster, max_role
from bot.ops.supervisor import Supervisor, worker_argv
from bot.ratelimit import RateLimiter


class Registry:
    """A workers table with `count` fresh workers."""

    def __init__(self, count: int) -> None:
        self.count = count

    async def alive(self, now: dt.datetime, within: dt.timedelta) -> Sequence[Any]:
        return list(range(self.count))


async def test_each_worker_gets_its_share_of_the_token_budget() -> None:
    """Two live workers: 95 % of 10 of 20 requests/s each; when one leaves, the other goes back to 20."""
    limiter = RateLimiter(20)
    registry = Registry(2)
    cluster = Cluster(url="postgresql://x/y", worker_id="w1", workers=registry, shared=[(limiter, 20.0)])
    assert await cluster.share_once() == 2
    assert limiter.rps == 9.5 and round(limiter.interval, 4) == round(1 / 9.5, 4)
    registry.count = 1
    await cluster.share_once()
    assert limiter.rps == 20 and limiter.interval == 0.05


async def test_a_joining_worker_sends_nothing_until_the_others_counted_it() -> None:
    """The share loop first holds the limiter back for two counting periods."""
    limiter = RateLimiter(20)
    sleeps: list[float] = []

    async def stop_after_first(seconds: float) -> None:
        sleeps.append(seconds)
        raise asyncio.CancelledError

    cluster = Cluster(url="u", worker_id="w", workers=Registry(3), shared=[(limiter, 20.0)], refresh=1.5,
                      sleep=stop_after_first)
    with contextlib.suppress(asyncio.CancelledError):
        await cluster.share_forever()
    assert sleeps == [1.5] and round(limiter.rps, 3) == round(20 * 0.95 / 3, 3)
    delay = limiter.delay()
    assert delay is not None and delay > 2.9


def test_role_names_are_stable_and_hold_no_token() -> None:
    assert max_role("secret-token") == max_role("secret-token") != max_role("other")
    assert "secret" not in max_role("secret-token")


def test_a_worker_runs_the_same_command_with_one_worker() -> None:
    assert worker_argv(["run", "--config", "c.toml", "--workers", "3"])[1:] == \
        ["-m", "bot", "run", "--config", "c.toml", "--workers", "1"]
    assert worker_argv(["run", "--workers=2"])[3:] == ["run", "--workers", "1"]


async def test_the_supervisor_restarts_a_dead_worker_and_stops_all_on_sigterm(tmp_path: Path) -> None:
    """Two workers; one is SIGKILLed and comes back with a new pid; stop() ends both with SIGTERM."""
    started = tmp_path / "started"
    script = ("import pathlib, os, signal, sys, time\n"
              f"p = pathlib.Path({str(started)!r}); p.open('a').write(f'{{os.getpid()}}\\n')\n"
              "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
              "while True: time.sleep(1)\n")
    supervisor = Supervisor([sys.executable, "-c", script], 2, first_pause=0.05)
    running = asyncio.create_task(supervisor.run())

    def pids() -> list[int]:
        return [int(x) for x in started.read_text().split()] if started.exists() else []

    async def until(check: Any) -> None:
        for _ in range(600):  # at most 30 s, polled
            if check():
                return
            await asyncio.sleep(0.05)
        raise AssertionError("timed out")

    await until(lambda: len(pids()) == 2 and len(supervisor.procs) == 2)
    victim = supervisor.procs[1]
    victim.send_signal(signal.SIGKILL)
    await until(lambda: len(pids()) == 3)
    assert supervisor.restarts == 1 and supervisor.procs[1].pid not in (victim.pid,)
    supervisor.stop()
    assert await asyncio.wait_for(running, 30) == 0
    assert all(p.returncode == 0 for p in supervisor.procs.values())


async def test_one_long_sweep_holds_up_no_other() -> None:
    """Two communities' sweeps in one worker: while the first drains a long wave, the second still sweeps
    (sequential sweeps halved two communities' throughput), and each repeats after `sweep` seconds."""
    first_busy = asyncio.Event()
    release_first = asyncio.Event()
    second_calls = 0
    second_swept_twice = asyncio.Event()

    async def long_drain() -> None:
        first_busy.set()
        await release_first.wait()

    async def other() -> None:
        nonlocal second_calls
        second_calls += 1
        if second_calls == 2:
            second_swept_twice.set()

    async def no_wait(seconds: float) -> None:
        assert seconds == 0.25
        await asyncio.sleep(0)

    cluster = Cluster(url="u", worker_id="w", workers=Registry(1), sweep=0.25, sleep=no_wait)
    task = asyncio.create_task(cluster.sweep_forever([long_drain, other]))
    try:
        await asyncio.wait_for(second_swept_twice.wait(), 5)
        assert first_busy.is_set() and not release_first.is_set()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_failing_sweep_is_logged_and_tried_again(caplog: Any) -> None:
    calls = 0
    again = asyncio.Event()

    async def failing() -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            again.set()
        raise RuntimeError("database away")

    async def no_wait(seconds: float) -> None:
        await asyncio.sleep(0)

    cluster = Cluster(url="u", worker_id="w", workers=Registry(1), sleep=no_wait)
    task = asyncio.create_task(cluster.sweep_forever([failing]))
    try:
        await asyncio.wait_for(again.wait(), 5)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert "не удалось разобрать очередь" in caplog.text
