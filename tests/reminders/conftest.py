"""Shared pieces of the reminder tests: a movable clock, a fake outbound, seeded statistics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest

from bot.config import Settings
from bot.domain.models import CONFIG_NAMES, Organization, Period, Person, Role
from bot.domain.records import PersonStats
from bot.ports import Delivery, OutMessage
from storage.db import Database
from storage.people import PeopleRepo
from storage.stats import StatsRepo
from tests.e2e.conftest import bot_app, chat, control, e2e_settings, emulator  # noqa: F401, I001

MSK = dt.timezone(dt.timedelta(hours=3))
# The period 14.11–20.11.2026 (Saturday to Friday); its Monday after is 23.11.2026.
PERIOD = Period(start=dt.date(2026, 11, 14), end=dt.date(2026, 11, 20))
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=MSK)


class MovableClock:
    """A clock the test sets and moves."""

    def __init__(self, now: dt.datetime) -> None:
        self.current = now.astimezone(dt.UTC)

    def now(self) -> dt.datetime:
        return self.current

    def set(self, moment: dt.datetime) -> None:
        self.current = moment.astimezone(dt.UTC)


class FakeOutbound:
    """Records bulk sends; delivers each idem_key once (like the outbox); some peers are unreachable."""

    def __init__(self, unreachable: dict[int, int] | None = None) -> None:
        self.unreachable = unreachable or {}
        self.sent: list[OutMessage] = []
        self.keys: set[str] = set()
        self.calls = 0
        self.staged: list[OutMessage] = []

    async def send_bulk(self, messages: Sequence[OutMessage]) -> list[Delivery]:
        self.calls += 1
        result = []
        for m in messages:
            code = self.unreachable.get(m.peer_id)
            if code is not None:
                result.append(Delivery(peer_id=m.peer_id, ok=False, error_code=code, person_id=m.person_id))
                continue
            if m.idem_key not in self.keys:
                self.keys.add(m.idem_key or "")
                self.sent.append(m)
            result.append(Delivery(peer_id=m.peer_id, ok=True, message_id=len(self.sent), person_id=m.person_id))
        return result

    async def enqueue_in(self, conn: Any, messages: Sequence[OutMessage]) -> None:
        assert conn.in_transaction, "staged outside a transaction"
        self.staged.extend(messages)

    async def reply(self, message: OutMessage) -> Delivery:
        raise AssertionError("reminders never reply")

    def to(self, peer_id: int) -> list[OutMessage]:
        return [m for m in self.sent if m.peer_id == peer_id]

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"unexpected outbound call {name}")


async def add_person(db: Database, name: str, role: Role = Role.TEACHER, vk_id: int | None = None,
                     org_id: str = "school1") -> Person:
    return await PeopleRepo(db).add(org_id, name, role, vk_id=vk_id)


async def seed_stats(db: Database, rows: Sequence[tuple[int, dict[str, Any]]], period: Period = PERIOD,
                     org_id: str = "school1") -> None:
    """One per-person import for `period` with the given figures per person id."""
    async with db.transaction() as conn:
        import_id = await StatsRepo.create_import_in(conn, org_id=org_id, kind="person", period=period,
                                                     file_name="stats.xlsx", rows_read=len(rows),
                                                     rows_imported=len(rows), problems=[], imported_by=None)
        await StatsRepo.put_person_stats_in(conn, [
            PersonStats(person_id=pid, org_id=org_id, period=period, import_id=import_id, **values)
            for pid, values in rows])


@pytest.fixture
async def rdb(db: Database, settings: Settings) -> Database:
    """The migrated database with the config's schools and people (deputy 1002, director 1001)."""
    people = PeopleRepo(db)
    await people.sync_organizations(
        Organization(id=s.id, name=s.name, timezone=s.timezone) for s in settings.schools)
    for school in settings.schools:
        for vk_id in school.deputy_vk_ids:
            await people.ensure_config_person(school.id, vk_id, Role.DEPUTY, CONFIG_NAMES[Role.DEPUTY])
    return db
