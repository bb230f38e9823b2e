"""Test doubles for the outbox tests: virtual time for the rate limiter."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable


class VirtualTime:
    """A clock and a sleep that move only when the test runs the timers."""

    def __init__(self) -> None:
        self.now = 0.0
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.now + max(0.0, seconds), next(self._seq), fut))
        await fut

    async def settle(self) -> None:
        """Let every ready task run until all of them wait for a timer or an event."""
        for _ in range(20):
            await asyncio.sleep(0)

    async def run(self, until: Callable[[], bool], limit: float = 3600.0) -> None:
        """Fire timers in time order until `until()` holds (or virtual `limit` passes)."""
        await self.settle()
        while not until():
            if not self._timers:
                raise AssertionError("nothing left to run, the condition never held")
            deadline, _, fut = heapq.heappop(self._timers)
            if deadline > limit:
                raise AssertionError(f"condition still false at t={deadline}")
            self.now = max(self.now, deadline)
            if not fut.done():
                fut.set_result(None)
            await self.settle()
