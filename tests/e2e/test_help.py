"""Through the emulators (VK and MAX): «помощь» per role, commands with typos, «Вы имели в виду …?»."""

from __future__ import annotations

import pytest

from bot.app import App
from tests.e2e.harness import DEPUTY, Chat, button, buttons
from tests.e2e.messengers import MESSENGERS, Talk, Who


@pytest.mark.parametrize("talk", MESSENGERS, indirect=True)
async def test_deputy_help_lists_her_commands_and_is_not_forwarded(talk: Talk) -> None:
    """«помощь» from the deputy (VK and MAX) answers with her help; nothing goes to the deputies as a question."""
    answer = await talk.ask(Who.DEPUTY, "помощь")
    text = answer.text
    assert text.startswith("Что я умею для заместителя директора:")
    assert "• Рассылка — " in text and "• Сводка — " in text and "Например:" in text
    assert await talk.count_sent(Who.DEPUTY) == 1  # no «новый вопрос» forwarded to herself


@pytest.mark.parametrize("talk", MESSENGERS, indirect=True)
async def test_director_help(talk: Talk) -> None:
    """The director's help lists the summary and the chats report, not broadcasts."""
    answer = await talk.ask(Who.DIRECTOR, "Что ты умеешь?")
    assert answer.text.startswith("Что я умею для директора:")
    assert "• Сводка — " in answer.text and "Рассылка" not in answer.text


@pytest.mark.parametrize("talk", MESSENGERS, indirect=True)
async def test_teacher_help(talk: Talk) -> None:
    """A teacher's help lists status, chats and questions."""
    answer = await talk.ask(Who.TEACHER, "справка")
    assert answer.text.startswith("Что я умею:") and "• Мои чаты — " in answer.text


@pytest.mark.parametrize("talk", MESSENGERS, indirect=True)
async def test_a_command_with_a_typo_is_understood(talk: Talk) -> None:
    """«свотка» from the deputy gives the summary, as «сводка» would."""
    answer = await talk.ask(Who.DEPUTY, "свотка")
    assert "нет данных — загрузите статистику" in answer.text


@pytest.mark.parametrize("talk", MESSENGERS, indirect=True)
async def test_probable_command_asks_did_you_mean(talk: Talk) -> None:
    """«напомни всем» asks «Вы имели в виду «Рассылка»?» with the command and help as buttons."""
    answer = await talk.ask(Who.DEPUTY, "напомни всем")
    assert answer.text.startswith("Вы имели в виду «Рассылка»?")
    assert {"Рассылка", "Помощь"} <= set(answer.buttons)


async def test_probable_command_asks_did_you_mean_with_a_button(chat: Chat, bot_app: App) -> None:
    """«напомни всем» asks «Вы имели в виду «Рассылка»?»; the button starts the broadcast."""
    [asked] = await chat.say(DEPUTY, "напомни всем")
    assert asked["text"].startswith("Вы имели в виду «Рассылка»?")
    pressed = button(asked, "Рассылка")
    assert pressed["type"] == "text" and pressed["payload"] == {"cmd": "broadcast"}
    started = await chat.say(DEPUTY, "Рассылка", payload=pressed["payload"])
    assert started[-1]["text"].startswith("Кому отправить рассылку?")
    assert {"Помощь"} <= {b["label"] for b in buttons(asked)}


async def test_a_typo_in_a_group_chat_is_just_talk(chat: Chat, bot_app: App) -> None:
    """In a group chat «свотка» is not read as a command: only the exact «сводка» after it gets a reply."""
    control = chat.control
    peer = int((await control.add_chat(6, "Учителя", [2001, 2002], bot_reads_all=True))["peer_id"])
    after = await chat.last_seq(peer)
    await control.say(2001, "свотка", peer_id=peer)
    await control.say(2001, "сводка", peer_id=peer)
    replies = await chat.wait(peer, 1, after=after)
    assert replies[0]["text"].startswith("Сводку показываю")
    assert len((await control.sent(peer))["items"]) == 1
