"""A neutral bot for the converted handlers: real storage and services, a fake messenger, no VK."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.app import build_dispatcher, handler_data
from bot.composition import Channels, build_services
from bot.config import Settings
from bot.deps import Deps
from bot.domain.models import Role
from bot.messaging.events import ButtonPressed, ChatRef, Identity, MessageIn, Messenger
from bot.messaging.router import Dispatcher
from bot.services.identity import IdentityService
from handlers import routers
from storage.db import Database
from storage.identity import IdentityRepo
from storage.people import PeopleRepo
from tests.messaging.fake_messenger import FakeMessenger
from tests.summary.conftest import FixedClock, school_settings, seed_school  # noqa: F401

DIRECTOR, DEPUTY, TEACHER = 1001, 1002, 3001


class FakeIdentity(IdentityService):
    """The identity service over real storage, recording who wrote to the bot (`note_user`)."""

    def __init__(self, people: PeopleRepo, db: Database, settings: Settings) -> None:
        super().__init__(people, IdentityRepo(db), settings)
        self.noted: list[tuple[int, bool]] = []

    async def note_user(self, vk_id: int, *, wrote: bool, bot: str = "main") -> None:
        self.noted.append((vk_id, wrote))
        await super().note_user(vk_id, wrote=wrote, bot=bot)


# The bot's id handlers get injected; unlike the community id (`deps.group_id`), so a step keyed by the wrong one is lost.
BOT_ID = 4242


class NeutralBot:
    """The converted features on a dispatcher, fed by hand, answering through the fake messenger."""

    def __init__(self, dispatcher: Dispatcher, messenger: FakeMessenger, data: dict[str, Any], deps: Deps) -> None:
        self.dispatcher, self.messenger, self.data, self.deps = dispatcher, messenger, data, deps

    async def say(self, who: int, text: str = "", chat: ChatRef | None = None, **kwargs: Any) -> bool:
        chat = chat or ChatRef(messenger=Messenger.VK, chat_id=who)
        event = MessageIn(chat=chat, sender=Identity(messenger=Messenger.VK, external_id=who), text=text, **kwargs)
        return await self.dispatcher.feed(event, **self.data)

    async def press(self, who: int, payload: dict[str, Any], message_id: int | None = None) -> bool:
        chat = ChatRef(messenger=Messenger.VK, chat_id=who)
        event = ButtonPressed(chat=chat, sender=Identity(messenger=Messenger.VK, external_id=who),
                              callback_id=f"ev{len(self.messenger.answers)}", payload=payload, message_id=message_id)
        return await self.dispatcher.feed(event, **self.data)


async def neutral_deps(db: Database, settings: Settings) -> Deps:
    """Storage and services for one school (director, deputy, a bound teacher)."""
    ids = await seed_school(db, weeks=False)
    people = PeopleRepo(db)
    await people.ensure_config_person("school1", DIRECTOR, Role.DIRECTOR, "Директор")
    await people.ensure_config_person("school1", DEPUTY, Role.DEPUTY, "Заместитель директора")
    await people.bind_vk(ids["Иванова Анна Петровна"], TEACHER)
    deps = build_services(settings, db, Channels.offline(settings), clock=FixedClock())
    return replace(deps, identity=FakeIdentity(people, db, settings))


@pytest.fixture
async def neutral(db: Database, school_settings: Settings) -> NeutralBot:  # noqa: F811
    """The converted routers over real SQLite, answering through a fake messenger."""
    deps = await neutral_deps(db, school_settings)
    return neutral_bot(deps)


def neutral_bot(deps: Deps, messenger: FakeMessenger | None = None) -> NeutralBot:
    """The converted routers over `deps` (its dialog-state store among them), answering through a fake messenger."""
    messenger = messenger or FakeMessenger()
    return NeutralBot(build_dispatcher(deps, routers()), messenger, handler_data(deps, messenger, BOT_ID), deps)
