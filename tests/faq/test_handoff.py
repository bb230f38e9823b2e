"""End to end on both messengers: a question the bot cannot answer goes to the deputy and the answer comes back."""

from __future__ import annotations

import pytest

from tests.e2e.messengers import MESSENGERS, Talk, Who

UNKNOWN_QUESTION = "проектор не включается"
DEPUTY_ANSWER = "Проектор чинит Петров Сергей Иванович, кабинет 21."


@pytest.mark.parametrize("talk", MESSENGERS, indirect=True)
async def test_hand_off_round_trip(talk: Talk) -> None:
    """The teacher's question reaches the deputy on her messenger, and her answer reaches the teacher on his."""
    await talk.say(Who.DEPUTY, "Начать")
    replies = await talk.say(Who.TEACHER, UNKNOWN_QUESTION, count=2)
    assert "не знаю" in replies[0].text
    after = await talk.mark(Who.DEPUTY)
    confirmed = await talk.press(Who.TEACHER, replies[-1], "Передать")
    assert "Передал вопрос заместителю" in confirmed.text
    [notified] = await talk.wait(Who.DEPUTY, after)
    assert notified.text.startswith("Вопрос от Ивановой Анны Петровны") and UNKNOWN_QUESTION in notified.text

    prompt = await talk.press(Who.DEPUTY, notified, "Ответить")
    assert "Напишите ответ" in prompt.text
    after = await talk.mark(Who.TEACHER)
    [done] = await talk.say(Who.DEPUTY, DEPUTY_ANSWER)
    assert "Ответ отправлен" in done.text
    [delivered] = await talk.wait(Who.TEACHER, after)
    assert DEPUTY_ANSWER in delivered.text and UNKNOWN_QUESTION in delivered.text
    assert await talk.app.deps.faq.repo.open_questions("school1", 10) == []
