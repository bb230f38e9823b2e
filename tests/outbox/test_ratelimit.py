"""The priority-aware rate limiter on virtual time."""

from __future__ import annotations

import asyncio

import pytest

from bot.ratelimit import Priority, RateLimiter, current_priority, priority
from tests.outbox.fakes import VirtualTime


def _max_in_window(times: list[float], window: float) -> int:
    # The epsilon keeps float rounding of the virtual clock out of the count.
    return max(sum(1 for u in times if t - window + 1e-9 < u <= t) for t in times)


async def test_interactive_goes_before_queued_bulk() -> None:
    """Interactive requests queued after bulk ones are granted first."""
    vt = VirtualTime()
    limiter = RateLimiter(2, clock=vt.clock, sleep=vt.sleep)
    order: list[str] = []

    async def one(name: str, prio: Priority) -> None:
        async with limiter.slot(prio):
            order.append(name)

    tasks = [asyncio.create_task(one(f"b{i}", Priority.BULK)) for i in range(4)]
    tasks += [asyncio.create_task(one(f"i{i}", Priority.INTERACTIVE)) for i in range(2)]
    await vt.run(lambda: all(t.done() for t in tasks))
    assert order == ["i0", "i1", "b0", "b1", "b2", "b3"]
    assert limiter.granted == {Priority.INTERACTIVE: 2, Priority.BULK: 4}


async def test_spacing_and_window_never_exceeded() -> None:
    """Starts are spaced 1/rps apart and no window holds more than rps starts."""
    vt = VirtualTime()
    limiter = RateLimiter(20, clock=vt.clock, sleep=vt.sleep)
    starts: list[float] = []

    async def one() -> None:
        async with limiter.slot(Priority.BULK):
            starts.append(vt.now)

    tasks = [asyncio.create_task(one()) for _ in range(100)]
    await vt.run(lambda: all(t.done() for t in tasks))
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert min(gaps) >= 0.05 - 1e-9
    assert _max_in_window(starts, 1.0) <= 20
    # Smooth, not bursty: 100 requests at 20/s take about five seconds.
    assert 4.9 <= starts[-1] <= 5.5


async def test_slot_is_held_until_a_window_after_the_request_ends() -> None:
    """A slow request keeps its slot for one window after it ends, so VK never sees rps+1."""
    vt = VirtualTime()
    limiter = RateLimiter(2, clock=vt.clock, sleep=vt.sleep)
    events: list[tuple[str, float]] = []

    async def one(name: str, hold: float) -> None:
        async with limiter.slot(Priority.BULK):
            events.append((name, vt.now))
            await vt.sleep(hold)
        events.append((name + "-end", vt.now))

    tasks = [asyncio.create_task(one("a", 3.0)), asyncio.create_task(one("b", 0.0)),
             asyncio.create_task(one("c", 0.0))]
    await vt.run(lambda: all(t.done() for t in tasks))
    times = dict(events)
    assert times["a"] == 0.0 and times["b"] == 0.5
    # b ended at 0.5: c may start one window later (a is still in flight).
    assert times["c"] == pytest.approx(1.5)


async def test_max_hold_caps_how_long_a_slow_request_counts() -> None:
    """With max_hold, a request still in flight counts as started-plus-max_hold once it ends."""
    vt = VirtualTime()
    limiter = RateLimiter(1, max_hold=0.2, clock=vt.clock, sleep=vt.sleep)
    starts: list[float] = []

    async def one(hold: float) -> None:
        async with limiter.slot():
            starts.append(vt.now)
            await vt.sleep(hold)

    tasks = [asyncio.create_task(one(0.5)), asyncio.create_task(one(0.0))]
    await vt.run(lambda: all(t.done() for t in tasks))
    # The first ended at 0.5 but counts as ending at 0.2: the second starts at 1.2, not 1.5.
    assert starts == [0.0, pytest.approx(1.2)]


async def test_all_slots_in_flight_waits_for_a_release() -> None:
    """With every slot in flight the next request waits until one ends plus a window."""
    vt = VirtualTime()
    limiter = RateLimiter(1, clock=vt.clock, sleep=vt.sleep)
    gate = asyncio.Event()
    starts: list[float] = []

    async def blocker() -> None:
        async with limiter.slot():
            starts.append(vt.now)
            await gate.wait()

    async def follower() -> None:
        async with limiter.slot():
            starts.append(vt.now)

    t1 = asyncio.create_task(blocker())
    t2 = asyncio.create_task(follower())
    await vt.settle()
    assert starts == [0.0] and limiter.waiting == 1 and limiter.in_flight == 1
    vt.now = 7.0
    gate.set()
    await vt.run(lambda: t1.done() and t2.done())
    assert starts == [0.0, 8.0]


async def test_pause_delays_every_grant() -> None:
    """After pause(s) nothing is granted for s seconds."""
    vt = VirtualTime()
    limiter = RateLimiter(20, clock=vt.clock, sleep=vt.sleep)
    limiter.pause(2.0)
    starts: list[float] = []

    async def one() -> None:
        async with limiter.slot():
            starts.append(vt.now)

    task = asyncio.create_task(one())
    await vt.run(task.done)
    assert starts == [2.0]


async def test_cancelled_waiter_gives_up_its_place() -> None:
    """A waiter cancelled in the queue is skipped and leaks no slot."""
    vt = VirtualTime()
    limiter = RateLimiter(1, clock=vt.clock, sleep=vt.sleep)
    got: list[str] = []

    async def one(name: str) -> None:
        async with limiter.slot():
            got.append(name)

    first = asyncio.create_task(one("a"))
    second = asyncio.create_task(one("b"))
    third = asyncio.create_task(one("c"))
    await vt.settle()
    second.cancel()
    await vt.run(lambda: first.done() and third.done())
    assert got == ["a", "c"]
    assert limiter.in_flight == 0 and second.cancelled()


async def test_priority_context_variable() -> None:
    """priority() marks calls in its block and in tasks started there; default is interactive."""
    assert current_priority() is Priority.INTERACTIVE
    with priority(Priority.BULK):
        assert current_priority() is Priority.BULK
        inner = await asyncio.create_task(asyncio.sleep(0, result=current_priority()))
        assert inner is Priority.BULK
    assert current_priority() is Priority.INTERACTIVE


def test_limiter_survives_a_second_event_loop() -> None:
    """A limiter whose first loop was closed mid-wait still grants under the next loop."""
    limiter = RateLimiter(1, window=0.01)

    async def stuck() -> None:
        # One slot held forever and a second waiter: the pump waits for a release.
        await limiter.acquire()
        asyncio.get_running_loop().create_task(limiter.acquire())
        for _ in range(5):
            await asyncio.sleep(0)

    async def fresh() -> bool:
        async with asyncio.timeout(5), limiter.slot():
            return True

    first = asyncio.new_event_loop()
    first.run_until_complete(stuck())
    first.close()  # without cancelling the pump: as if that loop just went away
    assert asyncio.run(fresh())
