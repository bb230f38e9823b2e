"""End to end through the emulator: the deputy's broadcast dialog, its progress and report, and refusals."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Settings, parse_settings
from bot.domain.models import Person, Role
from tests.e2e.conftest import start_app
from tests.e2e.harness import DEPUTY, DIRECTOR, Chat, button, buttons, step
from vk_emulator import Emulator
from vk_emulator.client import EmulatorControl

SILENT = 2005
OTHER_DEPUTY = 1003


async def deputy_of(app: App, vk_id: int = DEPUTY) -> Person:
    person = await app.deps.access.person(vk_id)
    assert person is not None
    return person


async def status_of(app: App, broadcast_id: int) -> str:
    broadcast = await app.deps.broadcasts.get(broadcast_id)
    assert broadcast is not None
    return str(broadcast.status)


async def test_full_broadcast_preview_send_progress_report(chat: Chat, bot_app: App, control: EmulatorControl) -> None:
    """Who → text → preview (counts first) → send: one edited progress message, a report naming the 901 user."""
    await control.add_user(SILENT, "Олег", "Кузнецов")
    await bot_app.deps.people.add("school1", "Кузнецов Олег Игоревич", Role.TEACHER, vk_id=SILENT)
    menu = await chat.say(DEPUTY, payload={"cmd": "broadcast"})
    assert menu[-1]["text"].startswith("Кому отправить рассылку?\n1. Всем сотрудникам")
    assert "Не подтвердившим перенос чатов" in {b["label"] for b in buttons(menu[-1])}
    asked = await chat.press(DEPUTY, menu[-1], button(menu[-1], "Всем сотрудникам")["payload"])
    assert asked[-1]["text"].startswith("Получателей: 5 (все сотрудники). Напишите текст")
    preview = await chat.say(DEPUTY, "Завтра в 15:00 совещание в актовом зале.")
    text = preview[-1]["text"]
    assert text.splitlines()[0] == "Получателей: 5, из них бот не может написать 2:"
    assert "Кузнецов Олег Игоревич — не разрешил сообщения" in text and "Сидорова Мария Ивановна — нет страницы" in text
    assert "Завтра в 15:00 совещание" in text
    assert [b["label"] for b in buttons(preview[-1])] == ["Отправить", "Изменить текст", "Отмена"]
    done = await chat.press(DEPUTY, preview[-1], button(preview[-1], "Отправить")["payload"], count=2)
    progress, report = done
    assert progress["text"] == "Рассылка завершена: обработано 5 из 5."
    assert report["text"].startswith("Рассылка отправлена. Доставлено: 3 из 5.")
    assert "Кузнецов Олег Игоревич — не разрешил сообщения от сообщества" in report["text"]
    assert "Сидорова Мария Ивановна — нет страницы ВКонтакте" in report["text"]
    stats = await control.stats()
    assert stats["requests"].get("messages.edit", 0) >= 1
    for vk_id in (2001, 2002, 2003):
        got = (await control.sent(vk_id))["items"]
        assert [m["text"] for m in got] == ["Сообщение от заместителя директора:\n\nЗавтра в 15:00 совещание "
                                            "в актовом зале."]
    assert (await control.sent(SILENT))["items"] == []
    # A second press of «Отправить» sends nothing again (one user's events are handled in order,
    # so the menu's reply comes after the press was handled).
    await chat.press(DEPUTY, preview[-1], button(preview[-1], "Отправить")["payload"], count=0)
    await chat.say(DEPUTY, "меню")
    snacks = [s["event_data"].get("text") for s in (await control.snackbars(DEPUTY))["items"]]
    assert snacks[-1] == "Эта рассылка уже отправлена или отменена"
    assert len((await control.sent(2001))["items"]) == 1


async def test_class_teacher_edit_text_and_cancel(chat: Chat, bot_app: App) -> None:
    """A class typed in any case finds its teacher; «Изменить текст» replaces it; «Отмена» drops the draft."""
    menu = await chat.say(DEPUTY, "рассылка")
    ask = await chat.press(DEPUTY, menu[-1], button(menu[-1], "Классному")["payload"])
    assert ask[-1]["text"] == "Напишите класс, например 5А."
    wrong = await chat.say(DEPUTY, "9Г")
    assert "Не нашёл классного руководителя «9Г»" in wrong[-1]["text"] and "5А" in wrong[-1]["text"]
    found = await chat.say(DEPUTY, "5 а")
    assert found[-1]["text"].startswith("Классный руководитель 5А: Иванова Анна Петровна.")
    preview = await chat.say(DEPUTY, "Проверьте журнал.")
    assert preview[-1]["text"].startswith("Получателей: 1, написать можно всем.")
    ask_new = await chat.press(DEPUTY, preview[-1], button(preview[-1], "Изменить")["payload"])
    assert ask_new[-1]["text"] == "Пришлите новый текст рассылки."
    edited = await chat.say(DEPUTY, "Проверьте, пожалуйста, журнал до пятницы.")
    assert "до пятницы" in edited[-1]["text"]
    broadcast_id = button(edited[-1], "Отправить")["payload"]["b"]
    cancelled = await chat.press(DEPUTY, edited[-1], button(edited[-1], "Отмена")["payload"])
    assert cancelled[-1]["text"] == "Рассылка отменена."
    assert await status_of(bot_app, broadcast_id) == "cancelled"
    assert await step(bot_app.deps, DEPUTY, "broadcast") is None


async def test_teacher_pressing_a_forged_send_is_refused(chat: Chat, bot_app: App, control: EmulatorControl) -> None:
    """A teacher's forged «Отправить» payload is refused and audited; nothing is sent."""
    preview = await bot_app.deps.broadcasts.create(await deputy_of(bot_app), "all", None, "Текст")
    shown = await chat.say(2001, "мой статус")
    refused = await chat.press(2001, shown[-1], {"cmd": "bc_send", "b": preview.broadcast.id})
    assert "заместители директора" in refused[-1]["text"]
    assert await status_of(bot_app, preview.broadcast.id) == "draft"
    assert (await control.sent(2002))["items"] == []
    denied = await bot_app.deps.audit.recent(action="broadcast_send")
    assert (denied[0].outcome, denied[0].actor_vk_id) == ("denied", 2001)


