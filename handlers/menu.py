"""Greeting, the main menu and «Мой статус» for known people."""

from __future__ import annotations

from vkbottle.bot import BotLabeler, Message

from bot.deps import Deps
from bot.domain.models import Person
from handlers.common import Cmd, Known, payload_of, say_menu

labeler = BotLabeler()

GREETING = "Чем помочь? Выберите кнопку внизу или напишите вопрос о Сферуме."


def greeting(person: Person) -> str:
    """«Анна Петровна, здравствуйте! …» (or just «Здравствуйте!» without a real name)."""
    name = person.first_and_middle
    return (f"{name}, здравствуйте! " if name else "Здравствуйте! ") + GREETING


@labeler.private_message(Known(), Cmd("start", "начать", "меню", "старт", "/start", "привет",
                                      "здравствуйте", "добрый день"))
async def cmd_start(message: Message, deps: Deps, person: Person) -> None:
    """A greeting with the main menu for the person's role."""
    await deps.identity.note_user(message.from_id, wrote=True)
    await say_menu(deps, person, greeting(person))


@labeler.private_message(Known(), Cmd("my_status", "мой статус", "статус", "моя статистика"))
async def cmd_my_status(message: Message, deps: Deps, person: Person) -> None:
    """The person's own figures and open tasks."""
    await say_menu(deps, person, await deps.my_status.render(person))


@labeler.private_message(Known(), func=lambda m: payload_of(m).get("command") == "start")
async def cmd_vk_start(message: Message, deps: Deps, person: Person) -> None:
    """VK's own «Начать» button."""
    await say_menu(deps, person, greeting(person))
