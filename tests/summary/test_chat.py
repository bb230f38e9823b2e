"""End to end through the emulator: the director's summary with files, a teacher's status, a chat without names."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import App
from tests.e2e.harness import DEPUTY, TEACHERS, UNBOUND, Chat
from tests.e2e.messengers import Talk, Who
from tests.summary.conftest import WEEK1, WEEK2, put_week
from vk_emulator.client import EmulatorControl


async def seed_weeks(app: App) -> None:
    """Two weeks of figures for the e2e roster: Петров and Сидорова write too little."""
    people = {p.full_name: p.id for p in await app.deps.people.in_org("school1")}
    # name → (messages in week 1, in week 2, calls)
    figures = {TEACHERS[0][1]: (2, 6, 1), TEACHERS[1][1]: (1, 1, 0), TEACHERS[2][1]: (4, 4, 1),
               UNBOUND[1]: (0, 0, 0)}
    for n, period in enumerate((WEEK1, WEEK2)):
        await put_week(app.db, "school1", period, [
            (people[name], {"group_messages": week[n], "calls": week[2], "registered": True})
            for name, week in figures.items()])


async def wait_for(control: EmulatorControl, peer: int, word: str, after: int) -> dict[str, Any]:
    """The first message to `peer` after `after` that contains `word` (other features may speak first)."""
    for count in range(1, 5):
        items = await control.wait_sent(peer, count, after=after)
        for item in items:
            if word in item["text"]:
                return item
    raise AssertionError(f"no «{word}» in the chat")


@pytest.mark.parametrize("talk", ["vk", "max"], indirect=True)
async def test_director_gets_text_chart_and_spreadsheet(talk: Talk) -> None:
    """«Сводка» from the director (in VK and in MAX): the figures, the names, a chart and an xlsx file."""
    await seed_weeks(talk.app)
    answer = await talk.ask(Who.DIRECTOR, "Сводка", files=2)
    text = answer.text
    assert text.startswith("Сводка: МБОУ СОШ № 1\nНеделя 14.11.2026–20.11.2026")
    assert "Учителя, написавшие ≥ 3 сообщений в групповых чатах за неделю: 2 — 50 % (+1)" in text
    assert "С кем поговорить" in text and "Петров С. И." in text and "Сидорова М. И." in text
    assert answer.files == ["file", "image"]
    assert any(name.endswith(".xlsx") for name in answer.names)
    [entry] = await talk.app.deps.audit.recent(action="summary")
    assert (entry.outcome, entry.actor_vk_id) == ("ok", talk.actor(Who.DIRECTOR))


async def test_deputy_button_gives_the_summary(chat: Chat, bot_app: App) -> None:
    """The menu's «Сводка» button (payload) works for the deputy too, even before any import."""
    [reply] = await chat.say(DEPUTY, payload={"cmd": "summary"})
    assert "нет данных — загрузите статистику" in reply["text"]
    assert all(a["type"] != "doc" for a in reply["attachments"])


@pytest.mark.parametrize("talk", ["vk", "max"], indirect=True)
async def test_teacher_asking_for_the_summary_gets_own_status(talk: Talk) -> None:
    """A teacher typing «сводка» (VK and MAX) sees their own status: no school figures, names or files."""
    await seed_weeks(talk.app)
    answer = await talk.ask(Who.TEACHER, "сводка")
    assert "ваш статус" in answer.text and "Показатели" not in answer.text
    assert "Петров С. И." not in answer.text and answer.files == []


async def test_teacher_gets_own_status_instead(chat: Chat, bot_app: App) -> None:
    """A teacher asking for the summary (typed or a forged button) sees their own status, no school figures."""
    await seed_weeks(bot_app)
    for kwargs in ({"text": "сводка"}, {"payload": {"cmd": "summary"}}):
        [reply] = await chat.say(2002, **kwargs)
        assert "ваш статус" in reply["text"] and "Показатели" not in reply["text"]
        assert "Петров С. И." not in reply["text"] and reply["attachments"] == []


async def test_group_chat_shows_figures_only(chat: Chat, bot_app: App, control: EmulatorControl) -> None:
    """In a group chat the deputy's summary has figures and a chart, never names or the spreadsheet."""
    await seed_weeks(bot_app)
    peer = int((await control.add_chat(5, "Педсовет", [DEPUTY, 2001, 2002], bot_reads_all=True))["peer_id"])
    after = await chat.last_seq(peer)
    await control.say(DEPUTY, "[club1|Бот], сводка", peer_id=peer)
    reply = await wait_for(control, peer, "Сводка:", after)
    assert "≥ 3 сообщений" in reply["text"] and "50 %" in reply["text"]
    for name in ("Петров", "Сидорова", "Иванова", "Смирнова", "С кем поговорить"):
        assert name not in reply["text"]
    assert [a["type"] for a in reply["attachments"]] == ["photo"]


async def test_teacher_in_a_group_chat_is_told_who_may(chat: Chat, bot_app: App, control: EmulatorControl) -> None:
    """A teacher's «сводка» in a chat gets a short refusal there: no figures, no personal status."""
    peer = int((await control.add_chat(6, "Учителя", [2001, 2002], bot_reads_all=True))["peer_id"])
    after = await chat.last_seq(peer)
    await control.say(2001, "сводка", peer_id=peer)
    reply = await wait_for(control, peer, "Сводку показываю", after)
    assert "Показатели" not in reply["text"] and "ваш статус" not in reply["text"]