async def test_broadcast_asked_in_a_group_chat_is_refused(bot_app: App, control: EmulatorControl, chat: Chat) -> None:
    """«рассылка» from the deputy in a group chat: told to use private messages; nothing starts."""
    made = await control.add_chat(3, "Учительская", [DEPUTY, 2001], bot_reads_all=True)
    peer = int(made["peer_id"])
    replies = await chat.say(DEPUTY, "рассылка", peer_id=peer)
    assert replies[-1]["text"] == "Эту команду можно выполнить только в личных сообщениях с ботом."
    assert await step(bot_app.deps, DEPUTY, "broadcast") is None


@pytest.fixture
def e2e_settings(tmp_path: Path, emulator: Emulator) -> Settings:
    """Two schools: the second one's deputy must not touch the first one's broadcasts."""
    return parse_settings(
        {
            "vk": {"token": "t", "group_id": 1, "api_url": emulator.api_url, "wait": 5},
            "schools": [{"id": "school1", "name": "МБОУ СОШ № 1", "director_vk_id": DIRECTOR,
                         "deputy_vk_ids": [DEPUTY]},
                        {"id": "school2", "name": "МБОУ СОШ № 2", "deputy_vk_ids": [OTHER_DEPUTY]}],
        },
        tmp_path,
    )


async def test_deputy_of_another_school_cannot_send_this_schools_broadcast(
        chat: Chat, bot_app: App, control: EmulatorControl) -> None:
    """School 2's deputy pressing school 1's «Отправить» is refused («другой школе»); nothing is sent."""
    await control.add_user(OTHER_DEPUTY, "Пётр", "Соколов", allows_messages=True)
    preview = await bot_app.deps.broadcasts.create(await deputy_of(bot_app), "all", None, "Только для школы 1")
    shown = await chat.say(OTHER_DEPUTY, "меню")
    refused = await chat.press(OTHER_DEPUTY, shown[-1], {"cmd": "bc_send", "b": preview.broadcast.id})
    assert "другой школе" in refused[-1]["text"]
    assert await status_of(bot_app, preview.broadcast.id) == "draft"
    assert (await control.sent(2001))["items"] == []
    # Its own audience choices only ever read its own school: school 2 has no staff.
    other = await deputy_of(bot_app, OTHER_DEPUTY)
    assert await bot_app.deps.broadcasts.audience(other.org_id, "all") == []


async def test_the_dialog_survives_a_restart(chat: Chat, bot_app: App, control: EmulatorControl,
                                             emulator: Emulator, e2e_settings: Settings) -> None:
    """Audience chosen, bot restarted: the text typed next still becomes the preview."""
    menu = await chat.say(DEPUTY, payload={"cmd": "broadcast"})
    await chat.press(DEPUTY, menu[-1], button(menu[-1], "Всем сотрудникам")["payload"])
    await bot_app.close()
    app, task = await start_app(e2e_settings, emulator)
    try:
        await control.wait_listening()
        preview = await chat.say(DEPUTY, "После перезапуска.")
        assert preview[-1]["text"].startswith("Получателей: 4,")
        assert "После перезапуска." in preview[-1]["text"]
    finally:
        await app.close()
        await asyncio.gather(task, return_exceptions=True)
