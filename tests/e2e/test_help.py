"""Through the emulator: «помощь» per role, commands with typos, «Вы имели в виду …?»."""

from __future__ import annotations

from bot.app import App
from tests.e2e.harness import DEPUTY, DIRECTOR, Chat, button, buttons


async def test_deputy_help_lists_her_commands_and_is_not_forwarded(chat: Chat, bot_app: App) -> None:
    """«помощь» from the deputy answers with her help; nothing goes to the deputies as a question."""
    replies = await chat.say(DEPUTY, "помощь")
    assert len(replies) == 1
    text = replies[0]["text"]
    assert text.startswith("Что я умею для заместителя директора:")
    assert "• Рассылка — " in text and "• Сводка — " in text and "Например:" in text
    assert len((await chat.control.sent(DEPUTY))["items"]) == 1  # no «новый вопрос» forwarded to herself


async def test_director_help(chat: Chat, bot_app: App) -> None:
    """The director's help lists the summary and the chats report, not broadcasts."""
    [reply] = await chat.say(DIRECTOR, "Что ты умеешь?")
    assert reply["text"].startswith("Что я умею для директора:")
    assert "• Сводка — " in reply["text"] and "Рассылка" not in reply["text"]


async def test_teacher_help(chat: Chat, bot_app: App) -> None:
    """A teacher's help lists status, chats and questions."""
    [reply] = await chat.say(2001, "справка")
    assert reply["text"].startswith("Что я умею:") and "• Мои чаты — " in reply["text"]


async def test_a_command_with_a_typo_is_understood(chat: Chat, bot_app: App) -> None:
    """«свотка» from the deputy gives the summary, as «сводка» would."""
    [reply] = await chat.say(DEPUTY, "свотка")
    assert "нет данных — загрузите статистику" in reply["text"]


async def test_probable_command_asks_did_you_mean_with_a_button(chat: Chat, bot_app: App) -> None:
    """«напомни всем» asks «Вы имели в виду «Рассылка»?»; the button starts the broadcast."""
    [asked] = await chat.say(DEPUTY, "напомни всем")
    assert asked["text"].startswith("Вы имели в виду «Рассылка»?")
    pressed = button(asked, "Рассылка")
    assert pressed["type"] == "text" and pressed["payload"] == {"cmd": "broadcast"}
    started = await chat.say(DEPUTY, "Рассылка", payload=pressed["payload"])
    assert started[-1]["text"].startswith("Кому отправить рассылку?")
    assert {"Помощь"} <= {b["label"] for b in buttons(asked)}
