"""Last in line: what nobody else handled gets a short, helpful answer."""

from __future__ import annotations

from vkbottle.bot import BotLabeler, Message

from bot.deps import Deps
from bot.domain.models import Person
from handlers.common import Known, payload_of, say_menu

labeler = BotLabeler()

UNKNOWN_BUTTON = "Эта кнопка больше не действует. Вот актуальное меню."
NOT_UNDERSTOOD = (
    "Не совсем понял. Выберите кнопку в меню или напишите вопрос о Сферуме своими словами."
)


@labeler.private_message(Known())
async def on_anything(message: Message, deps: Deps, person: Person) -> None:
    """An unknown command or text from a known person: the menu."""
    await say_menu(deps, person, UNKNOWN_BUTTON if payload_of(message) else NOT_UNDERSTOOD)
