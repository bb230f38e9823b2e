"""Sliding one-second windows on the emulator's clock (requests per second per key)."""

from __future__ import annotations

from collections import deque


class RateWindows:
    """Counts events per key over the last second of the given clock time."""

    def __init__(self) -> None:
        self._windows: dict[object, deque[float]] = {}

    def _window(self, key: object, now: float) -> deque[float]:
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = deque()
        while window and window[0] <= now - 1.0:
            window.popleft()
        return window

    def allow(self, key: object, limit: int | None, now: float) -> bool:
        """Record one event unless `limit` events already happened within the second before
        `now`; None means no limit."""
        if limit is None:
            return True
        window = self._window(key, now)
        if len(window) >= limit:
            return False
        window.append(now)
        return True

    def full(self, key: object, limit: int | None, now: float) -> bool:
        """Whether one more event would exceed `limit` (records nothing)."""
        return limit is not None and len(self._window(key, now)) >= limit

    def record(self, key: object, now: float) -> None:
        """Count an event without checking."""
        self._window(key, now).append(now)

    def clear(self) -> None:
        self._windows.clear()
