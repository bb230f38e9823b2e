"""«Помощь» and «Вы имели в виду …?» driven through the neutral router by a fake messenger."""

from __future__ import annotations

from bot.messaging import actions
from bot.messaging.events import Identity, Messenger
from handlers import faq
from tests.handlers.conftest import BOT_ID, DEPUTY, DIRECTOR, NeutralBot


async def test_help_per_role(neutral: NeutralBot) -> None:
    """«помощь» lists the deputy's commands; the «help» button gives the director his."""
    assert await neutral.say(DEPUTY, "помощь")
    assert await neutral.say(DIRECTOR, payload={"cmd": "help"})
    deputy, director = neutral.messenger.sent
    assert deputy.text.startswith("Что я умею для заместителя директора:") and "• Рассылка — " in deputy.text
    assert director.text.startswith("Что я умею для директора:") and "Рассылка" not in director.text


async def test_probable_command_offers_its_button(neutral: NeutralBot) -> None:
    """«напомни всем» asks «Вы имели в виду «Рассылка»?» with the broadcast and help buttons."""
    assert await neutral.say(DEPUTY, "напомни всем")
    [asked] = neutral.messenger.sent
    assert asked.text.startswith("Вы имели в виду «Рассылка»?") and asked.keyboard is not None
    [[first], [second]] = asked.keyboard.rows
    assert actions.Broadcast.parse(first.payload) == actions.Broadcast() and first.label == "Рассылка"
    assert actions.Help.parse(second.payload) == actions.Help()


async def test_a_question_or_a_deputy_replying_is_not_guessed_at(neutral: NeutralBot) -> None:
    """A text with «?», or typed while the deputy answers a question, gets no «Вы имели в виду»."""
    await neutral.say(DEPUTY, "напомни всем?")
    await neutral.data["dialogs"].set(faq.step_key(BOT_ID, Identity(messenger=Messenger.VK,
                                                                                   external_id=DEPUTY)), "reply")
    await neutral.say(DEPUTY, "напомни всем")
    assert not any(r.text.startswith("Вы имели в виду") for r in neutral.messenger.sent)
