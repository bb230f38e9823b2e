"""Through the emulator: an upload that marks people as left or replaces a loaded week waits for «Применить»."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.config import Settings
from storage.stats import StatsRepo
from tests.e2e.conftest import seed_people, start_app
from tests.e2e.harness import DEPUTY, TEACHERS, Chat, button, buttons
from tests.imports.conftest import full_dump
from tests.imports.tables import ROSTER_HEADER, TITLE, xlsx
from tests.trust.support import Handled
from vk_emulator import Emulator
from vk_emulator.client import EmulatorControl

SHORT_ROSTER = xlsx([ROSTER_HEADER, ["Иванова Анна Петровна", "учитель", "5А", "vk.com/id2001"],
                     ["Новикова Дарья Павловна", "учитель", "", ""]])
LEAVING = "Будут отмечены как уволившиеся: 3 человека — Петров Сергей Иванович, Сидорова Мария Ивановна, " \
          "Смирнова Ольга Викторовна."


async def _press_quietly(control: EmulatorControl, handled: Handled, user_id: int, message: dict[str, Any],
                         payload: dict[str, Any]) -> str:
    """Press a button that answers with a snackbar only; its text once the bot has handled the press."""
    sent = await control.press(user_id, int(message["conversation_message_id"]), payload,
                               peer_id=int(message["peer_id"]))
    await handled.wait(str(sent.get("envelope_event_id") or sent["event_id"]))
    snacks = (await control.snackbars(user_id))["items"]
    return str((snacks[-1].get("event_data") or {}).get("text", "")) if snacks else ""


async def _active_names(app: App) -> list[str]:
    return sorted(p.full_name for p in await app.deps.people.in_org("school1") if p.source != "config")


async def test_a_short_roster_is_previewed_and_applied_once(chat: Chat, bot_app: App,
                                                             control: EmulatorControl) -> None:
    """The preview names who leaves; nothing changes until «Применить»; a second press is refused politely."""
    before = await full_dump(bot_app.db)
    shown = await chat.say(DEPUTY, docs=[("staff.xlsx", SHORT_ROSTER)])
    text = shown[-1]["text"]
    assert "Будет добавлено: 1, изменено: 0." in text and LEAVING in text
    assert [b["label"] for b in buttons(shown[-1])] == ["Применить", "Отменить"]
    after_preview = await full_dump(bot_app.db)
    assert [line for line in after_preview if "people" in line] == [line for line in before if "people" in line]
    report = await chat.press(DEPUTY, shown[-1], button(shown[-1], "Применить")["payload"])
    assert "Добавлено: 1, обновлено: 1, отмечены как уволившиеся: 3" in report[-1]["text"]
    assert await _active_names(bot_app) == ["Иванова Анна Петровна", "Новикова Дарья Павловна"]
    handled = Handled(bot_app)
    applied = await full_dump(bot_app.db)
    again = await _press_quietly(control, handled, DEPUTY, shown[-1], button(shown[-1], "Применить")["payload"])
    assert again == "Эта загрузка уже применена"
    assert [line for line in await full_dump(bot_app.db) if "INSERT INTO \"people\"" in line] == [
        line for line in applied if "INSERT INTO \"people\"" in line]


async def test_cancel_changes_nothing_and_a_cancelled_import_stays_cancelled(
        chat: Chat, bot_app: App, control: EmulatorControl) -> None:
    """«Отменить» says nothing changed; «Применить» afterwards is refused; the data is exactly as before."""
    shown = await chat.say(DEPUTY, docs=[("staff.xlsx", SHORT_ROSTER)])
    people_before = [line for line in await full_dump(bot_app.db) if "INSERT INTO \"people\"" in line]
    cancelled = await chat.press(DEPUTY, shown[-1], button(shown[-1], "Отменить")["payload"])
    assert cancelled[-1]["text"] == "Загрузку «staff.xlsx» отменил: ничего не изменилось."
    handled = Handled(bot_app)
    late = await _press_quietly(control, handled, DEPUTY, shown[-1], button(shown[-1], "Применить")["payload"])
    assert late == "Эта загрузка уже отменена"
    assert [line for line in await full_dump(bot_app.db) if "INSERT INTO \"people\"" in line] == people_before
    assert len(await _active_names(bot_app)) == 4


async def test_forged_and_foreign_presses_are_refused(chat: Chat, bot_app: App, control: EmulatorControl) -> None:
    """A teacher pressing the deputy's «Применить», or a forged id, changes nothing."""
    shown = await chat.say(DEPUTY, docs=[("staff.xlsx", SHORT_ROSTER)])
    payload = button(shown[-1], "Применить")["payload"]
    menu = await chat.say(TEACHERS[0][0], "меню")
    refused = await chat.press(TEACHERS[0][0], menu[-1], payload)
    assert "заместители директора" in refused[-1]["text"]
    handled = Handled(bot_app)
    forged = await _press_quietly(control, handled, DEPUTY, shown[-1], {"cmd": "imp_ok", "c": payload["c"] + 1})
    assert forged == "Кнопка устарела — пришлите файл снова"
    forged = await _press_quietly(control, handled, DEPUTY, shown[-1], {"cmd": "imp_ok", "c": "1; DROP"})
    assert forged == "Кнопка устарела — пришлите файл снова"
    assert len(await _active_names(bot_app)) == 4
    held = await bot_app.deps.imports.held(payload["c"])
    assert held is not None and held.status == "open"


