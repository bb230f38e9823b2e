"""Through the emulator: every step of the chats dialog takes typed answers and says what it understood."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import App
from storage.chats import ChatsRepo
from tests.e2e.harness import DEPUTY, Chat, button, step

TEACHER = 2001  # Иванова Анна Петровна, 5А
PARENTS = "class:5А:parents"


async def _to_messenger_step(chat: Chat) -> list[dict[str, Any]]:
    listing = await chat.say(TEACHER, "мои чаты")
    card = await chat.press(TEACHER, listing[-1], button(listing[-1], "родителями 5А")["payload"])
    asked = await chat.press(TEACHER, card[-1], button(card[-1], "Подтвердить перенос")["payload"])
    assert "в каком мессенджере" in asked[-1]["text"] and "напишите название" in asked[-1]["text"]
    return asked


async def _step(app: App) -> str | None:
    dialog = await step(app.deps, TEACHER, "chats")
    return dialog.state if dialog else None


async def _confirmation(app: App) -> Any:
    person = (await app.deps.people.by_vk_id(TEACHER))[0]
    async with app.db.read() as conn:
        return await ChatsRepo.confirmation(conn, person.id, PARENTS)


@pytest.mark.parametrize(("typed", "label"), [
    ("в телеге был", "Telegram"), ("тг", "Telegram"), ("Вотсап", "WhatsApp"), ("в вайбере", "Viber"),
    ("дискорд", "Discord"),
])
async def test_messenger_step_takes_a_typed_name(chat: Chat, bot_app: App, typed: str, label: str) -> None:
    """A messenger's name in any common spelling moves on and says what was understood."""
    await _to_messenger_step(chat)
    answer = await chat.say(TEACHER, typed)
    assert answer[-1]["text"].startswith(f"Понял: чат был в {label}.")
    assert "Пришлите ссылку-приглашение" in answer[-1]["text"]
    assert await _step(bot_app) == "link"


async def test_messenger_step_takes_no_old_chat(chat: Chat, bot_app: App) -> None:
    """«не было» means the chat was created right away in the new messenger."""
    await _to_messenger_step(chat)
    answer = await chat.say(TEACHER, "не было")
    assert answer[-1]["text"].startswith("Понял: старого чата не было")
    assert await _step(bot_app) == "link"


async def test_messenger_step_says_what_to_type_when_not_understood(chat: Chat, bot_app: App) -> None:
    """An unknown word keeps the step and tells what can be typed."""
    await _to_messenger_step(chat)
    answer = await chat.say(TEACHER, "ой не помню")
    assert answer[-1]["text"].startswith("Не понял, в каком мессенджере был чат")
    assert await _step(bot_app) == "messenger"


async def test_typed_cancel_at_a_button_step(chat: Chat, bot_app: App) -> None:
    """«отмена» typed at a button step ends the dialog."""
    await _to_messenger_step(chat)
    answer = await chat.say(TEACHER, "Отмена")
    assert answer[-1]["text"].startswith("Хорошо, отменил")
    assert await _step(bot_app) is None


async def test_typed_back_returns_one_step(chat: Chat, bot_app: App) -> None:
    """«назад» at the link step goes back to the messenger question."""
    await _to_messenger_step(chat)
    await chat.say(TEACHER, "телеграм")
    answer = await chat.say(TEACHER, "назад")
    assert "вернёмся на шаг назад" in answer[-1]["text"] and "в каком мессенджере" in answer[-1]["text"]
    assert await _step(bot_app) == "messenger"


async def test_whole_dialog_typed_without_a_button(chat: Chat, bot_app: App) -> None:
    """Every step answered by typing: messenger, «нет» link, reason, number, «да» closed, «да» confirmed."""
    await _to_messenger_step(chat)
    await chat.say(TEACHER, "ватсап")
    no_link = await chat.say(TEACHER, "нет")
    assert no_link[-1]["text"].startswith("Понял: ссылки нет.") and "Почему нет ссылки" in no_link[-1]["text"]
    reason = await chat.say(TEACHER, "создан автоматически")
    assert reason[-1]["text"].startswith("Понял: чат создан автоматически.")
    counted = await chat.say(TEACHER, "около 25")
    assert counted[-1]["text"].startswith("Понял: в чате около 25 человек.")
    assert "закрыт?" in counted[-1]["text"]
    closed = await chat.say(TEACHER, "да, закрыла")
    assert closed[-1]["text"].startswith("Понял: старый чат закрыт.") and "Всё верно?" in closed[-1]["text"]
    done = await chat.say(TEACHER, "да")
    assert "перенос чата «Чат с родителями 5А» подтверждён" in done[-1]["text"]
    conf = await _confirmation(bot_app)
    assert (conf.status, conf.old_messenger, conf.members_estimate, conf.old_chat) == (
        "confirmed", "whatsapp", 25, "closed")


@pytest.mark.parametrize(("typed", "start", "step"), [
    ("пока нет", "Понял: старый чат ещё открыт.", "old_chat"),
    ("объявила", "Понял: участникам объявлено", "summary"),
    ("может быть", "Не понял ответ.", "old_chat"),
])
async def test_old_chat_step_typed(chat: Chat, bot_app: App, typed: str, start: str, step: str) -> None:
    """«пока нет», «объявила» and an unclear answer at the old-chat step."""
    await _to_messenger_step(chat)
    await chat.say(TEACHER, "телеграм")
    await chat.say(TEACHER, "https://vk.me/join/AJQ1dTest_42")
    await chat.say(TEACHER, "30")
    answer = await chat.say(TEACHER, typed)
    assert answer[-1]["text"].startswith(start)
    assert await _step(bot_app) == step


