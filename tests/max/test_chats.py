"""Group chats in MAX end to end: learnt from bot_added, forgotten on bot_removed, the bot says plainly where
it is not an admin or lacks «read all messages», live counts from message_created, members paged by marker."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.app import App
from bot.domain import chats as rules
from bot.domain.models import Period
from bot.max.bridge import group
from bot.max.members import NO_READ_ALL, NOT_ADMIN
from bot.ports import NotAdmin
from max_emulator import MaxEmulator
from max_emulator.client import MaxEmulatorControl
from storage.chats import ChatsSql
from storage.max_chats import MaxChatsRepo
from tests.max.conftest import DEPUTY, DIRECTOR, TEACHERS


async def _known(app: App) -> dict[int, tuple[bool | None, bool | None]]:
    return {c.chat_id: (c.is_admin, c.reads_all) for c in await MaxChatsRepo(app.db).all()}


async def test_chats_are_learnt_and_the_bot_says_what_right_it_lacks(
        max_app: App, max_ctl: MaxEmulatorControl) -> None:
    """Not an admin, or an admin without «read all messages»: one plain message in the chat saying what to
    change; with both rights nothing is said; bot_removed forgets the chat."""
    await max_ctl.add_chat(-501, "Учителя 5-х", [DEPUTY, TEACHERS[0][0]])
    [said] = await max_ctl.wait_sent(-501, 1)
    assert said["text"] == NOT_ADMIN
    await max_ctl.add_chat(-502, "Родители 5А", [DEPUTY], bot_is_admin=True)
    [lacks] = await max_ctl.wait_sent(-502, 1)
    assert lacks["text"] == NO_READ_ALL
    await max_ctl.add_chat(-503, "Педсовет", [DEPUTY, DIRECTOR], bot_is_admin=True, bot_reads_all=True)
    await max_ctl.set_bot(-502, is_admin=True, reads_all=True)  # fixed: bot_admin_permissions_changed
    await max_ctl.set_bot(-501, removed=True)
    await max_ctl.say(DEPUTY, "привет")  # handled after the chat updates
    await max_ctl.wait_sent(None, 3)
    assert await _known(max_app) == {-502: (True, True), -503: (True, True)}
    assert await max_ctl.sent(-503) == []


async def test_live_counts_from_messages_in_chats_the_bot_reads(
        max_app: App, max_ctl: MaxEmulatorControl) -> None:
    """message_created from a bound teacher in a chat the bot reads counts for them; a stranger counts nothing."""
    teacher, name = TEACHERS[0]
    await max_ctl.add_chat(-600, "Учителя", [teacher, DEPUTY], bot_is_admin=True, bot_reads_all=True)
    await max_ctl.say(teacher, "Коллеги, добрый день", chat_id=-600)
    await max_ctl.say(teacher, "Завтра педсовет", chat_id=-600)
    await max_ctl.say(DEPUTY, "привет")
    await max_ctl.wait_sent(None, 1)
    [person] = [p for p in await max_app.deps.people.in_org("school1") if p.full_name == name]
    period = Period.containing(dt.datetime.now(dt.UTC).date())
    assert await max_app.deps.live_counts.messages(person.id, period) == 2


async def test_members_are_paged_by_marker_and_need_admin(
        max_app: App, max_emu: MaxEmulator, max_ctl: MaxEmulatorControl) -> None:
    """GET /chats/{id}/members with count ≤ 100 page by page (the bot itself left out); not an admin: NotAdmin."""
    people = [{"user_id": 80000 + n, "first_name": f"Участник{n}"} for n in range(150)]
    max_emu.seed_users(people)
    await max_ctl.add_chat(-700, "Большой чат", [p["user_id"] for p in people], bot_is_admin=True,
                           bot_reads_all=True)
    await max_ctl.add_chat(-701, "Чужой чат", [DEPUTY])
    assert max_app.max is not None and max_app.max.members is not None
    found = await max_app.max.members.members(group(-700))
    assert sorted(i.external_id for i in found) == [p["user_id"] for p in people]
    stats = await max_ctl.stats()
    assert stats["requests"]["GET /chats/{chatId}/members"] == 2
    with pytest.raises(NotAdmin):
        await max_app.max.members.members(group(-701))


async def test_a_code_posted_in_a_max_chat_checks_the_chat_as_a_max_one(
        max_app: App, max_ctl: MaxEmulatorControl) -> None:
    """The code in a MAX chat the bot reads: the chat is recorded as MAX's (its id, its members), the audit names
    the MAX account that posted it, and the teacher is told in their MAX dialog."""
    teacher, name = TEACHERS[0]
    [person] = await max_app.deps.people.by_max_id(teacher)
    store = ChatsSql(max_app.db)
    await store.ensure("school1", person.id, "class:5А:parents", "Чат с родителями 5А")
    conf = await store.confirm(person.id, "class:5А:parents", {"messenger": "whatsapp", "members": 25},
                               rules.new_code)
    assert conf is not None and conf.code
    await max_ctl.add_chat(-800, "5А родители", [teacher, DEPUTY, DIRECTOR], bot_is_admin=True, bot_reads_all=True)
    dialog = (await max_ctl.say(teacher, "Мой статус"))["chat_id"]  # the teacher has started the bot
    await max_ctl.wait_sent(dialog, 1)
    before = await max_ctl.sent(None)
    await max_ctl.say(teacher, f"Код для бота: {conf.code}", chat_id=-800)
    told = await max_ctl.wait_sent(None, 2, after=before[-1]["seq"] if before else None)
    texts = {item["chat_id"]: item["text"] for item in told}
    assert texts[-800].startswith("Код принят")
    to_teacher = texts[dialog]
    assert "«Чат с родителями 5А» отмечен как проверенный" in to_teacher and "Участников в чате: 3" in to_teacher
    [stored] = [c for c in (await store.of_person("school1", person.id))[1] if c.chat_key == "class:5А:parents"]
    assert (stored.checked, stored.chat_messenger, stored.chat_peer_id, stored.members_counted) == (
        True, "max", -800, 3)
    [entry] = await max_app.deps.audit.recent(action="chat_checked")
    assert (entry.actor_vk_id, entry.actor_max_id) == (None, teacher)
    report = await max_app.deps.chats.open_chat(person, "class:5А:parents")
    assert "Бот видел код в чате MAX, участников: 3." in report.text
