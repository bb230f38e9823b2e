"""End to end through the emulator: «Мои чаты», the dialog, restart, cancel, withdraw, the code check."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.config import Settings
from storage.chats import ChatsRepo
from tests.e2e.conftest import seed_people, start_app
from tests.e2e.harness import DEPUTY, Chat, button, buttons
from tests.e2e.messengers import MESSENGERS, Talk, Who
from vk_emulator import Emulator
from vk_emulator.client import EmulatorControl

TEACHER = 2001  # Иванова Анна Петровна, 5А
PARENTS = "class:5А:parents"


async def _to_link_step(chat: Chat) -> list[dict[str, Any]]:
    listing = await chat.say(TEACHER, payload={"cmd": "my_chats"})
    card = await chat.press(TEACHER, listing[-1], button(listing[-1], "родителями 5А")["payload"])
    asked = await chat.press(TEACHER, card[-1], button(card[-1], "Подтвердить перенос")["payload"])
    assert "в каком мессенджере" in asked[-1]["text"]
    return await chat.press(TEACHER, asked[-1], button(asked[-1], "WhatsApp")["payload"])


async def _complete(chat: Chat, link_step: dict[str, Any]) -> list[dict[str, Any]]:
    counted = await chat.say(TEACHER, "https://vk.me/join/AJQ1dTest_42")
    assert "Сколько примерно человек" in counted[-1]["text"]
    old = await chat.say(TEACHER, "около 25")
    summary = await chat.press(TEACHER, old[-1], button(old[-1], "Да, закрыт")["payload"])
    assert "Новый чат: https://vk.me/join/AJQ1dTest_42" in summary[-1]["text"]
    return await chat.press(TEACHER, summary[-1], button(summary[-1], "Подтвердить")["payload"])


async def _confirmation(app: App, key: str = PARENTS) -> Any:
    person = (await app.deps.people.by_vk_id(TEACHER))[0]
    async with app.db.read() as conn:
        return await ChatsRepo.confirmation(conn, person.id, key)


async def test_teacher_confirms_a_chat_with_buttons_and_a_typed_link(chat: Chat, bot_app: App) -> None:
    """Buttons for every step, typing only the link and the count; the confirmation is stored."""
    link_step = await _to_link_step(chat)
    # Chats move to Сферум in MAX unless [schools.migration] messenger says "sferum".
    assert "https://max.ru/join/" in link_step[-1]["text"]
    wrong = await chat.say(TEACHER, "https://chat.whatsapp.com/Xyz")
    assert wrong[-1]["text"].startswith("Не подошло: это ссылка на WhatsApp")
    done = await _complete(chat, link_step[-1])
    assert "перенос чата «Чат с родителями 5А» подтверждён" in done[-1]["text"]
    conf = await _confirmation(bot_app)
    assert (conf.status, conf.old_messenger, conf.members_estimate, conf.old_chat) == ("confirmed", "whatsapp", 25,
                                                                                       "closed")
    assert conf.code in done[-1]["text"]
    progress = await bot_app.deps.chats.progress("school1")
    assert (progress.expected, progress.confirmed) == (8, 1)  # 5А + 7Б, and the director's four


@pytest.mark.parametrize("talk", MESSENGERS, indirect=True)
async def test_teacher_confirms_a_chat_in_either_messenger(talk: Talk) -> None:
    """The same dialog in VK and in MAX: the chat's card, the old messenger, the link, the count, the summary."""
    listing = await talk.ask(Who.TEACHER, "Мои чаты")
    assert "подтверждено 0 из 2" in listing.text
    card = await talk.press(Who.TEACHER, listing, "родителями 5А")
    asked = await talk.press(Who.TEACHER, card, "Подтвердить перенос")
    link_step = await talk.press(Who.TEACHER, asked, "WhatsApp")
    assert "https://max.ru/join/" in link_step.text
    counted = await talk.ask(Who.TEACHER, "https://max.ru/join/AJQ1dTest_42")
    assert "Сколько примерно человек" in counted.text
    old = await talk.ask(Who.TEACHER, "около 25")
    summary = await talk.press(Who.TEACHER, old, "Да, закрыт")
    assert "Новый чат: https://max.ru/join/AJQ1dTest_42" in summary.text
    done = await talk.press(Who.TEACHER, summary, "Подтвердить")
    assert "перенос чата «Чат с родителями 5А» подтверждён" in done.text
    person = await talk.person(Who.TEACHER)
    async with talk.app.db.read() as conn:
        conf = await ChatsRepo.confirmation(conn, person.id, PARENTS)
    assert (conf.status, conf.old_messenger, conf.members_estimate) == ("confirmed", "whatsapp", 25)
    # How to let the bot check the chat is worded for the messenger in use: MAX has no «сообщество».
    if talk.messenger == "max":
        assert "добавьте бота в новый чат администратором с правом «Читать все сообщения»" in done.text
        assert "сообществ" not in done.text and f"с кодом: {conf.code}" in done.text
    else:
        assert "добавьте сообщество в новый чат" in done.text and f"@club1 {conf.code}" in done.text
    card = await talk.press(Who.TEACHER, done, "Мои чаты")
    opened = await talk.press(Who.TEACHER, card, "родителями 5А")
    assert ("«Читать все сообщения»" in opened.text) is (talk.messenger == "max")


