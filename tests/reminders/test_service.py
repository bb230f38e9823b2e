"""ReminderService on real SQLite with a fake outbound: plan, run, the 7-day rule, the report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.composition import reminder_stores
from bot.config import Settings
from bot.contracts import UnreachablePerson
from bot.domain.models import Period, Person, Role
from bot.services.reminders import Links, ReminderService
from storage.db import Database
from tests.reminders.conftest import (
    MONDAY_10,
    PERIOD,
    FakeOutbound,
    MovableClock,
    add_person,
    seed_stats,
)

GOOD = {"group_messages": 12, "calls": 1, "ejd_linked": True, "registered": True}


class FakeChats:
    def __init__(self, missing: dict[int, list[str]]) -> None:
        self.missing = missing

    async def missing_by_person(self, org_id: str) -> dict[int, list[str]]:
        return self.missing

    async def missing_by_person_of(self, org_ids: Sequence[str]) -> dict[str, dict[int, list[str]]]:
        return {org_id: self.missing for org_id in org_ids}

    async def missing_for(self, person: Person) -> list[str]:
        return self.missing.get(person.id, [])


class FakeReach:
    def __init__(self, items: list[UnreachablePerson]) -> None:
        self.items = items

    async def unreachable(self, org_id: str) -> list[UnreachablePerson]:
        return self.items

    async def unreachable_of(self, org_ids: Sequence[str]) -> dict[str, list[UnreachablePerson]]:
        return {org_id: self.items for org_id in org_ids}


class FakeLive:
    def __init__(self, counts: dict[int, int | None]) -> None:
        self.counts = counts

    async def messages(self, person_id: int, period: Period) -> int | None:
        return self.counts.get(person_id)


async def school(db: Database) -> dict[str, int]:
    """Four teachers: Anna below the threshold, Oleg fine, Olga without the journal, Maria without VK."""
    ids = {}
    for name, vk in [("Иванова Анна Петровна", 2001), ("Орлов Олег Олегович", 2002),
                     ("Смирнова Ольга Викторовна", 2003), ("Сидорова Мария Ивановна", None)]:
        ids[name.split()[0]] = (await add_person(db, name, Role.TEACHER, vk)).id
    await seed_stats(db, [(ids["Иванова"], {**GOOD, "group_messages": 1}), (ids["Орлов"], GOOD),
                          (ids["Смирнова"], {**GOOD, "ejd_linked": False}),
                          (ids["Сидорова"], {**GOOD, "registered": False, "group_messages": 0})])
    return ids


async def test_plan_covers_open_points_per_person(rdb: Database, settings: Settings) -> None:
    """One planned reminder per person with open points; no VK page → vk_id None; the JSON shape."""
    ids = await school(rdb)
    planned = await ReminderService(reminder_stores(rdb, settings), settings).plan("school1", now=MONDAY_10)
    by_name = {p.name: p for p in planned}
    assert set(by_name) == {"Иванова Анна Петровна", "Смирнова Ольга Викторовна", "Сидорова Мария Ивановна"}
    assert by_name["Иванова Анна Петровна"].reasons == ["messages_below_threshold"]
    assert by_name["Сидорова Мария Ивановна"].reasons == ["messages_below_threshold", "not_registered"]
    assert by_name["Сидорова Мария Ивановна"].vk_id is None
    assert by_name["Иванова Анна Петровна"].as_json() == {
        "org": "school1", "vk_id": 2001, "name": "Иванова Анна Петровна",
        "reasons": ["messages_below_threshold"], "text": by_name["Иванова Анна Петровна"].text}
    assert planned[0].idem_key == f"reminder:school1:2026-11-14:{ids['Иванова']}"


async def test_no_import_no_plan(rdb: Database, settings: Settings) -> None:
    """Before any table is imported there is nobody to remind."""
    await add_person(rdb, "Иванова Анна Петровна", Role.TEACHER, 2001)
    assert await ReminderService(reminder_stores(rdb, settings), settings).plan("school1") == []


async def test_run_sends_once_reports_unreachable_first_and_respects_seven_days(
        rdb: Database, settings: Settings) -> None:
    """A run sends each person one reminder and the deputy a report; runs within 7 days send nothing."""
    await school(rdb)
    outbound = FakeOutbound(unreachable={2003: 901})
    clock = MovableClock(MONDAY_10)
    service = ReminderService(reminder_stores(rdb, settings), settings, outbound, clock)
    report = await service.run("school1", now=MONDAY_10)
    assert [m.peer_id for m in outbound.sent if m.kind == "reminder"] == [2001]
    assert outbound.sent[0].keyboard is not None and outbound.sent[0].org_id == "school1"
    assert (report.planned, report.sent, len(report.unreachable)) == (3, 1, 2)
    deputy = outbound.to(1002)
    assert len(deputy) == 1
    assert deputy[0].text.startswith("Напоминания за неделю 14.11.2026–20.11.2026: не дошли до 2 из 3.")
    assert "Смирнова О. В." in deputy[0].text and "Сидорова М. И." in deputy[0].text
    # The report was stored in the outbox in the transaction that finished the log.
    assert [m.idem_key for m in outbound.staged] == [deputy[0].idem_key]
    assert await service.sent_count("school1", PERIOD) == 1

    # The same period again (a restart, a second CLI run): nothing new, no second report.
    again = await service.run("school1", now=MONDAY_10 + dt.timedelta(hours=2))
    assert again.planned == 0 and len(outbound.sent) == 2

    # A new table three days later: Anna was reminded 3 days ago, so she is held back.
    await seed_stats(rdb, [(p.id, {**GOOD, "group_messages": 0}) for p in
                           [*(await service._people.in_org("school1"))] if p.role is Role.TEACHER],
                     period=PERIOD.next())
    later = MONDAY_10 + dt.timedelta(days=3)
    assert "Иванова Анна Петровна" not in [p.name for p in await service.plan("school1", now=later)]
    # After 7 days she is reminded of the new period.
    week = MONDAY_10 + dt.timedelta(days=7)
    assert "Иванова Анна Петровна" in [p.name for p in await service.plan("school1", now=week)]


async def test_chats_and_reachability_are_read_when_on(rdb: Database, settings: Settings) -> None:
    """Missing chats become a reason; reachability's extra knowledge reaches the report."""
    ids = await school(rdb)
    reach = FakeReach([UnreachablePerson(person_id=ids["Иванова"], name="Иванова А. П.", vk_id=2001, code=902,
                                         reason="запретила сообщения")])
    outbound = FakeOutbound()
    service = ReminderService(reminder_stores(rdb, settings), settings, outbound, links=Links(
        chats=FakeChats({ids["Орлов"]: ["5А — родители"]}), reachability=reach))
    planned = {p.name: p for p in await service.plan("school1", now=MONDAY_10)}
    assert planned["Орлов Олег Олегович"].reasons == ["chats_not_confirmed"]
    assert "«5А — родители»" in planned["Орлов Олег Олегович"].text
    report = await service.run("school1", now=MONDAY_10)
    assert {u.name for u in report.unreachable} == {"Иванова А. П.", "Сидорова М. И."}


