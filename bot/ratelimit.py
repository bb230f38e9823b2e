"""A priority-aware rate limiter for one VK token (pure asyncio, testable with a fake clock).

VK counts requests per token in a sliding one-second window. The limiter keeps the
bot under it without bursting: starts follow a schedule `window / rps` apart, and a slot is
held from the start of a request until one window after its *end*, since VK may see
the request arrive at any moment in between. Interactive requests (replies, callback
answers) always take the next free slot before bulk sends.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import IntEnum


class Priority(IntEnum):
    """Lower goes first."""

    INTERACTIVE = 0
    BULK = 1


_current: ContextVar[Priority] = ContextVar("sferum_request_priority", default=Priority.INTERACTIVE)


def current_priority() -> Priority:
    """The priority of API calls made in this context (interactive unless marked)."""
    return _current.get()


@contextmanager
def priority(value: Priority) -> Iterator[None]:
    """Mark the API calls made inside the block (and tasks started there) with `value`."""
    token = _current.set(value)
    try:
        yield
    finally:
        _current.reset(token)


class RateLimiter:
    """At most `rps` requests in any `window` seconds, spaced evenly, by priority.

    A slot counts until one `window` (plus `margin`) after its request ended, or after
    `max_hold` seconds from its start if that comes first: the request reached VK at
    some moment in between, and `max_hold` bounds how late that can be assumed to be,
    so that slow answers (long processing, a distant VK) do not waste the budget.
    `clock` and `sleep` are injectable so that tests run on virtual time.
    """

    def __init__(self, rps: float, *, window: float = 1.0, margin: float = 0.0,
                 max_hold: float | None = None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if rps <= 0:
            raise ValueError("rps must be positive")
        self.rps = rps
        # The margin covers clock skew between us and VK: a slot is held a little longer.
        self.window = window + margin
        self._span = window
        self.interval = window / rps
        self.max_hold = max_hold
        self._clock = clock
        self._sleep = sleep
        self._heap: list[tuple[int, int, asyncio.Future[float]]] = []
        self._seq = itertools.count()
        # End times of recent requests (a heap: with max_hold they arrive out of order).
        self._ended: list[float] = []
        self._in_flight = 0
        self._next_start: float | None = None
        self._not_before = 0.0
        self._released = asyncio.Event()
        self._pump_task: asyncio.Task[None] | None = None
        self.granted = {p: 0 for p in Priority}
        # Told how long the limiter holds requests back each time it has to (the metrics' rate-limit waits).
        self.on_wait: Callable[[float], None] | None = None

    @property
    def waiting(self) -> int:
        """Requests queued for a slot."""
        return sum(1 for _, _, fut in self._heap if not fut.done())

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def set_rps(self, rps: float) -> None:
        """Change the budget from now on (this worker's share when several workers use the token)."""
        if rps <= 0:
            raise ValueError("rps must be positive")
        self.rps = rps
        self.interval = self._span / rps

    def pause(self, seconds: float) -> None:
        """Grant nothing for `seconds` (after VK said «too many requests» anyway)."""
        self._not_before = max(self._not_before, self._clock() + seconds)

    async def acquire(self, prio: Priority | None = None) -> float:
        """Wait for a slot and return the moment it was granted.

        The caller must `release(granted_at)` when the request has ended.
        """
        level = current_priority() if prio is None else prio
        fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._heap, (int(level), next(self._seq), fut))
        self._ensure_pump()
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                # Granted in the same tick as the cancellation: give the slot back.
                self.release()
            raise
        self.granted[level] += 1
        return fut.result()

    def release(self, granted_at: float | None = None) -> None:
        """The request that held a slot has ended (answered, failed or timed out).

        With `max_hold` set and the grant time given, a slow request counts as having
        reached VK no later than `max_hold` after it started.
        """
        now = self._clock()
        if granted_at is not None and self.max_hold is not None:
            now = min(now, granted_at + self.max_hold)
        self._in_flight -= 1
        heapq.heappush(self._ended, now)
        self._released.set()

    @asynccontextmanager
    async def slot(self, prio: Priority | None = None) -> AsyncIterator[None]:
        """Hold one slot for the duration of the block."""
        granted_at = await self.acquire(prio)
        try:
            yield
        finally:
            self.release(granted_at)

    def delay(self) -> float | None:
        """Seconds until the next grant is allowed; None while every slot is in flight."""
        now = self._clock()
        while self._ended and self._ended[0] <= now - self.window:
            heapq.heappop(self._ended)
        wait = self._not_before - now
        if self._next_start is not None:
            wait = max(wait, self._next_start - now)
        if self._in_flight + len(self._ended) >= self.rps:
            if not self._ended:
                return None
            wait = max(wait, self._ended[0] + self.window - now)
        return max(0.0, wait)

    def _ensure_pump(self) -> None:
        loop = asyncio.get_running_loop()
        task = self._pump_task
        if task is not None and not task.done() and task.get_loop() is not loop:
            # The limiter outlived an event loop (asyncio.run twice): forget that loop's waiters.
            self._heap = [w for w in self._heap if w[2].get_loop() is loop]
            heapq.heapify(self._heap)
            self._released = asyncio.Event()
            self._in_flight = 0
            task = None
        if task is None or task.done():
            self._pump_task = loop.create_task(self._pump())

    async def _pump(self) -> None:
        while self._heap:
            if self._heap[0][2].done():
                heapq.heappop(self._heap)  # cancelled while waiting
                continue
            wait = self.delay()
            if wait is None:
                self._released.clear()
                await self._released.wait()
                continue
            if wait > 0:
                if self.on_wait is not None:
                    self.on_wait(wait)
                await self._sleep(wait)
                continue
            _, _, fut = heapq.heappop(self._heap)
            if fut.done():
                continue
            self._in_flight += 1
            now = self._clock()
            # Spacing follows an ideal schedule: a grant that came a little late (a busy
            # loop) does not push every later one back; the window rule still caps bursts.
            scheduled = now if self._next_start is None else max(self._next_start, now - self.interval)
            self._next_start = scheduled + self.interval
            fut.set_result(now)


@dataclass
class Backoff:
    """Exponential waits between failed attempts: `base`, 2×`base`, 4×`base` … up to `cap`."""

    base: float = 0.5
    cap: float = 30.0
    attempt: int = 0

    def next_delay(self) -> float:
        delay = min(self.cap, self.base * 2.0 ** self.attempt)
        self.attempt += 1
        return delay

    def reset(self) -> None:
        self.attempt = 0
