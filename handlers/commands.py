"""«Помощь» for every role, and «Вы имели в виду …?» for a command that was probably meant.

A neutral handler: it runs on any messenger the router is fed from.
"""

from __future__ import annotations

from typing import Any

from bot.domain.commands import HELP_WORDS, Guess, guess, help_text
from bot.domain.menus import main_menu
from bot.domain.models import Person
from bot.domain.ui import Color, Keyboard
from bot.messaging import actions
from bot.messaging.events import MessageIn, Reply
from bot.messaging.filters import Command, Known, Private
from bot.messaging.payloads import as_dict, registered
from bot.messaging.router import Router
from bot.messaging.state import StateStore
from bot.ports import MessengerPort
from handlers import faq

router = Router("commands")
router.message.filter(Private(), Known())
#: Placed just before the FAQ: dialogs and commands have had their turn, questions have not.
suggest_router = Router("commands.suggest")
suggest_router.message.filter(Private(), Known())


@router.message(Command(actions.Help, *HELP_WORDS, typos=True))
async def cmd_help(event: MessageIn, person: Person, messenger: MessengerPort) -> None:
    """What the person's role can do, with an example each (never forwarded as a question)."""
    await messenger.send(Reply(chat=event.chat, text=help_text(person.role), keyboard=main_menu(person.role)))


async def probably_command(event: MessageIn, person: Person, dialogs: StateStore | None = None,
                           bot_id: int = 0) -> dict[str, Any] | bool:
    """A short text that is probably a command of the person's role: passes `guessed`."""
    if as_dict(event.payload) or "?" in event.text:
        return False
    # The deputy typing a reply to a question or a new topic (handlers/faq.py): the text is theirs.
    faq_step = None if dialogs is None else await faq.step(dialogs, bot_id, event.sender)
    if faq_step is not None and faq_step.state in faq.TYPING_STEPS:
        return False
    found = guess(event.text, person.role)
    return {"guessed": found} if found is not None else False


@suggest_router.message(probably_command)
async def on_probable_command(event: MessageIn, messenger: MessengerPort, guessed: Guess) -> None:
    """«Вы имели в виду «Рассылка»?» with the command as a button (and «нет» asks the question instead)."""
    command = guessed.command
    action = registered()[command.cmd]()
    keyboard = Keyboard(rows=[[action.button(command.label, color=Color.PRIMARY)],
                              [actions.Help().button("Помощь")]], inline=True)
    await messenger.send(Reply(chat=event.chat, keyboard=keyboard, text=(
        f"Вы имели в виду «{command.label}»? Нажмите кнопку или напишите «{command.label.lower()}». "
        "Если это вопрос о Сферуме, напишите его подробнее.")))
