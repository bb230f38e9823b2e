"""Which school a person bound in several schools acts for: asked once, kept, changeable.

A regional bot finds each person's school through their roster binding; someone on the roster of two
schools (a teacher working in both) picks one. The choice is kept in the dialog-state store without
expiry, per bot and account, and the person middleware puts that school's roster person first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.config import Settings
from bot.domain.models import Person
from bot.messaging.events import ChatRef, Identity
from bot.messaging.filters import normalize
from bot.messaging.state import StateKey, StateStore

FEATURE = "school"
ASKING, CHOSEN = "asking", "chosen"


class SchoolChoiceService:
    """Keeps and reads a person's chosen school; knows the schools' names."""

    def __init__(self, dialogs: StateStore, settings: Settings) -> None:
        self._dialogs = dialogs
        self._settings = settings

    @staticmethod
    def _key(bot_id: int, identity: Identity) -> StateKey:
        return StateKey.of(bot_id, ChatRef.dialog_with(identity), identity, FEATURE)

    async def chosen(self, identity: Identity, bot_id: int) -> str | None:
        """The school `identity` chose in this bot (None: not chosen, or being asked again)."""
        state = await self._dialogs.get(self._key(bot_id, identity))
        if state is None or state.state != CHOSEN:
            return None
        org_id = state.data.get("org_id")
        return org_id if isinstance(org_id, str) else None

    async def asking(self, identity: Identity, bot_id: int) -> bool:
        """Whether the bot has asked and waits for the answer."""
        state = await self._dialogs.get(self._key(bot_id, identity))
        return state is not None and state.state == ASKING

    async def ask(self, identity: Identity, bot_id: int) -> None:
        """Remember that the question is out (the previous choice no longer holds)."""
        await self._dialogs.set(self._key(bot_id, identity), ASKING)

    async def choose(self, identity: Identity, bot_id: int, org_id: str) -> None:
        """Keep `org_id` as the school `identity` acts for, until changed."""
        await self._dialogs.set(self._key(bot_id, identity), CHOSEN, {"org_id": org_id})

    def schools(self, people: Iterable[Person]) -> list[tuple[str, str]]:
        """(id, name) of the schools among `people`'s, in name order (one per school)."""
        names = {s.id: s.name for s in self._settings.schools}
        ids = {p.org_id for p in people if p.org_id is not None}
        return sorted(((i, names.get(i, i)) for i in ids), key=lambda item: (item[1].casefold(), item[0]))

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
