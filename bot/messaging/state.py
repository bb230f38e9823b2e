"""One dialog-state mechanism for every messenger: keys, values and the store protocol.

A step of a multi-step dialog is stored under `StateKey` (messenger, bot id, chat id,
external user id, feature) with an expiry: strangers have no roster person yet, and a
step in a group chat belongs to that chat. `storage.conversation_state` keeps it in
SQLite (so a dialog survives a restart); tests run one contract over it and a fake.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from bot.messaging.events import ChatRef, Identity, Messenger


class StateKey(BaseModel):
    """Whose step of which feature, in which chat of which bot."""

    model_config = ConfigDict(frozen=True)

    messenger: Messenger
    bot_id: int
    chat_id: int
    user_id: int
    feature: str = Field(min_length=1, max_length=32)

    @classmethod
    def of(cls, bot_id: int, chat: ChatRef, user: Identity, feature: str) -> StateKey:
        """The key of `user`'s step of `feature` in `chat`."""
        if chat.messenger is not user.messenger:
            raise ValueError("the chat and the person belong to different messengers")
        return cls(messenger=chat.messenger, bot_id=bot_id, chat_id=chat.chat_id, user_id=user.external_id,
                   feature=feature)


class StateValue(BaseModel):
    """The step a dialog is at, what it collected so far, and when it lapses (None: never)."""

    model_config = ConfigDict(frozen=True)

    state: str
    data: dict[str, Any] = {}
    expires_at: dt.datetime | None = None


class StateStore(Protocol):
    """Persistent dialog state (storage.conversation_state.ConversationStateRepo; a fake in tests)."""

    async def get(self, key: StateKey) -> StateValue | None:
        """The step stored under `key`; None when there is none or it has expired."""
        ...

    async def set(self, key: StateKey, state: str, data: dict[str, Any] | None = None, *,
                  ttl: dt.timedelta | None = None) -> StateValue:
        """Store a step (replacing the previous one) that lapses after `ttl` (None: never)."""
        ...

    async def delete(self, key: StateKey) -> None:
        """Forget the step (nothing happens when there is none)."""
        ...

    async def purge_expired(self) -> int:
        """Drop the expired steps; returns how many."""
        ...
