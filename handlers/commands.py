"""«Помощь» for every role, and «Вы имели в виду …?» for a command that was probably meant."""

from __future__ import annotations

from typing import Any

from vkbottle.bot import BotLabeler, Message
from vkbottle.dispatch.rules import ABCRule

from bot.deps import Deps
from bot.domain.commands import HELP_WORDS, guess, help_text
from bot.domain.models import Person
from bot.domain.ui import Button, Color, Keyboard
from handlers.common import Cmd, Known, is_private, payload_of, say, say_menu

labeler = BotLabeler()
#: Loaded just before the FAQ: dialogs and commands have had their turn, questions have not.
suggest_labeler = BotLabeler()


@labeler.private_message(Known(), Cmd("help", *HELP_WORDS))
async def cmd_help(message: Message, deps: Deps, person: Person) -> None:
    """What the person's role can do, with an example each (never forwarded as a question)."""
    await say_menu(deps, person, help_text(person.role))


class ProbablyCommand(ABCRule[Message]):
    """A short private text that is probably a command of the person's role: injects `person`, `guessed`."""

    async def check(self, event: Message, deps: Deps) -> dict[str, Any] | bool:
        if not is_private(event) or payload_of(event) or "?" in (event.text or ""):
            return False
        person = await deps.access.person(event.from_id)
        if person is None:
            return False
        faq_step = await deps.states.get(f"faq:{event.from_id}")  # the deputy typing a reply (handlers/faq.py)
        if faq_step is not None and faq_step.state in ("reply", "new_topic"):
            return False
        found = guess(event.text or "", person.role)
        return {"person": person, "guessed": found} if found is not None else False


@suggest_labeler.private_message(ProbablyCommand())
async def on_probable_command(message: Message, deps: Deps, person: Person, guessed: Any) -> None:
    """«Вы имели в виду «Рассылка»?» with the command as a button (and «нет» asks the question instead)."""
    command = guessed.command
    keyboard = Keyboard(rows=[[Button(label=command.label, payload={"cmd": command.cmd}, color=Color.PRIMARY)],
                              [Button(label="Помощь", payload={"cmd": "help"})]], inline=True)
    await say(deps, person.vk_id or 0,
              f"Вы имели в виду «{command.label}»? Нажмите кнопку или напишите «{command.label.lower()}». "
              "Если это вопрос о Сферуме, напишите его подробнее.", keyboard)
