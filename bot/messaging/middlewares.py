"""Outer middlewares of the neutral dispatcher."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.domain.models import Person
from bot.messaging.events import Identity
from bot.messaging.router import NextStep

PersonResolver = Callable[[Identity], Awaitable[Person | None]]


class PersonMiddleware:
    """Looks the sender up once per event and passes `person` (None for a stranger) on.

    A `person` already in `data` is kept: the VK bridge prepares each event once and
    offers the result to every router it places between the vkbottle labelers.
    """

    def __init__(self, resolve: PersonResolver) -> None:
        self._resolve = resolve
        self.lookups = 0

    async def __call__(self, following: NextStep, event: Any, data: dict[str, Any]) -> bool:
        if "person" not in data:
            self.lookups += 1
            data["person"] = await self._resolve(event.sender)
        return await following(event, data)