async def test_a_loaded_week_is_replaced_only_after_apply(chat: Chat, bot_app: App) -> None:
    """The same week sent again shows the week it replaces; «Применить» replaces it."""
    table = [[TITLE], ["ФИО", "Сообщений в групповых чатах", "Звонков"], ["Иванова А. П.", 5, 1],
             ["Петров С. И.", 2, 0]]
    first = await chat.say(DEPUTY, docs=[("w.xlsx", xlsx(table))])
    assert "загружено: 2" in first[-1]["text"]
    table[2][1] = 9
    shown = await chat.say(DEPUTY, docs=[("w2.xlsx", xlsx(table))])
    assert "Неделя 14.11.2026–20.11.2026 уже загружена: её данные будут заменены." in shown[-1]["text"]
    assert "Будет добавлено: 0, изменено: 2." in shown[-1]["text"]
    report = await chat.press(DEPUTY, shown[-1], button(shown[-1], "Применить")["payload"])
    assert "заменены новыми" in report[-1]["text"]


async def test_a_held_import_survives_a_restart(e2e_settings: Settings, emulator: Emulator,
                                                control: EmulatorControl, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The preview is kept in the database: after a restart «Применить» applies it, once."""
    monkeypatch.chdir(tmp_path)
    app, task = await start_app(e2e_settings, emulator)
    try:
        await seed_people(app, control)
        await control.wait_listening()
        shown = await Chat(control).say(DEPUTY, docs=[("staff.xlsx", SHORT_ROSTER)])
        assert LEAVING in shown[-1]["text"]
    finally:
        await app.close()
        await asyncio.gather(task, return_exceptions=True)
    app, task = await start_app(e2e_settings, emulator)
    try:
        await control.wait_listening()
        chat = Chat(control)
        report = await chat.press(DEPUTY, shown[-1], button(shown[-1], "Применить")["payload"])
        assert "отмечены как уволившиеся: 3" in report[-1]["text"]
        assert await _active_names(app) == ["Иванова Анна Петровна", "Новикова Дарья Павловна"]
        again = await _press_quietly(control, Handled(app), DEPUTY, shown[-1],
                                     button(shown[-1], "Применить")["payload"])
        assert again == "Эта загрузка уже применена"
    finally:
        await app.close()
        await asyncio.gather(task, return_exceptions=True)


async def test_two_presses_at_once_apply_once(chat: Chat, bot_app: App, control: EmulatorControl) -> None:
    """«Применить» pressed twice before the first is handled: one report, one import, three people left."""
    shown = await chat.say(DEPUTY, docs=[("staff.xlsx", SHORT_ROSTER)])
    payload = button(shown[-1], "Применить")["payload"]
    handled = Handled(bot_app)
    after = await chat.last_seq(DEPUTY)
    presses = [await control.press(DEPUTY, int(shown[-1]["conversation_message_id"]), payload,
                                   peer_id=int(shown[-1]["peer_id"])) for _ in range(2)]
    for sent in presses:
        await handled.wait(str(sent.get("envelope_event_id") or sent["event_id"]))
    texts = [m["text"] for m in (await control.sent(DEPUTY, after=after))["items"]]
    assert sum("Загружен список сотрудников" in t for t in texts) == 1
    assert await _active_names(bot_app) == ["Иванова Анна Петровна", "Новикова Дарья Павловна"]
    assert [r.kind for r in await StatsRepo(bot_app.db).imports("school1")] == ["roster"]


LOG_TABLES = ("audit_log", "inbox", "outbox", "vk_users", "runtime_state", "dialog_state", "conversation_state", "job_runs",
              "apscheduler_jobs", "live_counts", "sqlite_sequence")


async def _data_dump(app: App) -> list[str]:
    """The whole database but the tables that only log what happened (the inbox, the audit log…)."""
    return [line for line in await full_dump(app.db)
            if not any(line.startswith(f'INSERT INTO "{t}"') for t in LOG_TABLES)]


@pytest.mark.parametrize(("name", "rows", "reason"), [
    ("strangers.xlsx", [["ФИО", "Сообщений в групповых чатах"], *([f"Чужая{c} Анна", 1] for c in "абвгде")],
     "больше половины не нашлись"),
    ("future.xlsx", [["Мониторинг за период с 01.01.2099 по 07.01.2099"], ["ФИО", "Сообщений в групповых чатах"],
                     ["Иванова А. П.", 1]], "ещё не закончилась"),
    ("wide.xlsx", [["ФИО", "Должность", *(f"Поле {n}" for n in range(300))],
                   ["Иванова Анна Петровна", "учитель", *(["x"] * 300)]], "302 столбца, а можно до 200"),
])
async def test_a_refused_file_in_the_chat_changes_no_data(chat: Chat, bot_app: App, name: str,
                                                          rows: list[list[object]], reason: str) -> None:
    """Strangers' statistics, a future week, a too wide table: the reason, and the data exactly as before."""
    before = await _data_dump(bot_app)
    replies = await chat.say(DEPUTY, docs=[(name, xlsx(rows))])
    assert replies[-1]["text"].startswith(f"Не загрузил «{name}»") and reason in replies[-1]["text"]
    assert "Ничего не изменилось" in replies[-1]["text"]
    assert await _data_dump(bot_app) == before
