"""Which school a person bound in several schools acts for: asked once, kept, changeable.

A regional bot finds each person's school through their roster binding; someone on the roster of two
schools (a teacher working in both) picks one. The choice belongs to the person's account, not to the bot
they made it in: a regional operator expects one answer to do for every bot of the deployment. A bot that
serves only one of the person's schools (each school names its VK community and MAX bot) acts for that one
without asking; a bot that serves several asks among those (or takes the choice already made, if it is
one of them); a bot that serves none of them asks among all. The choice is kept in the dialog-state store
without expiry, and the person middleware puts that school's roster person first.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence

from bot.config import Settings
from bot.domain.models import Person
from bot.messaging.events import ChatRef, Identity
from bot.messaging.filters import normalize
from bot.messaging.state import StateKey, StateStore

FEATURE = "school"
ASKING, CHOSEN = "asking", "chosen"
# The bot id of the person's own key: the choice is theirs in every bot of the deployment.
EVERY_BOT = 0


class SchoolChoiceService:
    """Keeps and reads a person's chosen school; knows the schools' names and which bot serves each."""

    def __init__(self, dialogs: StateStore, settings: Settings,
                 bot_of: Callable[[str, str | None], str] | None = None) -> None:
        self._dialogs = dialogs
        self._settings = settings
        # The bot that writes to a school's people (the deployment's `Settings.bot_of`).
        self._bot_of = bot_of or settings.bot_of

    @staticmethod
    def _key(identity: Identity, bot_id: int = EVERY_BOT) -> StateKey:
        return StateKey.of(bot_id, ChatRef.dialog_with(identity), identity, FEATURE)

    def options(self, identity: Identity, bot: str, schools: Collection[str]) -> set[str]:
        """Of the person's `schools`, those bot `bot` acts for: the ones it serves, or all when it serves none."""
        served = {org for org in schools if self._bot_of(identity.messenger.value, org) == bot}
        return served or set(schools)

    async def chosen(self, identity: Identity, bot_id: int = EVERY_BOT, bot: str | None = None,
                     schools: Collection[str] | None = None) -> str | None:
        """The school `identity` acts for in bot `bot` (None: not chosen, or being asked again). With the
        person's `schools`: the only one the bot serves, else the choice if it is among those it serves."""
        options = self.options(identity, bot, schools) if bot is not None and schools is not None else None
        if options is not None and len(options) == 1:
            return next(iter(options))
        state = await self._dialogs.get(self._key(identity))
        if state is None and bot_id != EVERY_BOT:
            # A choice made before it was the person's was kept per bot (its id): it still holds there.
            state = await self._dialogs.get(self._key(identity, bot_id))
        if state is None or state.state != CHOSEN:
            return None
        org_id = state.data.get("org_id")
        if not isinstance(org_id, str) or (options is not None and org_id not in options):
            return None
        return org_id

    async def asking(self, identity: Identity) -> bool:
        """Whether the bot has asked and waits for the answer."""
        state = await self._dialogs.get(self._key(identity))
        return state is not None and state.state == ASKING

    async def ask(self, identity: Identity) -> None:
        """Remember that the question is out (the previous choice no longer holds)."""
        await self._dialogs.set(self._key(identity), ASKING)

    async def choose(self, identity: Identity, org_id: str) -> None:
        """Keep `org_id` as the school `identity` acts for, in every bot, until changed."""
        await self._dialogs.set(self._key(identity), CHOSEN, {"org_id": org_id})

    def schools(self, people: Iterable[Person], among: Collection[str] | None = None) -> list[tuple[str, str]]:
        """(id, name) of the schools among `people`'s (and among `among`), in name order (one per school)."""
        names = {s.id: s.name for s in self._settings.schools}
        ids = {p.org_id for p in people if p.org_id is not None and (among is None or p.org_id in among)}
        return sorted(((i, names.get(i, i)) for i in ids), key=lambda item: (item[1].casefold(), item[0]))

    def name(self, org_id: str) -> str:
        """The school's name (its id when it has none)."""
        return next((s.name for s in self._settings.schools if s.id == org_id), org_id)

    @staticmethod
    def match(text: str, schools: Sequence[tuple[str, str]]) -> str | None:
        """The school a typed answer names: its number in the list, or its name (or a unique part of it)."""
        typed = normalize(text).strip("«»\"' ")
        if typed.isdigit():
            number = int(typed)
            return schools[number - 1][0] if 1 <= number <= len(schools) else None
        if not typed:
            return None
        exact = [i for i, name in schools if name.casefold() == typed or i == typed]
        if exact:
            return exact[0]
        partial = [i for i, name in schools if typed in name.casefold()]
        return partial[0] if len(partial) == 1 else None
