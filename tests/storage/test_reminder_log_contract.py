"""One contract for every ReminderLog: SQLite, PostgreSQL and the in-memory fake of the service tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.domain.models import Organization, Period, Role
from bot.stores.reminders import NewLogEntry, ReminderLog
from bot.stores.transactions import Transactions
from storage.people import PeopleRepo
from storage.reminders import ReminderRepo
from tests.conftest import open_backend
from tests.fakes.reminders import FakeReminderLog
from tests.fakes.transactions import FakeTransactions

PERIOD = Period(start=dt.date(2026, 11, 14), end=dt.date(2026, 11, 20))
NOW = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)


@dataclass
class Rig:
    log: ReminderLog
    transactions: Transactions
    people: list[int]

    def entry(self, n: int, kind: str = "reminder", status: str = "planned") -> NewLogEntry:
        return NewLogEntry(org_id="s1", person_id=self.people[n], kind=kind, period=PERIOD,
                           idem_key=f"{kind}:s1:{PERIOD.key}:{self.people[n]}", reasons=["a", "b"], status=status)


@pytest.fixture(params=["sqlite", "postgres", "fake"])
async def rig(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Rig]:
    if request.param == "fake":
        yield Rig(FakeReminderLog(), FakeTransactions(), [1, 2, 3])
        return
    db = await open_backend(request.param, tmp_path, request)
    people = PeopleRepo(db)
    await people.sync_organizations([Organization(id="s1", name="Школа 1")])
    ids = [(await people.add("s1", f"Учитель {n}", Role.TEACHER)).id for n in range(3)]
    try:
        yield Rig(ReminderRepo(db), db, ids)
    finally:
        await db.close()


async def test_entries_are_added_once_and_finished_by_key(rig: Rig) -> None:
    """A key is recorded once (a restarted run keeps the first); finishing sets status and code; only
    planned or sent ones count as recent; sent ones are counted per period and kind."""
    await rig.log.add([rig.entry(0), rig.entry(1), rig.entry(2, "nudge")], NOW)
    await rig.log.add([rig.entry(0, status="no_vk")], NOW + dt.timedelta(hours=1))
    keys = [rig.entry(n).idem_key for n in range(2)]
    found = await rig.log.by_keys([*keys, "missing"])
    assert set(found) == set(keys) and found[keys[0]].status == "planned"
    assert found[keys[0]].reasons == ["a", "b"] and found[keys[0]].period_start == PERIOD.start
    async with rig.transactions.transaction() as tx:
        await rig.log.finish_in(tx, [(keys[0], "sent", None), (keys[1], "unreachable", 901)], NOW)
    after = await rig.log.by_keys(keys)
    assert (after[keys[1]].status, after[keys[1]].error_code) == ("unreachable", 901)
    assert {e.person_id for e in await rig.log.recent("s1", NOW - dt.timedelta(days=1))} == {rig.people[0],
                                                                                            rig.people[2]}
    assert await rig.log.recent("s1", NOW + dt.timedelta(minutes=1)) == []
    assert await rig.log.sent_count("s1", PERIOD) == 1 and await rig.log.sent_count("s1", PERIOD, "nudge") == 0
    last = await rig.log.last_for_person(rig.people[0])
    assert last is not None and last.status == "sent"
    assert await rig.log.last_for_person(rig.people[1]) is None


async def test_recent_of_several_schools_is_recent_of_each(rig: Rig) -> None:
    """`recent_of` answers for each school asked what `recent` answers (a school with none: an empty list),
    and a wave's thousands of rows are written and finished in one call (one statement on PostgreSQL)."""
    await rig.log.add([rig.entry(0), rig.entry(1, status="no_vk"), rig.entry(2, "nudge")], NOW)
    since = NOW - dt.timedelta(days=7)
    assert await rig.log.recent_of(["s1", "s2"], since) == {"s1": await rig.log.recent("s1", since), "s2": []}
    assert [e.person_id for e in (await rig.log.recent_of(["s1"], since))["s1"]] == [rig.people[0], rig.people[2]]
    assert await rig.log.recent_of(["s1"], NOW + dt.timedelta(seconds=1)) == {"s1": []}

    wave = [NewLogEntry(org_id="s1", person_id=rig.people[n % 3], kind="reminder", period=PERIOD,
                        idem_key=f"wave:{n}", reasons=["a"]) for n in range(1200)]
    await rig.log.add(wave, NOW)
    async with rig.transactions.transaction() as tx:
        await rig.log.finish_in(tx, [(f"wave:{n}", "sent" if n % 2 else "unreachable", None if n % 2 else 901)
                                     for n in range(1200)], NOW)
    found = await rig.log.by_keys([f"wave:{n}" for n in range(1200)])
    assert len(found) == 1200 and found["wave:7"].status == "sent" and found["wave:8"].error_code == 901
    assert found["wave:8"].status == "unreachable" and found["wave:7"].finished_at == NOW
