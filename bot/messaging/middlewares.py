"""Outer middlewares of the neutral dispatcher, and the per-event person lookups they share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot.config_bots import SINGLE_BOT
from bot.domain.models import Person, main_person
from bot.messaging.events import Identity
from bot.messaging.router import NextStep

# Every active roster person bound to an identity (usually one; several roles in several schools).
PeopleResolver = Callable[[Identity], Awaitable[Sequence[Person]]]
# The school an identity bound in several (their schools) acts for in the bot an event came to
# (identity, bot id, bot name, schools) → org id or None.
SchoolPreference = Callable[[Identity, int, str, frozenset[str]], Awaitable[str | None]]
# The same, for one event's bot: (identity, their schools) → org id or None.
EventPreference = Callable[[Identity, frozenset[str]], Awaitable[str | None]]


class PersonLookups:
    """The roster people of each identity asked about while one event is dispatched, each looked up once.

    One is made per event by `PersonMiddleware` (whichever messenger it came from); handlers get it
    as `lookups` and pass it to `AccessService.require`. Safe because only
    blocking handlers bind accounts, and after a blocking handler nothing else sees the event.
    """

    def __init__(self, resolve: PeopleResolver, prefer: EventPreference | None = None) -> None:
        self._resolve = resolve
        self._prefer = prefer
        self._found: dict[Identity, tuple[Person, ...]] = {}
        self._chosen: dict[Identity, str | None] = {}
        # How many times storage was asked (tests measure it).
        self.asked = 0

    async def people(self, identity: Identity) -> tuple[Person, ...]:
        """Every active roster person bound to `identity`; for someone in several schools, those of the
        school they chose first."""
        if identity not in self._found:
            self.asked += 1
            found = tuple(await self._resolve(identity))
            chosen = None
            schools = frozenset(p.org_id for p in found if p.org_id is not None)
            if self._prefer is not None and len(schools) > 1:
                chosen = await self._prefer(identity, schools)
            if chosen is not None:
                found = tuple(sorted(found, key=lambda p: p.org_id != chosen))
            self._found[identity], self._chosen[identity] = found, chosen
        return self._found[identity]

    async def schools(self, identity: Identity) -> set[str]:
        """The schools `identity` is on the roster of."""
        return {p.org_id for p in await self.people(identity) if p.org_id is not None}

    async def chosen(self, identity: Identity) -> str | None:
        """The school `identity` acts for in this bot (someone in several schools: chosen, or the only one of
        theirs the bot serves), else None."""
        await self.people(identity)
        return self._chosen.get(identity)

    async def person(self, identity: Identity) -> Person | None:
        """The main person of `identity` (the most privileged role; of the chosen school for someone in
        several), None for a stranger."""
        people = await self.people(identity)
        chosen = self._chosen.get(identity)
        return main_person([p for p in people if p.org_id == chosen] or people)


class PersonMiddleware:
    """Looks the sender up once per event and passes `person` (None for a stranger) and `lookups` on."""

    def __init__(self, resolve: PeopleResolver, prefer: SchoolPreference | None = None) -> None:
        self._resolve = resolve
        self._prefer = prefer
        # Storage lookups made for the events this middleware saw (tests measure it).
        self.lookups = 0

    async def _counted(self, identity: Identity) -> Sequence[Person]:
        self.lookups += 1
        return await self._resolve(identity)

    async def __call__(self, following: NextStep, event: Any, data: dict[str, Any]) -> bool:
        prefer = self._prefer
        bot_id = int(data.get("bot_id") or 0)
        bot = str(data.get("bot") or SINGLE_BOT)

        async def preferred(identity: Identity, schools: frozenset[str]) -> str | None:
            assert prefer is not None
            return await prefer(identity, bot_id, bot, schools)

        lookups = data["lookups"] = PersonLookups(self._counted, preferred if prefer is not None else None)
        data["person"] = await lookups.person(event.sender)
        return await following(event, data)
