"""Greeting, the main menu and «Мой статус» for known people.

A neutral handler: it runs on any messenger the router is fed from.
"""

from __future__ import annotations

from typing import Any

from bot.config_bots import SINGLE_BOT
from bot.domain.commands import MENU_WORDS
from bot.domain.menus import main_menu
from bot.domain.models import Person
from bot.messaging import actions
from bot.messaging.events import MessageIn, Messenger, Reply
from bot.messaging.filters import Command, Known, Private
from bot.messaging.payloads import as_dict
from bot.messaging.router import Router
from bot.ports import MessengerPort
from bot.services.identity import IdentityService
from bot.services.my_status import MyStatusService

router = Router("menu")
router.message.filter(Private(), Known())

GREETING = "Чем помочь? Выберите кнопку внизу или напишите вопрос о Сферуме."


def greeting(person: Person) -> str:
    """«Анна Петровна, здравствуйте! …» (or just «Здравствуйте!» without a real name)."""
    name = person.first_and_middle
    return (f"{name}, здравствуйте! " if name else "Здравствуйте! ") + GREETING


async def _menu(messenger: MessengerPort, event: MessageIn, person: Person, text: str) -> None:
    await messenger.send(Reply(chat=event.chat, text=text, keyboard=main_menu(person.role)))


async def messenger_start(event: Any) -> bool:
    """The messenger's own «Начать» button (VK sends it as {"command": "start"})."""
    return (as_dict(event.payload) or {}).get("command") == "start"


@router.message(Command(actions.Start, *MENU_WORDS, typos=True))
async def cmd_start(event: MessageIn, person: Person, messenger: MessengerPort, identity: IdentityService,
                    bot: str = SINGLE_BOT) -> None:
    """A greeting with the main menu for the person's role."""
    if event.sender.messenger is Messenger.VK:  # MAX accounts are kept by the MAX adapter (bot.max.runtime)
        await identity.note_user(event.sender.external_id, wrote=True, bot=bot)
    await _menu(messenger, event, person, greeting(person))


@router.message(Command(actions.MyStatus, "мой статус", "статус", "моя статистика", typos=True))
async def cmd_my_status(event: MessageIn, person: Person, messenger: MessengerPort,
                        my_status: MyStatusService) -> None:
    """The person's own figures and open tasks."""
    await _menu(messenger, event, person, await my_status.render(person))


@router.message(messenger_start)
async def cmd_messenger_start(event: MessageIn, person: Person, messenger: MessengerPort) -> None:
    """The messenger's own «Начать» button."""
    await _menu(messenger, event, person, greeting(person))
