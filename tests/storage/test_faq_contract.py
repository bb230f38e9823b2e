"""One contract for every FaqStore: SQLite, PostgreSQL and the in-memory fake of the service tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.domain.models import Organization, Role
from bot.stores.faq import FaqStore, SchoolEntry
from bot.stores.transactions import Transactions
from storage.faq import FaqRepo
from storage.people import PeopleRepo
from tests.conftest import open_backend
from tests.fakes.faq import FakeFaqStore
from tests.fakes.transactions import FakeTransactions

NOW = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)
NAME = "Иванова Анна Петровна"


@dataclass
class Rig:
    store: FaqStore
    transactions: Transactions
    person_id: int

    async def ask(self, text: str, at: dt.datetime = NOW) -> int:
        return await self.store.remember(org_id="s1", person_id=self.person_id, asker_vk_id=2001, text=text,
                                         topic=None, now=at, forget_before=at - dt.timedelta(days=7))


@pytest.fixture(params=["sqlite", "postgres", "fake"])
async def rig(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Rig]:
    if request.param == "fake":
        yield Rig(FakeFaqStore({1: NAME}), FakeTransactions(), 1)
        return
    db = await open_backend(request.param, tmp_path, request)
    people = PeopleRepo(db)
    await people.sync_organizations([Organization(id="s1", name="Школа 1")])
    person = await people.add("s1", NAME, Role.TEACHER, vk_id=2001)
    try:
        yield Rig(FaqRepo(db), db, person.id)
    finally:
        await db.close()


async def test_a_question_is_asked_handed_off_and_answered_once(rig: Rig) -> None:
    """A new question is «asked» with the asker's name; hand-off and answer each happen once."""
    qid = await rig.ask("проектор не включается")
    asked = await rig.store.get(qid)
    assert asked is not None and (asked.status, asked.asker_name, asked.org_id) == ("asked", NAME, "s1")
    async with rig.transactions.transaction() as tx:
        assert await rig.store.answer_in(tx, qid, "рано", rig.person_id, NOW) is False
        assert await rig.store.hand_off_in(tx, qid, NOW) is True
        assert await rig.store.hand_off_in(tx, qid, NOW) is False
    assert [q.id for q in await rig.store.open_questions("s1")] == [qid]
    assert await rig.store.count_open("s1") == 1 and [q.id for q in await rig.store.open_for(rig.person_id)] == [qid]
    async with rig.transactions.transaction() as tx:
        assert await rig.store.answer_in(tx, qid, "Чинит Петров", rig.person_id, NOW) is True
        assert await rig.store.answer_in(tx, qid, "ещё раз", rig.person_id, NOW) is False
    answered = await rig.store.get(qid)
    assert answered is not None and (answered.status, answered.answer) == ("answered", "Чинит Петров")
    assert await rig.store.count_open("s1") == 0 and await rig.store.get(qid + 100) is None


async def test_old_answered_only_questions_go_when_a_new_one_comes(rig: Rig) -> None:
    """Questions only the bot answered are forgotten after a week; handed-off ones and the newest stay."""
    old = await rig.ask("старый вопрос", NOW - dt.timedelta(days=10))
    handed = await rig.ask("переданный", NOW - dt.timedelta(days=10))
    async with rig.transactions.transaction() as tx:
        await rig.store.hand_off_in(tx, handed, NOW)
    recent = await rig.ask("вчерашний", NOW - dt.timedelta(days=1))
    new = await rig.ask("новый")
    assert await rig.store.get(old) is None
    assert all([await rig.store.get(q) for q in (handed, recent, new)])


async def test_school_entries_are_saved_replaced_and_linked(rig: Rig) -> None:
    """An entry per (school, topic): saved, replaced by a later save, listed by topic; the question notes it."""
    qid = await rig.ask("где wifi")
    first = SchoolEntry(org_id="s1", topic_id="wifi", title="Wi-Fi", answer="Пароль у завхоза", examples=["где wifi"])
    async with rig.transactions.transaction() as tx:
        await rig.store.save_entry_in(tx, first, NOW)
        await rig.store.save_entry_in(tx, SchoolEntry(org_id="s1", topic_id="alpha", answer="А"), NOW)
        await rig.store.set_entry_topic_in(tx, qid, "wifi")
    assert await rig.store.entry("s1", "wifi") == first
    async with rig.transactions.transaction() as tx:
        await rig.store.save_entry_in(tx, first.model_copy(update={"answer": "Пароль на доске"}), NOW)
    assert [(e.topic_id, e.answer) for e in await rig.store.entries("s1")] == [("alpha", "А"),
                                                                               ("wifi", "Пароль на доске")]
    assert await rig.store.entry("s2", "wifi") is None and await rig.store.entries("s2") == []
    assert (await rig.store.get(qid)).entry_topic == "wifi"  # type: ignore[union-attr]
