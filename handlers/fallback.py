"""Last in line: what nobody else handled gets a short, helpful answer."""

from __future__ import annotations

from vkbottle import GroupEventType
from vkbottle.bot import BotLabeler, Message, MessageEvent

from bot.deps import Deps
from bot.domain.models import Person
from handlers.common import Known, payload_of, say_menu, snackbar

labeler = BotLabeler()

UNKNOWN_BUTTON = "Эта кнопка больше не действует. Вот актуальное меню."
OLD_BUTTON = "Эта кнопка больше не действует"
NOT_UNDERSTOOD = (
    "Не совсем понял. Выберите кнопку в меню или напишите вопрос о Сферуме своими словами."
)


@labeler.private_message(Known())
async def on_anything(message: Message, deps: Deps, person: Person) -> None:
    """An unknown command or text from a known person: the menu."""
    await say_menu(deps, person, UNKNOWN_BUTTON if payload_of(message) else NOT_UNDERSTOOD)


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent)
async def on_unknown_button(event: MessageEvent) -> None:
    """A callback button no feature handles (an old message, a forged payload): say so."""
    snackbar(OLD_BUTTON)
