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
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
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

    `clock` and `sleep` are injectable so that tests run on virtual time.
    """

    def __init__(self, rps: float, *, window: float = 1.0, margin: float = 0.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if rps <= 0:
            raise ValueError("rps must be positive")
        self.rps = rps
        # The margin covers clock skew between us and VK: a slot is held a little longer.
        self.window = window + margin
        self.interval = window / rps
        self._clock = clock
        self._sleep = sleep
        self._heap: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._ended: deque[float] = deque()
        self._in_flight = 0
        self._next_start: float | None = None
        self._not_before = 0.0
        self._released = asyncio.Event()
        self._pump_task: asyncio.Task[None] | None = None
        self.granted = {p: 0 for p in Priority}

    @property
    def waiting(self) -> int:
        """Requests queued for a slot."""
        return sum(1 for _, _, fut in self._heap if not fut.done())

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def pause(self, seconds: float) -> None:
        """Grant nothing for `seconds` (after VK said «too many requests» anyway)."""
        self._not_before = max(self._not_before, self._clock() + seconds)

    async def acquire(self, prio: Priority | None = None) -> None:
        """Wait for a slot; the caller must `release()` when the request has ended."""
        level = current_priority() if prio is None else prio
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
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

    def release(self) -> None:
        """The request that held a slot has ended (answered, failed or timed out)."""
        self._in_flight -= 1
        self._ended.append(self._clock())
        self._released.set()

    @asynccontextmanager
    async def slot(self, prio: Priority | None = None) -> AsyncIterator[None]:
        """Hold one slot for the duration of the block."""
        await self.acquire(prio)
        try:
            yield
        finally:
            self.release()

    def delay(self) -> float | None:
        """Seconds until the next grant is allowed; None while every slot is in flight."""
        now = self._clock()
        while self._ended and self._ended[0] <= now - self.window:
            self._ended.popleft()
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
            fut.set_result(None)