async def test_cancel_at_a_typing_step(chat: Chat, bot_app: App) -> None:
    """«Отмена» ends the dialog; typed text afterwards is not taken as a link."""
    link_step = await _to_link_step(chat)
    cancelled = await chat.press(TEACHER, link_step[-1], button(link_step[-1], "Отмена")["payload"])
    assert cancelled[-1]["text"].startswith("Хорошо, отменил")
    later = await chat.say(TEACHER, "https://vk.me/join/Late123")
    assert "Сколько примерно" not in later[-1]["text"]  # someone else (FAQ, fallback) answered
    conf = await _confirmation(bot_app)
    assert conf.status == "draft" and conf.link is None


async def test_withdraw_a_confirmation(chat: Chat, bot_app: App) -> None:
    """«Отозвать» on a confirmed chat's card makes it unconfirmed again."""
    link_step = await _to_link_step(chat)
    await _complete(chat, link_step[-1])
    listing = await chat.say(TEACHER, "Мои чаты")
    assert "подтверждено 1 из 2" in listing[-1]["text"]
    card = await chat.press(TEACHER, listing[-1], button(listing[-1], "родителями 5А")["payload"])
    withdrawn = await chat.press(TEACHER, card[-1], button(card[-1], "Отозвать")["payload"])
    assert "отозвано" in withdrawn[-1]["text"] and "подтверждено 0 из 2" in withdrawn[-1]["text"]
    assert (await _confirmation(bot_app)).status == "withdrawn"


async def test_code_posted_in_a_group_chat_checks_the_confirmation(chat: Chat, bot_app: App,
                                                                   control: EmulatorControl) -> None:
    """The code with a mention of the bot links the chat, counts its members and tells the teacher."""
    link_step = await _to_link_step(chat)
    await _complete(chat, link_step[-1])
    code = (await _confirmation(bot_app)).code
    peer = (await control.add_chat(7, "5А родители", [TEACHER, 5001, 5002, 5003], bot_is_admin=True))["peer_id"]
    await control.add_user(5001, "Пётр", "Родителев")
    told = await chat.say(TEACHER, f"[club1|@sferum_bot] {code}", peer_id=peer, reply_to=TEACHER)
    assert "«Чат с родителями 5А» отмечен как проверенный" in told[-1]["text"]
    assert "Участников в чате: 4" in told[-1]["text"]
    conf = await _confirmation(bot_app)
    assert (conf.checked, conf.chat_peer_id, conf.members_counted) == (True, peer, 4)
    in_chat = (await control.sent(peer))["items"]
    assert in_chat[-1]["text"].startswith("Код принят")


async def test_code_in_a_chat_where_the_bot_is_not_admin(chat: Chat, bot_app: App, control: EmulatorControl) -> None:
    """Without admin rights (917) the chat is still checked, without a count."""
    link_step = await _to_link_step(chat)
    await _complete(chat, link_step[-1])
    code = (await _confirmation(bot_app)).code
    peer = (await control.add_chat(8, "5А", [TEACHER, 5001]))["peer_id"]
    told = await chat.say(TEACHER, f"@club1 вот код: {code}", peer_id=peer, reply_to=TEACHER)
    assert "администратором" in told[-1]["text"]
    conf = await _confirmation(bot_app)
    assert conf.checked and conf.members_counted is None


