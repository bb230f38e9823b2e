"""An in-memory StateStore for tests (the contract suite runs it beside SQLite)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from bot.messaging.state import StateKey, StateValue


class FakeStateStore:
    """Dialog steps in a dict; returns copies, as the SQLite store does."""

    def __init__(self, now: Callable[[], dt.datetime]) -> None:
        self._now = now
        self._rows: dict[StateKey, StateValue] = {}

    def _live(self, value: StateValue) -> bool:
        return value.expires_at is None or value.expires_at > self._now()

    async def get(self, key: StateKey) -> StateValue | None:
        value = self._rows.get(key)
        return value.model_copy(deep=True) if value is not None and self._live(value) else None

    async def set(self, key: StateKey, state: str, data: dict[str, Any] | None = None, *,
                  ttl: dt.timedelta | None = None) -> StateValue:
        expires = (self._now() + ttl).replace(microsecond=0) if ttl is not None else None
        self._rows[key] = StateValue(state=state, data=dict(data or {}), expires_at=expires)
        return self._rows[key].model_copy(deep=True)

    async def delete(self, key: StateKey) -> None:
        self._rows.pop(key, None)

    async def purge_expired(self) -> int:
        dead = [k for k, v in self._rows.items() if not self._live(v)]
        for key in dead:
            del self._rows[key]
        return len(dead)
