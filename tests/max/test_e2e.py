"""End to end in MAX: the real bot polls the MAX emulator over HTTP; the school is configured only with [max]."""

from __future__ import annotations

from bot.app import App
from bot.domain.models import Role
from handlers.fallback import STRANGER_MAX
from max_emulator.client import MaxEmulatorControl
from tests.max.conftest import DIRECTOR, STRANGER, TEACHERS
from tests.summary.conftest import WEEK1, WEEK2, put_week


async def seed_weeks(app: App) -> None:
    """Two weeks of figures for the MAX roster: Петров writes too little."""
    people = {p.full_name: p.id for p in await app.deps.people.in_org("school1")}
    figures = {TEACHERS[0][1]: (2, 6), TEACHERS[1][1]: (1, 1)}
    for n, period in enumerate((WEEK1, WEEK2)):
        await put_week(app.db, "school1", period, [
            (people[name], {"group_messages": week[n], "calls": 1, "registered": True})
            for name, week in figures.items()])


async def test_director_gets_summary_with_files_through_uploads(max_app: App, max_ctl: MaxEmulatorControl) -> None:
    """«сводка» from the director in MAX: the summary text, then the xlsx and the chart sent via /uploads."""
    await seed_weeks(max_app)
    said = await max_ctl.say(DIRECTOR, "сводка")
    items = await max_ctl.wait_sent(said["chat_id"], 3)
    assert items[0]["text"].startswith("Сводка: МБОУ СОШ № 1") and "Петров С. И." in items[0]["text"]
    kinds = sorted(a["type"] for item in items[1:] for a in item["attachments"])
    assert kinds == ["file", "image"]
    assert any(a.get("filename", "").endswith(".xlsx") for item in items for a in item["attachments"])
    stats = await max_ctl.stats()
    assert stats["requests"].get("POST /uploads") == 2 and stats["rate_limited"] == 0
    [entry] = await max_app.deps.audit.recent(action="summary")
    assert entry.outcome == "ok" and entry.actor_vk_id is None
    [director] = await max_app.deps.people.by_max_id(DIRECTOR)
    assert director.role is Role.DIRECTOR


async def test_stranger_gets_the_fallback(max_app: App, max_ctl: MaxEmulatorControl) -> None:
    """Someone the roster does not know gets the fallback for any text, and a refusal (no figures) for «сводка»."""
    said = await max_ctl.say(STRANGER, "привет")
    [reply] = await max_ctl.wait_sent(said["chat_id"], 1)
    assert reply["text"] == STRANGER_MAX
    await max_ctl.say(STRANGER, "сводка")
    [refusal] = await max_ctl.wait_sent(said["chat_id"], 1, after=reply["seq"])
    assert "Сводка:" not in refusal["text"] and "пока не знаю" in refusal["text"]
