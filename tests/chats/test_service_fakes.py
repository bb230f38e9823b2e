"""The chats service on fakes (no database): a MAX teacher's dialog, the deputy's «не нужен», the code check."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.domain.models import Person, Role
from bot.messaging.events import ChatKind, ChatRef, Identity, Messenger
from bot.messaging.state import StateKey
from bot.ports import Community
from bot.services.chats import ChatsService
from tests.chats.conftest import RecordingOutbound, school_settings
from tests.fakes.chats import FakeChatsStore
from tests.fakes.states import FakeStateStore
from tests.messaging.fake_messenger import FakeMessenger

PARENTS = "class:5А:parents"
TEACHER = Person(id=1, org_id="school1", full_name="Иванова Анна Петровна", role=Role.TEACHER, vk_id=2001,
                 classes=("5А",), max_id=7101)
DEPUTY = Person(id=2, org_id="school1", full_name="Белова Ирина Олеговна", role=Role.DEPUTY, max_id=7002)
MAX_BOT = 900


def _now() -> dt.datetime:
    return dt.datetime(2026, 12, 5, 10, tzinfo=dt.UTC)


def _in_max(person: Person) -> StateKey:
    """The person's dialog with the MAX bot, as the handlers key it."""
    account = Identity(messenger=Messenger.MAX, external_id=person.max_id or 0)
    return StateKey.of(MAX_BOT, ChatRef.dialog_with(account), account, "chats")


@pytest.fixture
def store() -> FakeChatsStore:
    return FakeChatsStore([TEACHER, DEPUTY])


@pytest.fixture
def states() -> FakeStateStore:
    return FakeStateStore(_now)


@pytest.fixture
def service(tmp_path: Path, store: FakeChatsStore, states: FakeStateStore) -> ChatsService:
    return ChatsService(store, school_settings(tmp_path), community=Community(1), dialogs=states, bot_id=77)


async def _confirm_in_max(service: ChatsService) -> str:
    at = _in_max(TEACHER)
    await service.start(TEACHER, PARENTS, at=at)
    await service.choose_messenger(TEACHER, "whatsapp", at=at)
    await service.typed(TEACHER, "https://max.ru/join/AbC123xyz", at=at)
    await service.typed(TEACHER, "около 25", at=at)
    await service.old_chat(TEACHER, "closed", at=at)
    return (await service.confirm(TEACHER, at=at)).text


async def test_a_max_teacher_is_told_to_add_the_bot_as_an_admin(service: ChatsService,
                                                                store: FakeChatsStore) -> None:
    """In MAX the check is explained with «бота» and «Читать все сообщения», never «сообщество» or «@club»."""
    done = await _confirm_in_max(service)
    conf = store.rows[(TEACHER.id, PARENTS)]
    assert conf.status == "confirmed" and conf.code
    assert f"добавьте бота в новый чат администратором с правом «Читать все сообщения» и отправьте там " \
           f"сообщение с кодом: {conf.code}" in done
    assert "сообществ" not in done and "@club" not in done
    card = await service.open_chat(TEACHER, PARENTS, at=_in_max(TEACHER))
    assert "«Читать все сообщения»" in card.text
    in_vk = await service.open_chat(TEACHER, PARENTS)
    assert "добавьте сообщество в новый чат" in in_vk.text and f"@club1 {conf.code}" in in_vk.text


async def test_steps_without_a_dialog_key_are_kept_under_the_injected_bot_id(
        service: ChatsService, states: FakeStateStore) -> None:
    """The CLI's steps (no `at`) go under the VK dialog of the bot id the composition root injected."""
    await service.start(TEACHER, PARENTS)
    account = Identity(messenger=Messenger.VK, external_id=2001)
    key = StateKey.of(77, ChatRef.dialog_with(account), account, "chats")
    assert (await states.get(key)) is not None
    assert await service.open_dialog(TEACHER) is not None


async def test_the_deputy_in_max_is_audited_with_the_max_account(service: ChatsService,
                                                                 store: FakeChatsStore) -> None:
    """«Не нужен» typed by a deputy in MAX: the chat is marked and the audit names the deputy's MAX account."""
    at = _in_max(DEPUTY)
    await service.nn_start(DEPUTY, TEACHER.id, PARENTS, at=at)
    done = await service.typed(DEPUTY, "класс выпустился", at=at)
    assert "чат «Чат с родителями 5А» не нужен (класс выпустился)" in done.text
    assert store.rows[(TEACHER.id, PARENTS)].status == "not_needed"
    assert store.audit == [("chat_not_needed", Identity(messenger=Messenger.MAX, external_id=7002),
                            f"{TEACHER.id}:{PARENTS}")]


async def test_a_code_seen_in_a_max_chat_is_recorded_as_max(tmp_path: Path, store: FakeChatsStore,
                                                            states: FakeStateStore) -> None:
    """The code posted in a MAX group chat: checked as a MAX chat, the MAX poster audited, the chat answered
    by the bot that saw the code, the owner told in MAX through their school's bot (the outbound, by school)."""
    outbound = RecordingOutbound()
    service = ChatsService(store, school_settings(tmp_path), outbound=outbound, community=Community(1),
                           dialogs=states, bot_id=77)
    await _confirm_in_max(service)
    code = store.rows[(TEACHER.id, PARENTS)].code
    port = FakeMessenger(Messenger.MAX)
    assert await service.code_seen(-800, 7101, f"вот код {code}", messenger=port)
    conf = store.rows[(TEACHER.id, PARENTS)]
    assert (conf.checked, conf.chat_messenger, conf.chat_peer_id) == (True, "max", -800)
    assert store.audit == [("chat_checked", Identity(messenger=Messenger.MAX, external_id=7101),
                            f"{TEACHER.id}:{PARENTS}")]
    assert [(r.chat.chat_id, r.chat.kind) for r in port.sent] == [(-800, ChatKind.GROUP)]
    assert [(m.messenger, m.peer_id, m.org_id) for m in outbound.sent] == [(Messenger.MAX, 7101, "school1")]
    assert not await service.code_seen(-800, 7101, f"вот код {code}", messenger=port)  # already checked
