"""One contract for every StateStore: the table of migration 0014 on SQLite and PostgreSQL, and the fake."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.messaging.events import ChatKind, ChatRef, Identity, Messenger
from bot.messaging.state import StateKey, StateStore
from storage.conversation_state import ConversationStateRepo
from tests.conftest import open_backend
from tests.fakes.states import FakeStateStore


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.moment = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.moment


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", "postgres", "fake"])
async def store(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> AsyncIterator[StateStore]:
    if request.param == "fake":
        yield FakeStateStore(clock)
        return
    db = await open_backend(request.param, tmp_path, request)
    try:
        yield ConversationStateRepo(db, clock)
    finally:
        await db.close()


def key(feature: str = "broadcast", *, messenger: Messenger = Messenger.VK, chat_id: int = 5, user_id: int = 5,
        bot_id: int = 1) -> StateKey:
    """A key with the given parts (a private dialog of user 5 with bot 1 by default)."""
    return StateKey(messenger=messenger, bot_id=bot_id, chat_id=chat_id, user_id=user_id, feature=feature)


async def test_set_get_replace_delete(store: StateStore) -> None:
    """A step comes back as stored, a new step replaces it, delete forgets it (twice is fine)."""
    assert await store.get(key()) is None
    await store.set(key(), "audience", {"b": 7, "text": "Привет"})
    got = await store.get(key())
    assert got is not None and (got.state, got.data, got.expires_at) == ("audience", {"b": 7, "text": "Привет"}, None)
    await store.set(key(), "preview")
    assert (await store.get(key())).state == "preview"  # type: ignore[union-attr]
    await store.delete(key())
    await store.delete(key())
    assert await store.get(key()) is None


async def test_every_part_of_the_key_separates_steps(store: StateStore) -> None:
    """Messenger, bot, chat, user and feature each make a different key."""
    variants = [key(), key("faq"), key(messenger=Messenger.MAX), key(chat_id=2_000_000_001), key(user_id=6),
                key(bot_id=2)]
    for n, variant in enumerate(variants):
        await store.set(variant, f"step{n}")
    assert [(await store.get(v)).state for v in variants] == [f"step{n}" for n in range(6)]  # type: ignore[union-attr]


async def test_steps_expire(store: StateStore, clock: Clock) -> None:
    """A step with a ttl reads as absent once it lapses and is purged; one without a ttl stays."""
    await store.set(key("faq"), "typing", ttl=dt.timedelta(minutes=30))
    await store.set(key("broadcast"), "text")
    clock.moment += dt.timedelta(minutes=29)
    assert (await store.get(key("faq"))) is not None
    clock.moment += dt.timedelta(minutes=2)
    assert await store.get(key("faq")) is None
    assert await store.purge_expired() == 1
    assert await store.get(key("broadcast")) is not None


async def test_returned_values_are_copies(store: StateStore) -> None:
    """Changing what `get` returned does not change the stored step."""
    await store.set(key(), "s", {"list": [1]})
    got = await store.get(key())
    assert got is not None
    got.data["list"].append(2)
    assert (await store.get(key())).data == {"list": [1]}  # type: ignore[union-attr]


def test_key_of_a_chat_and_a_person() -> None:
    """A key is built from the neutral chat and identity; mixing messengers is refused."""
    chat = ChatRef(messenger=Messenger.MAX, chat_id=-77, kind=ChatKind.GROUP)
    assert StateKey.of(9, chat, Identity(messenger=Messenger.MAX, external_id=3), "chats") == key(
        "chats", messenger=Messenger.MAX, chat_id=-77, user_id=3, bot_id=9)
    with pytest.raises(ValueError):
        StateKey.of(9, chat, Identity(messenger=Messenger.VK, external_id=3), "chats")
