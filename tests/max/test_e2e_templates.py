"""The deputy edits a reminder text in MAX, end to end through the MAX emulator: preview, then «Применить»."""

from __future__ import annotations

from bot.app import App
from max_emulator.client import MaxEmulatorControl
from tests.max.conftest import DEPUTY

NEW_TEXT = "Созвонитесь с родителями {класс} в Сферуме."


async def test_deputy_previews_and_applies_a_text(max_app: App, max_ctl: MaxEmulatorControl) -> None:
    """The list, a previewed new text with callback buttons, and «Применить» saving it for the school."""
    said = await max_ctl.say(DEPUTY, "шаблоны напоминаний")
    [listing] = await max_ctl.wait_sent(said["chat_id"], 1)
    assert "9. нет звонков, есть класс:" in listing["text"]
    await max_ctl.say(DEPUTY, "шаблон 9: " + NEW_TEXT)
    [preview] = await max_ctl.wait_sent(said["chat_id"], 1, after=listing["seq"])
    assert "Так будет выглядеть напоминание" in preview["text"]
    templates = max_app.deps.reminders.templates  # type: ignore[union-attr]
    assert templates.files.read("school1") is None
    apply = next(b for row in preview["keyboard"] for b in row if b["text"] == "Применить")
    await max_ctl.press(DEPUTY, preview["mid"], apply["payload"])
    [done] = await max_ctl.wait_sent(said["chat_id"], 1, after=preview["seq"])
    assert done["text"].startswith("Готово: шаблон 9 изменён")
    [answer] = await max_ctl.answers(DEPUTY, count=1)
    assert answer["notification"] == "Сохранено"
    assert templates.for_school("school1").text("tasks.no_call.with_class") == NEW_TEXT
