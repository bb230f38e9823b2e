"""Reachability and live counts on real SQLite."""

from __future__ import annotations

import pytest

from bot.domain.models import Organization, Period, Role
from storage.db import Database
from storage.live_counts import LiveCountsRepo
from storage.outbox import OutboxRepo
from storage.people import PeopleRepo
from storage.reach import ReachRepo

PERIOD = Period.parse("2026-11-14..2026-11-20")


@pytest.fixture
async def people(db: Database) -> PeopleRepo:
    repo = PeopleRepo(db)
    await repo.sync_organizations([Organization(id="school1", name="СОШ 1"), Organization(id="school2", name="СОШ 2")])
    return repo


async def test_unreachable_means_no_page_or_a_refusal_not_unknown(db: Database, people: PeopleRepo) -> None:
    """No VK page and can_message=0 are unreachable; an unknown status is not (it is checked instead)."""
    await people.add("school1", "Без Страницы", Role.TEACHER)
    await people.add("school1", "Неизвестный Статус", Role.TEACHER, vk_id=11)
    await people.add("school1", "Не Писал", Role.STAFF, vk_id=12)
    await OutboxRepo(db).mark_user(12, 901)
    rows = {r.full_name: r for r in await ReachRepo(db).people("school1")}
    assert (rows["Без Страницы"].unreachable, rows["Без Страницы"].code) == (True, None)
    assert (rows["Неизвестный Статус"].unreachable, rows["Неизвестный Статус"].can_message) == (False, None)
    assert (rows["Не Писал"].unreachable, rows["Не Писал"].code) == (True, 901)
    assert await ReachRepo(db).to_check("school1") == [11, 12]


async def test_checks_keep_a_denial_and_the_intent_codes(db: Database, people: PeopleRepo) -> None:
    """A «no» keeps 902 (not 901); a «yes» clears 901 but not a 943 (the intent window is another matter)."""
    repo = ReachRepo(db)
    for vk_id in (21, 22, 23):
        await people.add("school1", f"Человек {vk_id}", Role.TEACHER, vk_id=vk_id)
    await repo.deny(21)
    await OutboxRepo(db).mark_user(22, 943)
    await OutboxRepo(db).mark_user(23, 901)
    await repo.apply_checks([(21, False), (22, True), (23, True)])
    rows = {r.vk_id: r for r in await repo.people("school1")}
    assert (rows[21].can_message, rows[21].code) == (False, 902)
    assert (rows[22].can_message, rows[22].code) == (False, 943)
    assert (rows[23].can_message, rows[23].code) == (True, None)
    assert await repo.to_check("school1") == [21, 22]
    assert await repo.to_check("school1", everyone=True) == [21, 22, 23]


async def test_allow_and_deny(db: Database, people: PeopleRepo) -> None:
    """message_allow makes a person reachable; message_deny records 902."""
    repo = ReachRepo(db)
    await people.add("school1", "Анна", Role.TEACHER, vk_id=31)
    await repo.deny(31)
    assert [r.code for r in await repo.people("school1")] == [902]
    await repo.allow(31)
    assert [(r.can_message, r.code) for r in await repo.people("school1")] == [(True, None)]


async def test_live_counts_count_only_bound_active_people(db: Database, people: PeopleRepo) -> None:
    """A bound person is counted once per message in their school's period; a stranger leaves no row."""
    repo = LiveCountsRepo(db)
    anna = await people.add("school1", "Анна", Role.TEACHER, vk_id=41)
    periods = {"school1": PERIOD.key, "school2": PERIOD.next().key}
    assert await repo.count_message(41, periods) == 1
    assert await repo.count_message(41, periods) == 1
    assert await repo.count_message(999, periods) == 0
    assert await repo.messages(anna.id, PERIOD) == 2
    assert await repo.messages(anna.id, PERIOD.next()) is None
    assert await repo.for_org("school1", PERIOD) == {anna.id: 2}
    async with db.read() as conn:
        total = await (await conn.execute("SELECT COUNT(*) FROM live_counts")).fetchone()
    assert total is not None and total[0] == 1
