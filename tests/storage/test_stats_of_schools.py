"""The multi-school reads of the statistics a reminder wave uses, on SQLite and PostgreSQL: the same answers
as the one-school reads."""

from __future__ import annotations

import datetime as dt

from bot.domain.models import Organization, Period, Role
from storage.people import PeopleRepo
from storage.sql import Database
from storage.stats import StatsRepo
from tests.reminders.conftest import seed_stats

OLD = Period(start=dt.date(2026, 11, 7), end=dt.date(2026, 11, 13))
NEW = Period(start=dt.date(2026, 11, 14), end=dt.date(2026, 11, 20))


async def test_latest_periods_and_person_stats_of_several_schools(each_db: Database) -> None:
    """Each school's newest period and its figures for the period asked; a school without imports is left out
    of the periods and has no figures."""
    people = PeopleRepo(each_db)
    await people.sync_organizations(Organization(id=org, name=org) for org in ("a", "b", "c"))
    a = [(await people.add("a", f"Учитель А{n}", Role.TEACHER)).id for n in range(3)]
    b = [(await people.add("b", f"Учитель Б{n}", Role.TEACHER)).id for n in range(2)]
    await seed_stats(each_db, [(pid, {"group_messages": 1}) for pid in a], OLD, org_id="a")
    await seed_stats(each_db, [(pid, {"group_messages": n}) for n, pid in enumerate(a)], NEW, org_id="a")
    await seed_stats(each_db, [(pid, {"group_messages": 5}) for pid in b], OLD, org_id="b")
    stats = StatsRepo(each_db)

    periods = await stats.latest_periods(["a", "b", "c"], "person")
    assert periods == {"a": NEW, "b": OLD}
    assert periods == {org: p for org in ("a", "b", "c") if (p := await stats.latest_period(org, "person"))}
    assert await stats.latest_periods(["a"], "organization") == {}

    figures = await stats.person_stats_of({"a": NEW, "b": OLD, "c": NEW})
    assert figures == {"a": await stats.person_stats("a", NEW), "b": await stats.person_stats("b", OLD), "c": []}
    assert [f.group_messages for f in figures["a"]] == [0, 1, 2]
    assert (await stats.person_stats_of({"a": OLD}))["a"] == await stats.person_stats("a", OLD)
