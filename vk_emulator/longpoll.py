"""Bots Long Poll: `a_check` with failed 1/2/3, held requests and the emulator's clock."""

from __future__ import annotations

import asyncio
from typing import Any

from emulator_common.waiting import hold_until
from vk_emulator.base import CoreBase

LONGPOLL_MAX_WAIT_S = 90.0


class LongPollMixin(CoreBase):
    """Serving the event log to long-poll clients."""

    def invalidate_keys(self) -> None:
        self.lp_keys.clear()

    async def long_poll(self, key: str, ts: str, wait: float) -> dict[str, Any]:
        """One `a_check`: failed answers first, then events after ts, held up to `wait` real seconds."""
        if self.faults.longpoll_failed:
            code = self.faults.longpoll_failed.pop(0)
            if code == 1:
                return {"failed": 1, "ts": str(self.lp_ts)}
            self.invalidate_keys()
            return {"failed": code}
        if key not in self.lp_keys:
            return {"failed": 2}
        try:
            position = int(ts)
        except ValueError:
            return {"failed": 1, "ts": str(self.lp_ts)}
        if position > self.lp_ts or position < self._lp_base:
            return {"failed": 1, "ts": str(self.lp_ts)}
        loop = asyncio.get_running_loop()
        hold = max(0.0, min(wait, LONGPOLL_MAX_WAIT_S))
        deadline = loop.time() + hold
        # The hold ends by real time (so a frozen clock never strands a client) or when the
        # emulator's clock has been advanced past it (so tests need not wait).
        clock_deadline = self.clock.now() + hold
        while True:
            if position < self.lp_ts:
                updates = self._lp_log[position - self._lp_base :]
                return {"ts": str(self.lp_ts), "updates": updates}
            remaining = deadline - loop.time()
            if remaining <= 0 or self.closing or self.clock.now() >= clock_deadline:
                return {"ts": str(self.lp_ts), "updates": []}
            self.lp_holding += 1
            self.holding_wakeup.fire()
            try:
                await self.lp_wakeup.wait(remaining)
            finally:
                self.lp_holding -= 1
            if position < self._lp_base:
                return {"failed": 1, "ts": str(self.lp_ts)}

    async def wait_poller(self, wait: float) -> bool:
        """Wait up to `wait` real seconds until a long-poll request is being held (a bot is
        listening, so events emitted from now on reach it); return whether one is."""
        return await hold_until(lambda: self.lp_holding > 0, bool, self.holding_wakeup, wait, lambda: self.closing)
