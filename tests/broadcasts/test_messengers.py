"""End to end on both messengers: a broadcast reaches each person on their messenger, the report names who not."""

from __future__ import annotations

import pytest

from tests.e2e.messengers import MESSENGERS, Talk, Who

TEXT = "Коллеги, напишите, пожалуйста, в чаты своих классов до пятницы."


@pytest.mark.parametrize("talk", MESSENGERS, indirect=True)
async def test_broadcast_reaches_people_and_reports_who_not(talk: Talk) -> None:
    """«Всем сотрудникам»: the teacher who wrote to the bot gets it; the unbound one is named in the report."""
    await talk.say(Who.TEACHER, "Начать")
    [menu] = await talk.say(Who.DEPUTY, "Рассылка")
    who = await talk.press(Who.DEPUTY, menu, "Всем сотрудникам")
    assert "текст" in who.text.lower()
    [preview] = await talk.say(Who.DEPUTY, TEXT)
    assert "Получателей: 4" in preview.text and "Сидорова Мария Ивановна" in preview.text
    teacher_before = await talk.mark(Who.TEACHER)
    deputy_before = await talk.mark(Who.DEPUTY)
    await talk.press(Who.DEPUTY, preview, "Отправить")
    [got] = await talk.wait(Who.TEACHER, teacher_before)
    assert TEXT in got.text
    report = next(a for a in await talk.wait(Who.DEPUTY, deputy_before, count=2) if "Доставлено" in a.text)
    assert "Сидорова Мария Ивановна" in report.text
    if talk.messenger == "max":
        # The teachers who never wrote to the bot in MAX: MAX answered 403, said in the report.
        assert "Петров Сергей Иванович — человек не запускал бота или остановил его" in report.text
