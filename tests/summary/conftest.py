"""Fixtures for the summary tests: a fixed clock and a school with two imported weeks on real SQLite."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest

from bot.config import Settings, parse_settings
from bot.domain.models import Organization, Period, Role
from storage.db import Database
from storage.people import PeopleRepo
from storage.stats import OrgStats, StatsRepo

# The end-to-end fixtures (emulator, control, bot_app, chat) for tests/summary/test_chat.py.
# The same in MAX, and `talk`: one conversation over either messenger (tests/e2e/messengers.py).
from tests.e2e.conftest import *  # noqa: F403

# Monday 23 November 2026: the latest imported week is 14.11.2026–20.11.2026.
NOW = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)
WEEK1 = Period(start=dt.date(2026, 11, 7), end=dt.date(2026, 11, 13))
WEEK2 = WEEK1.next()

# name, classes, (messages, calls, chats created, ejd, registered) for week 1 and week 2.
TEACHERS: list[tuple[str, list[str], tuple[Any, ...], tuple[Any, ...]]] = [
    ("Иванова Анна Петровна", ["5А"], (5, 1, 1, True, True), (6, 1, 1, True, True)),
    ("Петров Сергей Иванович", [], (2, 0, 0, False, True), (3, 0, 0, False, True)),
    ("Смирнова Ольга Викторовна", ["7Б"], (0, 0, 0, False, True), (0, 0, 1, True, True)),
    ("Сидорова Мария Ивановна", [], (1, 0, 0, False, False), (1, 0, 0, False, False)),
    ("Кузнецов Олег Павлович", ["9В"], (12, 2, 2, True, True), (15, 3, 2, True, True)),
]
FIELDS = ("group_messages", "calls", "group_chats_created", "ejd_linked", "registered")


class FixedClock:
    """A clock that always says `now`."""

    def __init__(self, now: dt.datetime = NOW) -> None:
        self._now = now

    def now(self) -> dt.datetime:
        return self._now


async def put_week(db: Database, org_id: str, period: Period,
                   rows: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """Store a per-person table for one week, as the importer does."""
    async with db.transaction() as conn:
        import_id = await StatsRepo.create_import_in(
            conn, org_id=org_id, kind="person", period=period, file_name="week.xlsx", rows_read=len(rows),
            rows_imported=len(rows), problems=[], imported_by=None)
        await StatsRepo.put_person_values_in(conn, period, [(pid, org_id, import_id, v) for pid, v in rows])


async def put_org_row(db: Database, row: OrgStats) -> None:
    """Store a per-organization table's row, as the importer does."""
    async with db.transaction() as conn:
        import_id = await StatsRepo.create_import_in(
            conn, org_id=row.org_id, kind="organization", period=row.period, file_name="district.xlsx",
            rows_read=1, rows_imported=1, problems=[], imported_by=None)
        await StatsRepo.put_org_stats_in(conn, [row.model_copy(update={"import_id": import_id})])


async def seed_school(db: Database, org_id: str = "school1", name: str = "МБОУ СОШ № 1",
                      weeks: bool = True) -> dict[str, int]:
    """The organization, its five teachers (three lead classes) and two weeks of figures."""
    people = PeopleRepo(db)
    await people.sync_organizations([Organization(id=org_id, name=name)])
    ids: dict[str, int] = {}
    for full, classes, _, _ in TEACHERS:
        ids[full] = (await people.add(org_id, full, Role.TEACHER, classes=classes)).id
    if weeks:
        for n, period in enumerate((WEEK1, WEEK2)):
            await put_week(db, org_id, period, [(ids[t[0]], dict(zip(FIELDS, t[2 + n], strict=True)))
                                                for t in TEACHERS])
    return ids


@pytest.fixture
def school_settings(tmp_path: Any) -> Settings:
    """One school with a registration deadline and the default thresholds."""
    return parse_settings({"schools": [{"id": "school1", "name": "МБОУ СОШ № 1", "director_vk_id": 1001,
                                        "deputy_vk_ids": [1002], "registration_deadline": "2026-12-01"}]},
                          tmp_path)
