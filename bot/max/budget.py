"""One rate budget for a MAX bot: 30 requests in any second overall (interactive replies ahead of bulk),
and at most 2 sends a second into one chat, spaced half a second apart (a burst of 1)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from bot.ratelimit import Priority, RateLimiter

GLOBAL_RPS = 30
PER_CHAT_RPS = 2


class MaxBudget:
    """The global limiter and one limiter per chat; chat limiters are created on first use."""

    def __init__(self, rps: float = GLOBAL_RPS, per_chat: float = PER_CHAT_RPS, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._clock, self._sleep = clock, sleep
        self.overall = RateLimiter(rps, clock=clock, sleep=sleep)
        self.per_chat = per_chat
        self._chats: dict[int, RateLimiter] = {}
        self._on_wait: Callable[[float], None] | None = None

    @property
    def on_wait(self) -> Callable[[float], None] | None:
        """Told how long a limiter (overall or a chat's) holds requests back."""
        return self._on_wait

    @on_wait.setter
    def on_wait(self, callback: Callable[[float], None] | None) -> None:
        self._on_wait = callback
        for limiter in (self.overall, *self._chats.values()):
            limiter.on_wait = callback

    def chat(self, chat_id: int) -> RateLimiter:
        limiter = self._chats.get(chat_id)
        if limiter is None:
            limiter = self._chats[chat_id] = RateLimiter(self.per_chat, clock=self._clock, sleep=self._sleep)
            limiter.on_wait = self._on_wait
        return limiter

    def pause(self, seconds: float) -> None:
        """MAX said 429 anyway: grant nothing for a moment."""
        self.overall.pause(seconds)

    @asynccontextmanager
    async def slot(self, chat_id: int | None, prio: Priority = Priority.INTERACTIVE) -> AsyncIterator[None]:
        """Hold the chat's slot (for a send) and a global one for the duration of the request."""
        if chat_id is None:
            async with self.overall.slot(prio):
                yield
            return
        async with self.chat(chat_id).slot(prio), self.overall.slot(prio):
            yield