async def test_nudge_from_live_counts(rdb: Database, settings: Settings) -> None:
    """The mid-week nudge goes to teachers below the threshold this week, once; off without live counts."""
    ids = await school(rdb)
    wednesday = MONDAY_10 + dt.timedelta(days=2, hours=5)
    assert await ReminderService(reminder_stores(rdb, settings), settings, FakeOutbound()).nudge("school1", now=wednesday) == 0
    outbound = FakeOutbound()
    live = FakeLive({ids["Иванова"]: 1, ids["Орлов"]: 5, ids["Смирнова"]: None})
    service = ReminderService(reminder_stores(rdb, settings), settings, outbound, links=Links(live_counts=live))
    assert await service.nudge("school1", now=wednesday) == 1
    assert [m.peer_id for m in outbound.sent] == [2001]
    assert "1 сообщение" in outbound.sent[0].text
    assert await service.nudge("school1", now=wednesday + dt.timedelta(hours=1)) == 0
    # The Monday reminder after it respects the 7-day rule.
    assert "Иванова Анна Петровна" not in [p.name for p in await service.plan("school1", now=wednesday)]


async def test_missing_import_note(rdb: Database, settings: Settings) -> None:
    """Monday 09:00 without last Friday's table: one note to the deputy; with it, none."""
    outbound = FakeOutbound()
    service = ReminderService(reminder_stores(rdb, settings), settings, outbound)
    monday_9 = MONDAY_10 - dt.timedelta(hours=1)
    assert await service.missing_import_note("school1", now=monday_9)
    assert len(outbound.to(1002)) == 1 and "14.11.2026–20.11.2026" in outbound.to(1002)[0].text
    await seed_stats(rdb, [])
    assert not await service.missing_import_note("school1", now=monday_9)


async def test_status_section(rdb: Database, settings: Settings) -> None:
    """«Мой статус»: figures of the last period, live counts, open tasks and the next reminder."""
    ids = await school(rdb)
    service = ReminderService(reminder_stores(rdb, settings), settings, FakeOutbound(), links=Links(live_counts=FakeLive({ids["Иванова"]: 2})))
    people = {p.id: p for p in await service._people.in_org("school1")}
    section = await service.status_section(people[ids["Иванова"]], MONDAY_10 - dt.timedelta(hours=2))
    assert section is not None
    text = "\n".join(section.lines)
    assert "1 сообщение в групповых чатах" in text and "2 сообщения от вас" in text
    assert "Следующее напоминание — 23.11 в 10:00" in text
    assert section.open_tasks and "рабочий чат коллег" in section.open_tasks[0]
    # After a reminder today, the next one is a week later at the earliest.
    await service.run("school1", now=MONDAY_10)
    section = await service.status_section(people[ids["Иванова"]], MONDAY_10 + dt.timedelta(hours=1))
    assert section is not None and "Следующее напоминание — 30.11 в 10:00" in "\n".join(section.lines)
    fine = await service.status_section(people[ids["Орлов"]], MONDAY_10)
    assert fine is not None and fine.open_tasks == [] and "Следующее" not in "\n".join(fine.lines)
