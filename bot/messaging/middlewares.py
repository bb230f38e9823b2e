"""Outer middlewares of the neutral dispatcher, and the per-event person lookups they share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot.domain.models import Person, main_person
from bot.messaging.events import Identity
from bot.messaging.router import NextStep

# Every active roster person bound to an identity (usually one; several roles in several schools).
PeopleResolver = Callable[[Identity], Awaitable[Sequence[Person]]]


class PersonLookups:
    """The roster people of each identity asked about while one event is dispatched, each looked up once.

    One is made per event by `PersonMiddleware` (whichever messenger it came from); handlers get it
    as `lookups` and pass it to `AccessService.require`. Safe because only
    blocking handlers bind accounts, and after a blocking handler nothing else sees the event.
    """

    def __init__(self, resolve: PeopleResolver) -> None:
        self._resolve = resolve
        self._found: dict[Identity, tuple[Person, ...]] = {}
        # How many times storage was asked (tests measure it).
        self.asked = 0

    async def people(self, identity: Identity) -> tuple[Person, ...]:
        """Every active roster person bound to `identity`."""
        if identity not in self._found:
            self.asked += 1
            self._found[identity] = tuple(await self._resolve(identity))
        return self._found[identity]

    async def person(self, identity: Identity) -> Person | None:
        """The main person of `identity` (the most privileged role), None for a stranger."""
        return main_person(await self.people(identity))


class PersonMiddleware:
    """Looks the sender up once per event and passes `person` (None for a stranger) and `lookups` on."""

    def __init__(self, resolve: PeopleResolver) -> None:
        self._resolve = resolve
        # Storage lookups made for the events this middleware saw (tests measure it).
        self.lookups = 0

    async def _counted(self, identity: Identity) -> Sequence[Person]:
        self.lookups += 1
        return await self._resolve(identity)

    async def __call__(self, following: NextStep, event: Any, data: dict[str, Any]) -> bool:
        lookups = data["lookups"] = PersonLookups(self._counted)
        data["person"] = await lookups.person(event.sender)
        return await following(event, data)
