"""Identification and menus end to end through the emulator."""

from __future__ import annotations

from bot.app import App
from tests.e2e.harness import DEPUTY, UNBOUND, Chat, button, buttons


async def test_stranger_identifies_and_deputy_approves(chat: Chat, bot_app: App) -> None:
    """An unknown account names itself, picks its line, the deputy approves, it gets the menu."""
    user, name = UNBOUND
    first = await chat.say(user, "здравствуйте")
    assert "фамилию, имя и отчество" in first[-1]["text"]
    offer = await chat.say(user, "сидорова мария ивановна")
    pick = button(offer[-1], "Сидорова")
    assert pick["type"] == "callback"
    deputy_after = await chat.last_seq(DEPUTY)
    waiting = await chat.press(user, offer[-1], pick["payload"])
    assert "заместител" in waiting[-1]["text"]
    ask = await chat.wait(DEPUTY, after=deputy_after)
    assert name in ask[-1]["text"]
    approve = button(ask[-1], "Подтвердить")
    welcome = await chat.press(DEPUTY, ask[-1], approve["payload"], reply_to=user)
    assert "Мария Ивановна" in welcome[-1]["text"]
    assert "хранит" in welcome[-1]["text"]  # the personal-data notice
    assert {"Мой статус", "Мои чаты"} <= {b["label"] for b in buttons(welcome[-1])}
    people = await bot_app.deps.people.by_vk_id(user)
    assert [p.full_name for p in people] == [name]


async def test_forged_approval_from_teacher_is_refused_and_audited(chat: Chat, bot_app: App) -> None:
    """A teacher pressing a forged approve payload changes nothing and is audited as denied."""
    user, _ = UNBOUND
    await chat.say(user, "привет")
    offer = await chat.say(user, "Сидорова М. И.")
    await chat.press(user, offer[-1], button(offer[-1], "Сидорова")["payload"])
    request = await bot_app.deps.identity.pending(user)
    assert request is not None
    sent = await chat.say(2001, "меню")
    refused = await chat.press(2001, sent[-1], {"cmd": "bind_ok", "r": request.id})
    assert "заместители директора" in refused[-1]["text"]
    assert await bot_app.deps.people.by_vk_id(user) == []
    denied = await bot_app.deps.audit.recent(action="approve_binding")
    assert denied[0].outcome == "denied" and denied[0].actor_vk_id == 2001


async def test_known_teacher_gets_menu_and_status(chat: Chat) -> None:
    """A teacher on the roster is greeted by name with the teacher's menu, and can ask for status."""
    replies = await chat.say(2001, "Начать")
    assert replies[-1]["text"].startswith("Анна Петровна")
    labels = {b["label"] for b in buttons(replies[-1])}
    assert "Загрузить таблицу" not in labels and "Мой статус" in labels
    status = await chat.say(2001, payload={"cmd": "my_status"})
    assert "ваш статус" in status[-1]["text"]


async def test_unknown_name_asks_again(chat: Chat) -> None:
    """A name not on the roster gets a clear hint and no request is created."""
    await chat.say(UNBOUND[0], "добрый день")
    replies = await chat.say(UNBOUND[0], "Пупкин Василий")
    assert "Не нашёл" in replies[-1]["text"]
