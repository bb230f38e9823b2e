"""The greeting, the main menu and «Мой статус» driven through the neutral router by a fake messenger."""

from __future__ import annotations

from tests.handlers.conftest import TEACHER, FakeIdentity, NeutralBot


async def test_greeting_with_the_menu_by_word_button_and_messenger_start(neutral: NeutralBot) -> None:
    """«привет», the «start» button and the messenger's own «Начать» each greet by name with the menu."""
    assert await neutral.say(TEACHER, "Привет!")
    assert await neutral.say(TEACHER, payload={"cmd": "start"})
    assert await neutral.say(TEACHER, "", payload='{"command":"start"}')
    texts = [r.text for r in neutral.messenger.sent]
    assert texts == ["Анна Петровна, здравствуйте! Чем помочь? Выберите кнопку внизу или напишите вопрос о Сферуме."] * 3
    assert all(r.keyboard is not None and r.keyboard.rows for r in neutral.messenger.sent)
    identity = neutral.deps.identity
    assert isinstance(identity, FakeIdentity) and identity.noted == [(TEACHER, True), (TEACHER, True)]


async def test_my_status_with_a_typo(neutral: NeutralBot) -> None:
    """«мой сатус» (a typo) shows the teacher's own status with the menu."""
    assert await neutral.say(TEACHER, "мой сатус")
    [reply] = neutral.messenger.sent
    assert "ваш статус" in reply.text and reply.keyboard is not None


async def test_a_stranger_is_not_greeted_with_a_menu(neutral: NeutralBot) -> None:
    """A stranger's «привет» gets no menu: identification asks for the name instead."""
    assert await neutral.say(9999, "привет")
    [reply] = neutral.messenger.sent
    assert reply.text.startswith("Здравствуйте! Я помощник школы") and reply.keyboard is None