async def test_summary_typed_fix_goes_back_to_the_start(chat: Chat, bot_app: App) -> None:
    """«исправить» typed at the summary walks the steps again with the answers kept."""
    await _to_messenger_step(chat)
    await chat.say(TEACHER, "телеграм")
    await chat.say(TEACHER, "https://vk.me/join/AJQ1dTest_42")
    await chat.say(TEACHER, "30")
    await chat.say(TEACHER, "да")
    answer = await chat.say(TEACHER, "исправить")
    assert answer[-1]["text"].startswith("Хорошо, исправим.") and "в каком мессенджере" in answer[-1]["text"]
    assert await _step(bot_app) == "messenger"


async def test_a_question_at_a_button_step_is_not_taken_as_an_answer(chat: Chat, bot_app: App) -> None:
    """A question typed while the dialog waits for a button goes to the FAQ; the dialog stays."""
    await _to_messenger_step(chat)
    answer = await chat.say(TEACHER, "как войти в Сферум через Госуслуги?")
    assert "Не понял, в каком мессенджере" not in answer[-1]["text"]
    assert await _step(bot_app) == "messenger"


async def test_a_typed_number_picks_a_chat_from_the_list(chat: Chat, bot_app: App) -> None:
    """«Мои чаты» numbers the chats; typing «2» starts the dialog for the second one without a button."""
    listing = await chat.say(TEACHER, "мои чаты")
    assert "2. ▫️ Чат с родителями 5А" in listing[-1]["text"] and "напишите его номер" in listing[-1]["text"]
    started = await chat.say(TEACHER, "2")
    assert started[-1]["text"].startswith("Понял: «Чат с родителями 5А».")
    assert "в каком мессенджере" in started[-1]["text"]
    assert await _step(bot_app) == "messenger"


async def test_typed_add_starts_a_custom_chat(chat: Chat, bot_app: App) -> None:
    """«добавить» after the list asks for the title of one's own chat."""
    await chat.say(TEACHER, "мои чаты")
    asked = await chat.say(TEACHER, "добавить")
    assert asked[-1]["text"].startswith("Как называется чат")
    assert await _step(bot_app) == "title"


async def test_a_number_out_of_range_is_not_taken(chat: Chat, bot_app: App) -> None:
    """A number beyond the list is not a pick; the dialog does not start."""
    await chat.say(TEACHER, "мои чаты")
    answer = await chat.say(TEACHER, "99")
    assert not answer[-1]["text"].startswith("Понял: «")
    assert await _step(bot_app) is None


def _number_of(text: str, part: str) -> str:
    """The number a numbered line containing `part` starts with."""
    line = next(line for line in text.splitlines() if part in line and line[:1].isdigit())
    return line.split(".", 1)[0]


async def test_deputy_marks_a_chat_not_needed_by_typing_only(chat: Chat, bot_app: App) -> None:
    """«перенос чатов», «по сотрудникам», «не нужен», a person's number, a chat's number, the reason."""
    report = await chat.say(DEPUTY, "перенос чатов")
    assert "Подтверждено: 0 из 8" in report[-1]["text"]
    by_person = await chat.say(DEPUTY, "по сотрудникам")
    assert "Иванова А. П. — 0 из 2" in by_person[-1]["text"]
    people = await chat.say(DEPUTY, "не нужен")
    assert "напишите номер" in people[-1]["text"]
    chats = await chat.say(DEPUTY, _number_of(people[-1]["text"], "Иванова"))
    asked = await chat.say(DEPUTY, _number_of(chats[-1]["text"], "родителями"))
    assert "Почему чат «Чат с родителями 5А» не нужен" in asked[-1]["text"]
    done = await chat.say(DEPUTY, "родители в общем чате параллели")
    assert done[-1]["text"].startswith("Отметил: у Ивановой А. П. чат «Чат с родителями 5А» не нужен")
    assert (await _confirmation(bot_app)).status == "not_needed"


async def test_teacher_typing_not_needed_is_refused(chat: Chat, bot_app: App) -> None:
    """«не нужен» from a teacher is refused like the button; nothing changes."""
    answer = await chat.say(TEACHER, "не нужен")
    assert "заместител" in answer[-1]["text"]
    assert (await _confirmation(bot_app)) is None or (await _confirmation(bot_app)).status != "not_needed"


async def test_a_command_at_a_button_step_runs_the_command(chat: Chat, bot_app: App) -> None:
    """«мой статус» typed while the dialog waits for a messenger runs the command; the dialog stays."""
    await _to_messenger_step(chat)
    answer = await chat.say(TEACHER, "мой стаутс")
    assert "ваш статус" in answer[-1]["text"]
    assert await _step(bot_app) == "messenger"


async def test_a_title_starting_with_stop_is_a_title(chat: Chat, bot_app: App) -> None:
    """At the title step «Стоп-кадр: кружок» is the chat's title, not a cancel."""
    listing = await chat.say(TEACHER, "мои чаты")
    await chat.press(TEACHER, listing[-1], button(listing[-1], "Добавить свой чат")["payload"])
    answer = await chat.say(TEACHER, "Стоп-кадр: кружок")
    assert answer[-1]["text"].startswith("Добавил чат «Стоп-кадр: кружок».")
    assert await _step(bot_app) == "messenger"
