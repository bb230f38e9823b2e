"""Through the emulator: the broadcast dialog's button steps also take typed answers."""

from __future__ import annotations

import pytest

from bot.app import App
from tests.e2e.harness import DEPUTY, Chat, button, step


async def status_of(app: App, broadcast_id: int) -> str:
    broadcast = await app.deps.broadcasts.get(broadcast_id)
    assert broadcast is not None
    return str(broadcast.status)


@pytest.mark.parametrize(("typed", "understood"), [
    ("всем", "Понял: все сотрудники."),
    ("1", "Понял: все сотрудники."),
    ("всем сотрудникам", "Понял: все сотрудники."),
    ("не зарегистрированным", "Понял: не зарегистрированные в Сферуме."),
    ("кто не подтвердил перенос чатов", "Понял: не подтвердившие перенос рабочих чатов."),
    ("классному 5 а", "Понял: классному руководителю 5А."),
    ("5А", "Понял: классному руководителю 5А."),
])
async def test_who_step_takes_a_typed_answer(chat: Chat, bot_app: App, typed: str, understood: str) -> None:
    """«всем», a number, a class or key words choose the audience and say what was understood."""
    await chat.say(DEPUTY, "рассылка")
    answer = await chat.say(DEPUTY, typed)
    assert answer[-1]["text"].startswith(understood)
    state = await step(bot_app.deps, DEPUTY, "broadcast")
    assert state is not None and state.state in ("text", "audience")


async def test_who_step_not_understood_lists_the_choices(chat: Chat, bot_app: App) -> None:
    """An unclear answer keeps the step and shows the numbered choices."""
    await chat.say(DEPUTY, "рассылка")
    answer = await chat.say(DEPUTY, "хм")
    assert answer[-1]["text"].startswith("Не понял, кому отправить.") and "1. Всем сотрудникам" in answer[-1]["text"]
    state = await step(bot_app.deps, DEPUTY, "broadcast")
    assert state is not None and state.state == "audience"


async def test_typed_cancel_at_the_who_step(chat: Chat, bot_app: App) -> None:
    """«отмена» typed at the «who» step ends the dialog."""
    await chat.say(DEPUTY, "рассылка")
    answer = await chat.say(DEPUTY, "отменить")
    assert answer[-1]["text"] == "Рассылка отменена."
    assert await step(bot_app.deps, DEPUTY, "broadcast") is None


async def test_preview_typed_edit_then_typed_send(chat: Chat, bot_app: App) -> None:
    """Under the preview «изменить» asks for a new text and «отправить» sends it, without a button."""
    await chat.say(DEPUTY, "рассылка")
    await chat.say(DEPUTY, "5А")
    preview = await chat.say(DEPUTY, "Проверьте журнал.")
    broadcast_id = button(preview[-1], "Отправить")["payload"]["b"]
    ask_new = await chat.say(DEPUTY, "изменить")
    assert ask_new[-1]["text"].startswith("Понял: меняем текст.")
    edited = await chat.say(DEPUTY, "Проверьте журнал до пятницы.")
    assert "до пятницы" in edited[-1]["text"]
    unclear = await chat.say(DEPUTY, "хм")
    assert unclear[-1]["text"].startswith("Не понял ответ.")
    sent = await chat.say(DEPUTY, "да, отправляй", count=3)
    assert sent[0]["text"] == "Понял: отправляю."
    assert sent[-1]["text"].startswith("Рассылка отправлена.")
    assert await status_of(bot_app, broadcast_id) == "done"


async def test_text_step_keeps_a_text_that_starts_with_cancel(chat: Chat, bot_app: App) -> None:
    """At the text step «Отмена уроков завтра» is the broadcast's text, not a cancel."""
    await chat.say(DEPUTY, "рассылка")
    await chat.say(DEPUTY, "всем")
    preview = await chat.say(DEPUTY, "Отмена уроков завтра из-за карантина")
    assert "Отмена уроков завтра" in preview[-1]["text"] and button(preview[-1], "Отправить")


async def test_a_command_at_the_who_step_is_not_taken_as_an_answer(chat: Chat, bot_app: App) -> None:
    """«сводка» typed while «who» waits shows the summary, not «не понял»."""
    await chat.say(DEPUTY, "рассылка")
    answer = await chat.say(DEPUTY, "сводка")
    assert "Не понял, кому отправить" not in answer[-1]["text"] and "нет данных" in answer[-1]["text"]


async def test_typed_back_at_the_class_step_returns_to_who(chat: Chat, bot_app: App) -> None:
    """«назад» while the class is asked shows the «who» choices again."""
    await chat.say(DEPUTY, "рассылка")
    asked = await chat.say(DEPUTY, "классному")
    assert asked[-1]["text"] == "Понял: классному руководителю.\n\nНапишите класс, например 5А."
    back = await chat.say(DEPUTY, "назад")
    assert back[-1]["text"].startswith("Кому отправить рассылку?")
    state = await step(bot_app.deps, DEPUTY, "broadcast")
    assert state is not None and state.state == "audience"
