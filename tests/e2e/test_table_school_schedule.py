"""A school from the table with «вт 09:00» in its «Напоминания» cell gets its reminders through the messenger on
Tuesday 09:00 in its own timezone, and nothing at the default Monday 10:00 (the scheduler on a controlled clock)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.app import App
from bot.domain.models import Role
from bot.imports.schools import read_school_table
from storage.schools import SchoolsRepo
from tests.e2e.messengers import MESSENGERS, MaxTalk, Talk, VkTalk
from tests.imports.tables import csv_bytes
from tests.imports.test_schools import LIMITS
from tests.reminders.conftest import PERIOD, seed_stats

YEKT = ZoneInfo("Asia/Yekaterinburg")
TABLE = [["Наименование", "ИНН", "Часовой пояс", "Напоминания"],
         ["МБОУ СОШ № 8", "0500000008", "Asia/Yekaterinburg", "вт 09:00"]]
ORG, JOB = "inn-0500000008", "inn-0500000008:reminders"
TEACHER = {"vk": 2801, "max": 7801}
NAME = "Громова Нина Сергеевна"
GREETING = "Нина Сергеевна, добрый день!"
SUNDAY = dt.datetime(2026, 11, 22, 12, 0, tzinfo=YEKT)
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=YEKT)
TUESDAY_9 = dt.datetime(2026, 11, 24, 9, 0, tzinfo=YEKT)


async def _teacher(talk: Talk) -> int:
    """The table school's teacher, under the message threshold, known to the emulator; where the bot writes to
    them (VK: their id; MAX: their dialog's chat)."""
    app, account = talk.app, TEACHER[talk.messenger]
    person = await app.deps.people.add(ORG, NAME, Role.TEACHER, vk_id=account if talk.messenger == "vk" else None)
    where = account
    if isinstance(talk, VkTalk):
        await talk.chat.control.add_user(account, "Нина", "Громова", allows_messages=True)
    else:
        assert isinstance(talk, MaxTalk)
        await talk.ctl.add_user(account, "Нина", "Громова")
        where = await talk.ctl.start(account)  # the teacher has opened the bot in MAX
        await app.deps.people.bind_max(person.id, account)
    await seed_stats(app.db, [(person.id, {"group_messages": 1, "calls": 1, "ejd_linked": True,
                                           "registered": True})], org_id=ORG)
    return where


async def _reminders(talk: Talk, where: int) -> list[str]:
    """The reminders the emulator has delivered to the teacher so far."""
    if isinstance(talk, VkTalk):
        texts = [str(m["text"]) for m in (await talk.chat.control.sent(where))["items"]]
    else:
        assert isinstance(talk, MaxTalk)
        texts = [str(m["text"] or "") for m in await talk.ctl.sent(where)]
    return [t for t in texts if t.startswith(GREETING)]


async def _import(app: App) -> None:
    """What `import-schools --yes` does with the table, then the running bot's periodic read of it."""
    table = read_school_table(csv_bytes(TABLE), LIMITS, "schools.csv")
    await SchoolsRepo(app.db).replace(table.schools)
    assert await app.refresh_schools() is True


@pytest.mark.parametrize("talk", MESSENGERS, indirect=True)
async def test_a_tuesday_school_is_reminded_on_tuesday_not_monday(talk: Talk) -> None:
    """The table's «вт 09:00»: the running timer is set for Tuesday 04:00 UTC (09:00 in Yekaterinburg); at Monday
    10:00 the job is idle and nothing arrives; at Tuesday 09:00 local one reminder reaches the teacher."""
    app = talk.app
    await _import(app)
    account = await _teacher(talk)
    scheduler = app.scheduler
    assert scheduler is not None and scheduler._aps is not None
    timer = scheduler._aps.get_job(JOB).trigger
    assert timer.get_next_fire_time(None, SUNDAY) == TUESDAY_9.astimezone(dt.UTC)
    assert await scheduler.check(JOB, SUNDAY) == "baseline"
    assert await scheduler.check(JOB, MONDAY_10) == "idle"
    assert await scheduler.check(JOB, MONDAY_10 + dt.timedelta(hours=12)) == "idle"
    assert await _reminders(talk, account) == []
    assert PERIOD.end < TUESDAY_9.date()
    assert await scheduler.check(JOB, TUESDAY_9) == "ok"
    [reminder] = await _reminders(talk, account)
    assert "1 сообщение" in reminder
    assert await scheduler.check(JOB, TUESDAY_9 + dt.timedelta(hours=1)) == "idle"
    assert len(await _reminders(talk, account)) == 1
