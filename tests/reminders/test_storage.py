"""The reminder log and job records on real SQLite."""

from __future__ import annotations

import datetime as dt

from bot.domain.models import Role
from bot.stores.reminders import NewLogEntry
from storage.db import Database
from storage.reminders import ReminderRepo
from tests.reminders.conftest import PERIOD, add_person

NOW = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)


async def test_log_is_idempotent_and_counts_only_sent(rdb: Database) -> None:
    """Adding an entry twice keeps one; sent_count counts delivered reminders of the period only."""
    repo = ReminderRepo(rdb)
    anna = await add_person(rdb, "Иванова Анна Петровна", Role.TEACHER, 2001)
    oleg = await add_person(rdb, "Орлов Олег Олегович", Role.TEACHER, 2002)
    entries = [NewLogEntry(org_id="school1", person_id=p.id, kind="reminder", period=PERIOD,
                           idem_key=f"reminder:school1:{PERIOD.key}:{p.id}", reasons=["no_call"]) for p in (anna, oleg)]
    await repo.add(entries, NOW)
    await repo.add(entries, NOW + dt.timedelta(hours=1))
    assert len(await repo.recent("school1", NOW - dt.timedelta(days=7))) == 2
    await repo.finish([(entries[0].idem_key, "sent", None), (entries[1].idem_key, "unreachable", 901)], NOW)
    assert await repo.sent_count("school1", PERIOD) == 1
    assert await repo.sent_count("school1", PERIOD.next()) == 0
    recent = await repo.recent("school1", NOW - dt.timedelta(days=7))
    assert [e.person_id for e in recent] == [anna.id]  # unreachable does not count for the 7-day rule
    last = await repo.last_for_person(anna.id)
    assert last is not None and last.created_at == NOW and last.reasons == ["no_call"]
    assert (await repo.by_keys([entries[1].idem_key]))[entries[1].idem_key].error_code == 901


async def test_recent_window(rdb: Database) -> None:
    """Entries older than the window are left out."""
    repo = ReminderRepo(rdb)
    anna = await add_person(rdb, "Иванова Анна Петровна", Role.TEACHER, 2001)
    await repo.add([NewLogEntry(org_id="school1", person_id=anna.id, kind="nudge", period=PERIOD, idem_key="k",
                                reasons=[])], NOW - dt.timedelta(days=8))
    assert await repo.recent("school1", NOW - dt.timedelta(days=7)) == []


async def test_job_slot_never_moves_back(rdb: Database) -> None:
    """mark_job keeps the latest slot and the last detail."""
    repo = ReminderRepo(rdb)
    assert await repo.job("school1:reminders") is None
    await repo.mark_job("school1:reminders", NOW, "ok", NOW, detail="2026-11-14")
    await repo.mark_job("school1:reminders", NOW - dt.timedelta(days=7), "ok", NOW)
    job = await repo.job("school1:reminders")
    assert job is not None and job.last_slot == NOW and job.detail == "2026-11-14"
    assert [j.job_id for j in await repo.jobs()] == ["school1:reminders"]
