"""Filters for the neutral router: async callables returning a bool or data for the handler."""

from __future__ import annotations

import re
from typing import Any

# The one registry of command words lives in the domain (a dialog step asks it what is a command).
from bot.domain.commands import command_words, near, register_words
from bot.domain.models import Person, Role
from bot.messaging.events import MessageIn
from bot.messaging.payloads import Payload

# A leading «@name» (how people address anyone in a chat); the adapter already removed the bot's own mention.
ANY_MENTION = re.compile(r"^\s*@\S+[\s,:]*")


def normalize(text: str) -> str:
    """Typed words as compared: lower case, trimmed, without closing punctuation."""
    return text.strip().lower().rstrip("!.?")


class Private:
    """A private dialog with the bot."""

    async def __call__(self, event: Any) -> bool:
        return not event.chat.is_group


class InGroup:
    """A group chat."""

    async def __call__(self, event: Any) -> bool:
        return bool(event.chat.is_group)


class Known:
    """The sender is a known person (resolved once by `PersonMiddleware`)."""

    def __init__(self, *roles: Role) -> None:
        self.roles = set(roles)

    async def __call__(self, event: Any, person: Person | None = None) -> bool:
        return person is not None and (not self.roles or person.role in self.roles)


class Command:
    """A button carrying `model`, or one of `words` typed (after a mention of the bot): passes `action`.

    `any_mention` also accepts the words after a leading «@someone»; `typos` also accepts a
    word typed with a typo («свотка»), unless it is another command's exact word.
    """

    def __init__(self, model: type[Payload], *words: str, any_mention: bool = False,
                 typos: bool = False) -> None:
        self.model = model
        self.words = {normalize(w) for w in words}
        register_words(self.words)
        self.any_mention = any_mention
        self.typos = typos

    async def __call__(self, event: MessageIn) -> bool | dict[str, Any]:
        found = self.model.parse(event.payload)
        if found is not None:
            return {"action": found}
        text = event.command
        if self.any_mention:
            text = ANY_MENTION.sub("", text)
        typed = normalize(text)
        if self.words and typed in self.words:
            return {"action": self.model()}
        if self.typos and typed not in command_words() and near(typed, self.words) is not None:
            return {"action": self.model()}
        return False

    def __repr__(self) -> str:
        return f"Command({self.model.name})"
