"""Fixtures of the chats tests: a school on real SQLite and an outbound that records."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.config import Settings, parse_settings
from bot.domain.models import Organization, Person, Role
from bot.ports import Community, Delivery, OutMessage
from bot.services.chats import ChatsService
from bot.vk.members import VkMembers
from storage.chats import ChatsSql
from storage.conversation_state import ConversationStateRepo
from storage.db import Database
from storage.people import PeopleRepo

# The end-to-end fixtures (emulator, control, bot_app, chat, talk …) for tests/chats/test_chat.py.
from tests.e2e.conftest import *  # noqa: F403


class RecordingOutbound:
    """Keeps every reply instead of sending it."""

    def __init__(self) -> None:
        self.sent: list[OutMessage] = []

    async def reply(self, message: OutMessage) -> Delivery:
        self.sent.append(message)
        return Delivery(peer_id=message.peer_id, ok=True)

    def to(self, peer_id: int) -> list[str]:
        return [m.text for m in self.sent if m.peer_id == peer_id]


class School:
    """The test school: people, the service, the recorded outbound and the API calls."""

    def __init__(self, db: Database, settings: Settings, people: dict[str, Person],
                 outbound: RecordingOutbound, calls: list[tuple[str, dict[str, Any]]]) -> None:
        self.db = db
        self.settings = settings
        self.people = people
        self.outbound = outbound
        self.calls = calls
        self.members_answer: Any = {"count": 4, "items": [{"member_id": 2001}, {"member_id": 5001},
                                                          {"member_id": 5002}, {"member_id": -1}]}
        self.service = ChatsService(ChatsSql(db), settings, outbound=outbound, members=VkMembers(self._call),
                                    community=Community(1), dialogs=ConversationStateRepo(db))

    async def _call(self, method: str, params: dict[str, Any]) -> Any:
        self.calls.append((method, params))
        if isinstance(self.members_answer, Exception):
            raise self.members_answer
        return self.members_answer


def school_settings(tmp_path: Any, **migration: Any) -> Settings:
    return parse_settings({"schools": [
        {"id": "school1", "name": "МБОУ СОШ № 1", "director_vk_id": 1001, "deputy_vk_ids": [1002],
         "migration": migration},
        {"id": "school2", "name": "Школа № 2", "deputy_vk_ids": [1102]},
    ]}, tmp_path)


async def seed(db: Database, settings: Settings) -> dict[str, Person]:
    repo = PeopleRepo(db)
    await repo.sync_organizations(Organization(id=s.id, name=s.name) for s in settings.schools)
    return {
        "ivanova": await repo.add("school1", "Иванова Анна Петровна", Role.TEACHER, vk_id=2001, classes=["5А"]),
        "petrov": await repo.add("school1", "Петров Сергей Иванович", Role.TEACHER, vk_id=2002),
        "smirnova": await repo.add("school1", "Смирнова Ольга Викторовна", Role.TEACHER, vk_id=2003,
                                   classes=["7Б", "10А"]),
        "director": await repo.add("school1", "Орлов Виктор Павлович", Role.DIRECTOR, vk_id=1001),
        "deputy": await repo.add("school1", "Белова Ирина Олеговна", Role.DEPUTY, vk_id=1002),
        "other_deputy": await repo.add("school2", "Ким Олег Ильич", Role.DEPUTY, vk_id=1102),
        "other_teacher": await repo.add("school2", "Ли Анна Игоревна", Role.TEACHER, vk_id=1103, classes=["1А"]),
    }


@pytest.fixture
async def school(tmp_path: Any) -> AsyncIterator[School]:
    settings = school_settings(tmp_path)
    db = await Database.open(tmp_path / "chats.sqlite3")
    try:
        yield School(db, settings, await seed(db, settings), RecordingOutbound(), [])
    finally:
        await db.close()
