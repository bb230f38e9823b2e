"""The bot's update queue for long polling (`GET /updates`) and its marker semantics.

Markers are positive integers; every update gets the next one. A poll with `marker` M confirms
every update before M, and a confirmed update is never delivered again. A poll without a marker
gets the updates not yet confirmed (the official TypeScript client's first poll carries none).
The answer's `marker` points at the next update to come. As in MAX, long polling keeps an update
for 24 hours (on the emulator's clock); an older one is gone.
"""

from __future__ import annotations

import asyncio
from typing import Any

from emulator_common.clock import Clock
from emulator_common.waiting import Wakeup, hold_until

RETENTION_S = 24 * 3600.0


class UpdateQueue:
    """Unconfirmed updates, oldest first, held long polls and their wake-up."""

    def __init__(self) -> None:
        self.next_id = 1
        self.confirmed = 1
        self._items: list[tuple[int, dict[str, Any]]] = []
        self.wakeup = Wakeup()
        self.holding = 0
        self.holding_wakeup = Wakeup()
        self.closing = False

    def push(self, update: dict[str, Any]) -> int:
        number = self.next_id
        self.next_id += 1
        self._items.append((number, update))
        self.wakeup.fire()
        return number

    def drain(self) -> list[dict[str, Any]]:
        """Take every unconfirmed update out (a webhook subscription takes them over)."""
        items = [update for _, update in self._items]
        self._items = []
        self.confirmed = self.next_id
        return items

    def clear(self) -> None:
        """Forget queued updates; markers stay monotonic for pollers that keep running."""
        self._items = []
        self.confirmed = self.next_id
        self.wakeup.fire()

    def pending(self) -> int:
        return len(self._items)

    def _confirm(self, marker: int) -> None:
        if marker > self.confirmed:
            self.confirmed = min(marker, self.next_id)
            self._items = [(n, u) for n, u in self._items if n >= self.confirmed]

    def expire(self, now_s: float) -> int:
        """Forget updates older than the retention; return how many went."""
        oldest_ms = (now_s - RETENTION_S) * 1000
        kept = [(n, u) for n, u in self._items if u["timestamp"] >= oldest_ms]
        gone = len(self._items) - len(kept)
        self._items = kept
        return gone

    def _take(self, limit: int, types: set[str] | None) -> tuple[list[dict[str, Any]], int]:
        taken: list[dict[str, Any]] = []
        marker = self.confirmed
        for number, update in self._items:
            if len(taken) >= limit:
                break
            marker = number + 1
            if types is None or update["update_type"] in types:
                taken.append(update)
        return taken, marker

    async def poll(
        self,
        marker: int | None,
        limit: int,
        hold_s: float,
        types: set[str] | None,
        clock: Clock,
        still_polling: Any,
    ) -> tuple[list[dict[str, Any]], int]:
        """Updates after `marker` (confirming what is before it), held up to `hold_s` real
        seconds, or until the emulator's clock passes the same deadline, for the first one."""
        if marker is not None:
            self._confirm(marker)
        self.expire(clock.now())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + hold_s
        clock_deadline = clock.now() + hold_s
        while True:
            taken, next_marker = self._take(limit, types)
            remaining = deadline - loop.time()
            if (
                taken
                or remaining <= 0
                or self.closing
                or clock.now() >= clock_deadline
                or not still_polling()
            ):
                return taken, next_marker
            self.holding += 1
            self.holding_wakeup.fire()
            try:
                await self.wakeup.wait(remaining)
            finally:
                self.holding -= 1

    async def wait_poller(self, wait: float) -> bool:
        """Wait up to `wait` real seconds until a long poll is held; return whether one is."""
        return await hold_until(lambda: self.holding > 0, bool, self.holding_wakeup, wait, lambda: self.closing)
