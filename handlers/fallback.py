"""Last in line: what nobody else handled gets a short, helpful answer.

A neutral handler: it runs on any messenger the router is fed from.
"""

from __future__ import annotations

from bot.domain.menus import main_menu
from bot.domain.models import Person
from bot.messaging.events import ButtonPressed, CallbackAnswer, MessageIn, Messenger, Reply
from bot.messaging.filters import Known, Private
from bot.messaging.payloads import as_dict
from bot.messaging.router import Router
from bot.ports import MessengerPort

router = Router("fallback")

UNKNOWN_BUTTON = "Эта кнопка больше не действует. Вот актуальное меню."
OLD_BUTTON = "Эта кнопка больше не действует"
NOT_UNDERSTOOD = (
    "Не совсем понял. Выберите кнопку в меню или напишите вопрос о Сферуме своими словами."
)


@router.message(Private(), Known())
async def on_anything(event: MessageIn, person: Person, messenger: MessengerPort) -> None:
    """An unknown command or text from a known person: the menu."""
    text = UNKNOWN_BUTTON if as_dict(event.payload) else NOT_UNDERSTOOD
    await messenger.send(Reply(chat=event.chat, text=text, keyboard=main_menu(person.role)))


STRANGER_MAX = ("Здравствуйте! Я пока не знаю вас в MAX. Попросите заместителя директора добавить вас "
                "в список сотрудников школы — после этого я смогу помочь.")


async def _in_max(event: MessageIn) -> bool:
    return event.chat.messenger is Messenger.MAX


@router.message(Private(), _in_max)
async def on_stranger_in_max(event: MessageIn, messenger: MessengerPort) -> None:
    """Someone the roster does not know writes in MAX (identification there comes later): say what to do."""
    await messenger.send(Reply(chat=event.chat, text=STRANGER_MAX))


@router.button()
async def on_unknown_button(event: ButtonPressed, messenger: MessengerPort) -> None:
    """A callback button no feature handles (an old message, a forged payload): say so."""
    await messenger.answer(CallbackAnswer(callback_id=event.callback_id, user=event.sender, chat=event.chat,
                                          text=OLD_BUTTON))
