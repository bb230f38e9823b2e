"""End to end through the emulator: personal reminders, the 7-day rule, the deputy's report, intent,
a run killed half-way and restarted, and «Мой статус»."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Settings, parse_settings
from bot.domain.models import Role
from tests.e2e.conftest import seed_people, start_app
from tests.e2e.harness import DEPUTY, Chat
from tests.reminders.conftest import MONDAY_10, PERIOD, seed_stats
from vk_emulator import Emulator
from vk_emulator.client import EmulatorControl

GOOD = {"group_messages": 12, "calls": 1, "ejd_linked": True, "registered": True}
DENIED = 2005  # a teacher whose VK account never allowed messages from the community (901)


@pytest.fixture
def school_intent() -> str:
    return "default"


@pytest.fixture
def e2e_settings(tmp_path: Path, emulator: Emulator, school_intent: str) -> Settings:
    """The e2e school with the intent under test."""
    return parse_settings(
        {"vk": {"token": "t", "group_id": 1, "api_url": emulator.api_url, "wait": 5},
         "schools": [{"id": "school1", "name": "МБОУ СОШ № 1", "director_vk_id": 1001, "deputy_vk_ids": [DEPUTY],
                      "intent": school_intent}]},
        tmp_path)


async def seed_school(app: App, control: EmulatorControl) -> dict[int | None, int]:
    """Figures for the e2e roster plus a teacher who denies messages; person id by VK id."""
    await control.add_user(DENIED, "Вера", "Кузнецова", allows_messages=False)
    await app.deps.people.add("school1", "Кузнецова Вера Павловна", Role.TEACHER, vk_id=DENIED)
    people = {p.vk_id: p.id for p in await app.deps.people.in_org("school1") if p.role is Role.TEACHER}
    await seed_stats(app.db, [
        (people[2001], {**GOOD, "group_messages": 1}),
        (people[2002], GOOD),
        (people[2003], {**GOOD, "ejd_linked": False}),
        (people[None], {**GOOD, "registered": False}),
        (people[DENIED], {**GOOD, "group_messages": 0}),
    ])
    return people


async def texts(control: EmulatorControl, peer_id: int) -> list[str]:
    return [item["text"] for item in (await control.sent(peer_id))["items"]]


async def test_run_reminds_personally_once_and_reports_unreachable(
        bot_app: App, control: EmulatorControl) -> None:
    """Each teacher with open points gets one personal reminder; the deputy learns who was not reached."""
    await seed_school(bot_app, control)
    before = await texts(control, DEPUTY)
    report = await bot_app.deps.reminders.run("school1", now=MONDAY_10)
    anna = await texts(control, 2001)
    assert len(anna) == 1 and anna[0].startswith("Анна Петровна, добрый день!") and "1 сообщение" in anna[0]
    olga = await texts(control, 2003)
    assert len(olga) == 1 and "ЭЖД" in olga[0] and olga[0].startswith("Ольга Викторовна")
    assert await texts(control, 2002) == []
    assert (await control.sent(2001))["items"][0]["keyboard"]["inline"] is True
    assert (report.planned, report.sent) == (4, 2)
    deputy = (await texts(control, DEPUTY))[len(before):]
    assert len(deputy) == 1
    assert deputy[0].startswith("Напоминания за неделю 14.11.2026–20.11.2026: не дошли до 2 из 4.")
    assert "Кузнецова В. П. — не разрешил(а) сообщения от сообщества" in deputy[0]
    assert "Сидорова М. И. — страница ВКонтакте не привязана" in deputy[0]
    assert await bot_app.deps.reminders.sent_count("school1", PERIOD) == 2

    # A second run within 7 days (the same day, then two days on) sends nobody anything.
    delivered = (await control.stats())["delivered"]
    await bot_app.deps.reminders.run("school1", now=MONDAY_10 + dt.timedelta(hours=1))
    await bot_app.deps.reminders.run("school1", now=MONDAY_10 + dt.timedelta(days=2))
    assert (await control.stats())["delivered"] == delivered


@pytest.mark.parametrize(("school_intent", "reached"), [("default", False), ("confirmed_notification", True)])
async def test_school_intent_goes_with_the_reminders(
        bot_app: App, control: EmulatorControl, chat: Chat, reached: bool) -> None:
    """Outside VK's 24-hour window only a non-default intent gets through; 943 is reported like 901."""
    await seed_school(bot_app, control)
    await chat.say(DEPUTY, "меню")  # the deputy wrote lately, so the report reaches them either way
    await control.limits(intent_window_hours=24)
    report = await bot_app.deps.reminders.run("school1", now=MONDAY_10)
    assert (len(await texts(control, 2001)) == 1) is reached
    codes = {u.code for u in report.unreachable}
    assert (943 in codes) is not reached
    if not reached:
        assert "давно не писал(а) сообществу" in (await texts(control, DEPUTY))[-1]


async def test_run_killed_half_way_and_restarted_reaches_everyone_once(
        e2e_settings: Settings, emulator: Emulator, control: EmulatorControl,
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A run cancelled mid-send (the process dying) and run again by a new process: one reminder each."""
    monkeypatch.chdir(tmp_path)
    ids = list(range(3001, 3301))
    app, task = await start_app(e2e_settings, emulator)
    try:
        await seed_people(app, control)
        for vk_id in ids:
            await control.add_user(vk_id, "Имя", f"Учитель{vk_id}", allows_messages=True)
            await app.deps.people.add("school1", f"Учитель{vk_id} Имя Отчество", Role.TEACHER, vk_id=vk_id)
        people = {p.vk_id: p.id for p in await app.deps.people.in_org("school1")}
        await seed_stats(app.db, [(people[v], {"group_messages": 0}) for v in ids])
        # Slow answers and lost ones: the kill lands with requests in flight.
        await control.faults(delay_ms=[20, 60], drop_rate=0.1)
        run = asyncio.create_task(app.deps.reminders.run("school1", now=MONDAY_10))
        await control.wait_sent(ids[10], 1, timeout=30)
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)
        await app.close(drain=False)
        await asyncio.gather(task, return_exceptions=True)
        at_kill = (await control.stats())["delivered"]
        assert at_kill < len(ids)
    finally:
        await app.close()

    app, task = await start_app(e2e_settings, emulator)
    try:
        report = await app.deps.reminders.run("school1", now=MONDAY_10 + dt.timedelta(minutes=5))
        counts = [len((await control.sent(v))["items"]) for v in ids]
        assert counts == [1] * len(ids)
        assert len(await texts(control, DEPUTY)) == 1
        # The class teachers of the roster are also reminded of their chats (the chats feature is on).
        assert report.sent == report.planned >= len(ids) and report.unreachable == []
        assert await app.deps.reminders.sent_count("school1", PERIOD) == report.sent
    finally:
        await app.close()
        await asyncio.gather(task, return_exceptions=True)


async def test_my_status_shows_figures_tasks_and_next_reminder(
        bot_app: App, control: EmulatorControl, chat: Chat) -> None:
    """A teacher's «Мой статус» has the last table's figures, the open point and the next reminder."""
    await seed_school(bot_app, control)
    replies = await chat.say(2001, payload={"cmd": "my_status"})
    text = replies[-1]["text"]
    assert "Статистика Сферума" in text
    assert "Неделя 14.11.2026–20.11.2026: 1 сообщение в групповых чатах" in text
    assert "Следующее напоминание —" in text
    # A useful action for her class, not a count of messages to write.
    assert "чата родителей" in text and "домашнее задание" in text
