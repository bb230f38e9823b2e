"""The statistics and roster repositories on real SQLite: what the summary and reminders read."""

from __future__ import annotations

import datetime as dt

from bot.domain.models import Organization, Period, Role
from bot.messaging.events import Identity, Messenger
from storage.db import Database
from storage.people import PeopleRepo
from storage.roster import RosterEntry, RosterRepo
from storage.stats import Candidate, NewPending, OrgStats, StatsRepo

WEEK = Period(start=dt.date(2026, 11, 14), end=dt.date(2026, 11, 20))


async def _school(db: Database) -> list[int]:
    people = PeopleRepo(db)
    await people.sync_organizations([Organization(id="s1", name="Школа")])
    return [(await people.add("s1", name, Role.TEACHER)).id for name in ("Иванова Анна", "Петров Игорь")]


async def test_person_stats_round_trip_and_reads(db: Database) -> None:
    """Figures written for two periods are read per period, per person and newest first."""
    ivanova, petrov = await _school(db)
    repo = StatsRepo(db)
    async with db.transaction() as conn:
        for period, messages in ((WEEK.previous(), 1), (WEEK, 5)):
            import_id = await StatsRepo.create_import_in(conn, org_id="s1", kind="person", period=period,
                                                         file_name="w.xlsx", rows_read=2, rows_imported=1,
                                                         problems=[{"row": 3, "reason": "x"}], imported_by=Identity(messenger=Messenger.MAX, external_id=7))
            await StatsRepo.put_person_values_in(conn, period, [
                (ivanova, "s1", import_id, {"group_messages": messages, "ejd_linked": True})])
    assert [(s.person_id, s.group_messages, s.ejd_linked, s.calls) for s in await repo.person_stats("s1", WEEK)] == [
        (ivanova, 5, True, None)]
    assert [s.period for s in await repo.person_history(ivanova)] == [WEEK, WEEK.previous()]
    assert (await repo.for_person(ivanova, WEEK.previous())).group_messages == 1  # type: ignore[union-attr]
    assert await repo.for_person(petrov, WEEK) is None
    assert await repo.latest_period("s1") == WEEK
    assert await repo.latest_period("s1", "organization") is None
    assert await repo.periods("s1") == [WEEK, WEEK.previous()]
    latest = (await repo.imports("s1"))[0]
    assert (latest.period, latest.problems, latest.imported_by) == (WEEK, [{"row": 3, "reason": "x"}], Identity(messenger=Messenger.MAX, external_id=7))


async def test_clear_period_drops_figures_and_open_pending_rows(db: Database) -> None:
    """Before a re-import the period's figures go and its open kept-aside rows are dismissed."""
    ivanova, petrov = await _school(db)
    async with db.transaction() as conn:
        import_id = await StatsRepo.create_import_in(conn, org_id="s1", kind="person", period=WEEK, file_name="a",
                                                     rows_read=2, rows_imported=1, problems=[], imported_by=None)
        await StatsRepo.put_person_values_in(conn, WEEK, [(ivanova, "s1", import_id, {"calls": 1})])
        await StatsRepo.add_pending_in(conn, import_id, [NewPending(
            org_id="s1", row_no=4, name="Петров", data={"calls": 2}, reason="r",
            candidates=[Candidate(id=petrov, name="Петров Игорь")])])
        assert await StatsRepo.has_period_in(conn, ["s1"], "person", WEEK)
        assert not await StatsRepo.has_period_in(conn, ["s1"], "person", WEEK.next())
    assert [p.candidates[0].id for p in await StatsRepo(db).pending("s1")] == [petrov]
    async with db.transaction() as conn:
        await StatsRepo.clear_period_in(conn, ["s1"], "person", WEEK)
    assert await StatsRepo(db).person_stats("s1", WEEK) == []
    assert await StatsRepo(db).pending("s1") == []
    assert [p.status for p in await StatsRepo(db).pending("s1", status="dismissed")] == ["dismissed"]


async def test_org_stats_round_trip(db: Database) -> None:
    """Per-organization indicators and the profile status are stored as given."""
    await _school(db)
    async with db.transaction() as conn:
        await StatsRepo.put_org_stats_in(conn, [OrgStats(org_id="s1", period=WEEK, teachers_3plus=4,
                                                         status="inactive")])
    found = await StatsRepo(db).org_stats("s1", WEEK)
    assert found is not None and (found.teachers_3plus, found.status, found.students_total) == (4, "inactive", None)
    assert await StatsRepo(db).org_stats("s1", WEEK.next()) is None


async def test_roster_apply_keeps_the_protected_and_config_people(db: Database) -> None:
    """apply_in adds, updates, marks the rest as left — except keep_ids and config people."""
    ivanova, petrov = await _school(db)
    config = await PeopleRepo(db).ensure_config_person("s1", 99, Role.DEPUTY, "Заместитель директора")
    async with db.transaction() as conn:
        changes = await RosterRepo.apply_in(conn, ["s1"], [
            RosterEntry(org_id="s1", full_name="Иванова Анна Петровна", role=Role.TEACHER, classes=("5А",),
                        person_id=ivanova),
            RosterEntry(org_id="s1", full_name="Новикова Дарья", role=Role.STAFF, vk_id=5),
        ], keep_ids=set())
        refs = await RosterRepo.refs_in(conn, ["s1"])
    assert (changes.added, changes.updated, changes.left, changes.left_ids) == (1, 1, 1, [petrov])
    assert {r.full_name for r in refs} == {"Иванова Анна Петровна", "Новикова Дарья", config.full_name}
    assert {r.key for r in refs} >= {"иванова анна петровна"}
    async with db.transaction() as conn:
        again = await RosterRepo.apply_in(conn, ["s1"], [], keep_ids={ivanova})
    assert again.left == 1  # Новикова; Иванова kept, the deputy from the config never leaves
    everyone = {p.full_name: p for p in await PeopleRepo(db).in_org("s1", active_only=False)}
    assert everyone["Иванова Анна Петровна"].active and everyone["Иванова Анна Петровна"].classes == ("5А",)
    assert everyone[config.full_name].active and not everyone["Новикова Дарья"].active