async def test_forged_payloads_change_nothing(chat: Chat, bot_app: App) -> None:
    """Another teacher pressing on Иванова's chat, or a teacher marking «не нужен», is refused."""
    link_step = await _to_link_step(chat)
    await _complete(chat, link_step[-1])
    listing = await chat.say(2003, "Мои чаты")
    refused = await chat.press(2003, listing[-1], {"cmd": "ch_wd", "k": PARENTS})
    assert refused[-1]["text"].startswith("Такого чата нет в вашем списке")
    person = (await bot_app.deps.people.by_vk_id(TEACHER))[0]
    denied = await chat.press(2003, listing[-1], {"cmd": "ch_nnk", "p": person.id, "k": PARENTS})
    assert "заместители директора" in denied[-1]["text"]
    assert (await _confirmation(bot_app)).status == "confirmed"
    audit = await bot_app.deps.audit.recent(action="chat_not_needed_pick")
    assert audit[0].outcome == "denied" and audit[0].actor_vk_id == 2003


async def test_deputy_sees_the_report_and_marks_a_chat_not_needed(chat: Chat, bot_app: App) -> None:
    """«Перенос чатов» for the deputy: per person, then «не нужен» with a typed reason."""
    report = await chat.say(DEPUTY, payload={"cmd": "migration_report"})
    assert "Подтверждено: 0 из 8" in report[-1]["text"] and "5А — 0 из 2" in report[-1]["text"]
    by_person = await chat.press(DEPUTY, report[-1], button(report[-1], "По сотрудникам")["payload"])
    assert "Иванова А. П. — 0 из 2" in by_person[-1]["text"]
    people = await chat.press(DEPUTY, by_person[-1], button(by_person[-1], "не нужен")["payload"])
    chats = await chat.press(DEPUTY, people[-1], button(people[-1], "Иванова")["payload"])
    asked = await chat.press(DEPUTY, chats[-1], button(chats[-1], "родителями")["payload"])
    assert "Почему чат «Чат с родителями 5А» не нужен" in asked[-1]["text"]
    done = await chat.say(DEPUTY, "родители в общем чате параллели")
    assert done[-1]["text"].startswith("Отметил")
    assert (await _confirmation(bot_app)).status == "not_needed"
    teacher_report = await chat.say(TEACHER, payload={"cmd": "migration_report"})
    assert "заместители директора" in teacher_report[-1]["text"]


async def test_my_status_includes_chats(chat: Chat) -> None:
    """«Мой статус» shows chats confirmed of expected and the open tasks."""
    status = await chat.say(TEACHER, "мой статус")
    assert "Перенесено чатов: 0 из 2" in status[-1]["text"]
    assert "Подтвердите перенос чата «Чат с учениками 5А»" in status[-1]["text"]


async def test_restart_mid_dialog_resumes(e2e_settings: Settings, emulator: Emulator, control: EmulatorControl,
                                          monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The bot restarts at the link step; «Мои чаты» continues there and the typed link is taken."""
    monkeypatch.chdir(tmp_path)
    app, task = await start_app(e2e_settings, emulator)
    chat = Chat(control)
    try:
        await seed_people(app, control)
        await control.wait_listening()
        await _to_link_step(chat)
    finally:
        await app.close()
        await asyncio.gather(task, return_exceptions=True)
    app, task = await start_app(e2e_settings, emulator)
    try:
        await control.wait_listening()
        resumed = await chat.say(TEACHER, "Мои чаты")
        assert resumed[-1]["text"].startswith("Продолжим с того места")
        assert "ссылку-приглашение" in resumed[-1]["text"]
        assert {"Нет ссылки", "Отмена"} <= {b["label"] for b in buttons(resumed[-1])}
        counted = await chat.say(TEACHER, "https://vk.me/join/AfterRestart1")
        assert "Сколько примерно человек" in counted[-1]["text"]
    finally:
        await app.close()
        await asyncio.gather(task, return_exceptions=True)


async def test_group_chat_gets_no_report_and_no_admin_presses(chat: Chat, bot_app: App,
                                                             control: EmulatorControl) -> None:
    """In a group chat the deputy's report is refused (names stay private) and a forged press is denied."""
    peer = (await control.add_chat(9, "Учителя", [DEPUTY, TEACHER], bot_reads_all=True))["peer_id"]
    refused = await chat.say(DEPUTY, "перенос чатов", peer_id=peer)
    assert "только в личных сообщениях" in refused[-1]["text"]
    assert "Иванова" not in refused[-1]["text"]
    person = (await bot_app.deps.people.by_vk_id(TEACHER))[0]
    told = await chat.press(DEPUTY, refused[-1], {"cmd": "ch_nnk", "p": person.id, "k": PARENTS}, reply_to=DEPUTY)
    assert "только в личных сообщениях" in told[-1]["text"]
    assert await _confirmation(bot_app) is None
    audit = await bot_app.deps.audit.recent(action="chat_not_needed_pick")
    assert audit[0].outcome == "denied"
