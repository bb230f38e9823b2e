"""A wake-up signal for requests held by the emulators (long polls, `wait=` reads)."""

from __future__ import annotations

import asyncio
import contextlib


class Wakeup:
    """Held coroutines wait on it; `fire()` releases all of them at once."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    def fire(self) -> None:
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait(self, seconds: float) -> None:
        """Wait until fired or `seconds` real seconds pass."""
        if self._event is None:
            self._event = asyncio.Event()
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), max(0.0, seconds))
