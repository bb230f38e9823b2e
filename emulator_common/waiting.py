"""A wake-up signal for requests held by the emulators (long polls, `wait=` reads)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

#: The longest a control-API read may be held, in real seconds.
MAX_HOLD_S = 600.0


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


async def hold_until(read: Callable[[], T], enough: Callable[[T], bool], wakeup: Wakeup, wait: float,
                     closing: Callable[[], bool]) -> T:
    """`read()` again at each wake-up until `enough(result)`, `wait` real seconds pass, or the
    emulator closes; the last reading."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max(0.0, min(wait, MAX_HOLD_S))
    while True:
        value = read()
        remaining = deadline - loop.time()
        if enough(value) or remaining <= 0 or closing():
            return value
        await wakeup.wait(remaining)
