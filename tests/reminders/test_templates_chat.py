"""The deputy edits a reminder text in the chat: list, refusal with the reason, preview, apply, cancel."""

from __future__ import annotations

from bot.app import App
from tests.e2e.harness import DEPUTY, Chat, buttons


def _button(message: dict[str, object], label: str) -> dict[str, object]:
    return next(b for b in buttons(message) if b["label"] == label)  # type: ignore[arg-type]


async def test_deputy_edits_a_text_with_preview_then_applies(bot_app: App, chat: Chat) -> None:
    """A wrong text is refused with the reason; a good one is previewed and saved only on «Применить»."""
    listing = await chat.say(DEPUTY, "шаблоны напоминаний")
    assert "9. нет звонков, есть класс:" in listing[-1]["text"]

    refused = await chat.say(DEPUTY, "шаблон 9: Напишите ещё 2 сообщения в чат")
    assert refused[-1]["text"].startswith("Текст не принят: текст просит написать сколько-то сообщений")

    preview = await chat.say(DEPUTY, "шаблон 9: Созвонитесь с родителями {класс} в Сферуме.")
    text = preview[-1]["text"]
    assert "Так будет выглядеть напоминание" in text and "Созвонитесь с родителями 5А в Сферуме." in text
    assert "По данным Сферума за неделю" in text
    templates = bot_app.deps.reminders.templates  # type: ignore[union-attr]
    assert templates.files.read("school1") is None  # nothing saved before «Применить»

    done = await chat.press(DEPUTY, preview[-1], _button(preview[-1], "Применить")["payload"])  # type: ignore[arg-type]
    assert done[-1]["text"].startswith("Готово: шаблон 9 изменён")
    assert templates.for_school("school1").text("tasks.no_call.with_class") == \
        "Созвонитесь с родителями {класс} в Сферуме."
    assert "(свой текст школы)" in (await chat.say(DEPUTY, "шаблоны"))[-1]["text"]


async def test_cancel_keeps_the_texts_and_a_teacher_may_not_edit(bot_app: App, chat: Chat) -> None:
    """«Отмена» changes nothing; a teacher's «шаблон …» is refused; an unknown number is explained."""
    preview = await chat.say(DEPUTY, "шаблон 2: Спасибо, что вы с нами!")
    cancelled = await chat.press(DEPUTY, preview[-1], _button(preview[-1], "Отмена")["payload"])  # type: ignore[arg-type]
    assert cancelled[-1]["text"] == "Хорошо, тексты не изменены."
    templates = bot_app.deps.reminders.templates  # type: ignore[union-attr]
    assert templates.files.read("school1") is None
    assert "номера от 1 до 12" in (await chat.say(DEPUTY, "шаблон 40: текст"))[-1]["text"]
    teacher = await chat.say(2001, "шаблон 2: Спасибо!")
    assert "Так будет выглядеть" not in teacher[-1]["text"] and templates.files.read("school1") is None
