"""Broadcast drafts, runs and audiences on real SQLite."""

from __future__ import annotations

import pytest

from bot.domain.models import Organization, Period, Role
from bot.domain.records import PersonStats
from bot.messaging.events import Identity, Messenger
from bot.stores.broadcasts import AudiencePerson
from storage.broadcasts import BroadcastRepo
from storage.db import Database
from storage.people import PeopleRepo
from storage.stats import StatsRepo

PERIOD = Period.parse("2026-11-14..2026-11-20")


@pytest.fixture
async def people(db: Database) -> PeopleRepo:
    repo = PeopleRepo(db)
    await repo.sync_organizations([Organization(id="school1", name="СОШ 1"), Organization(id="school2", name="СОШ 2")])
    return repo


async def test_start_fixes_recipients_once_and_finish_reports_once(db: Database, people: PeopleRepo) -> None:
    """A second start (a double press) is refused; people without VK are 'skipped'; finish closes once."""
    repo = BroadcastRepo(db)
    anna = await people.add("school1", "Анна", Role.TEACHER, vk_id=51)
    boris = await people.add("school1", "Борис", Role.TEACHER)
    draft = await repo.create("school1", 1002, "all", None, "Текст")
    recipients = [AudiencePerson(person_id=anna.id, full_name="Анна", vk_id=51),
                  AudiencePerson(person_id=boris.id, full_name="Борис", vk_id=None)]
    assert await repo.start(draft.id, recipients) is True
    assert await repo.start(draft.id, recipients) is False
    assert await repo.set_text(draft.id, "Другой") is False
    assert [(r.full_name, r.status) for r in await repo.recipients(draft.id)] == [("Анна", "pending"),
                                                                                ("Борис", "skipped")]
    assert [b.id for b in await repo.unfinished()] == [draft.id]
    assert await repo.finish(draft.id, [(anna.id, "unreachable", 901), (boris.id, "skipped", None)]) is True
    assert await repo.finish(draft.id, []) is False
    assert [(r.status, r.error_code) for r in await repo.recipients(draft.id)] == [("unreachable", 901),
                                                                                 ("skipped", None)]
    assert await repo.unfinished() == []


async def test_cancel_only_a_draft(db: Database, people: PeopleRepo) -> None:
    """A draft can be cancelled once; a started one cannot."""
    repo = BroadcastRepo(db)
    first = await repo.create("school1", 1002, "all", None, "Раз")
    second = await repo.create("school1", 1002, "all", None, "Два")
    await repo.start(second.id, [])
    assert await repo.cancel(first.id) is True
    assert await repo.cancel(first.id) is False
    assert await repo.cancel(second.id) is False


async def test_audiences_read_only_the_school_and_its_figures(db: Database, people: PeopleRepo) -> None:
    """Below the threshold, not registered and a class are picked from the school's own people."""
    repo = BroadcastRepo(db)
    low = await people.add("school1", "Мало Пишет", Role.TEACHER, vk_id=61, classes=["5А"])
    high = await people.add("school1", "Много Пишет", Role.TEACHER, vk_id=62)
    absent = await people.add("school1", "Нет В Таблице", Role.STAFF, vk_id=63)
    await people.add("school1", "Заместитель", Role.DEPUTY, vk_id=64)
    await people.add("school2", "Другая Школа", Role.TEACHER, vk_id=65, classes=["5А"])
    async with db.transaction() as conn:
        import_id = await StatsRepo.create_import_in(conn, org_id="school1", kind="person", period=PERIOD,
                                                     file_name="w.xlsx", rows_read=2, rows_imported=2,
                                                     problems=[], imported_by=Identity(messenger=Messenger.VK, external_id=1002))
        await StatsRepo.put_person_stats_in(conn, [
            PersonStats(person_id=low.id, org_id="school1", period=PERIOD, group_messages=1, registered=False,
                        import_id=import_id),
            PersonStats(person_id=high.id, org_id="school1", period=PERIOD, group_messages=12, registered=True,
                        import_id=import_id)])
    assert [p.full_name for p in await repo.staff("school1")] == ["Мало Пишет", "Много Пишет", "Нет В Таблице"]
    assert [p.person_id for p in await repo.below_threshold("school1", PERIOD.key, 3)] == [low.id]
    assert {p.person_id for p in await repo.not_registered("school1", PERIOD.key)} == {low.id, absent.id}
    assert [p.person_id for p in (await repo.classes("school1"))["5А"]] == [low.id]
    assert [p.person_id for p in await repo.people("school1", [high.id, 999])] == [high.id]
