"""A person on the roster of several schools says once which school they act for (buttons or a typed
answer); the choice is the person's in every bot and is changed with «сменить школу». A bot that serves only
one of their schools acts for it without asking (bot.services.school_choice).

A neutral handler: it runs on any messenger the router is fed from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.config_bots import SINGLE_BOT
from bot.domain.menus import main_menu
from bot.domain.models import Person, main_person
from bot.domain.ui import Color, Keyboard
from bot.messaging import actions
from bot.messaging.events import ButtonPressed, CallbackAnswer, ChatRef, Identity, MessageIn, Reply
from bot.messaging.filters import Known, Private, normalize
from bot.messaging.middlewares import PersonLookups
from bot.messaging.router import Router
from bot.ports import MessengerPort
from bot.services.school_choice import SchoolChoiceService

router = Router("school_choice")

CHANGE_WORDS = ("сменить школу", "выбрать школу", "другая школа")
QUESTION = "Вы есть в списках сотрудников нескольких школ. От какой школы вы пишете? Нажмите кнопку или напишите номер:"
FOOTER = "Сменить школу потом можно словами «сменить школу»."
CHOSEN = "Хорошо, дальше отвечаю вам как сотруднику школы «{name}». Теперь напишите, что вам нужно. " + FOOTER
NOT_UNDERSTOOD = "Не понял, какая это школа. Нажмите кнопку или напишите номер из списка:"
ONE_SCHOOL = "Вы есть в списке сотрудников только одной школы — выбирать не из чего."
ONLY_HERE = ("Здесь я отвечаю вам как сотруднику школы «{name}»: этот бот работает для неё. С делами другой "
             "вашей школы пишите её боту.")
LABEL_LIMIT = 40


def _question(schools: list[tuple[str, str]], head: str = QUESTION) -> tuple[str, Keyboard]:
    lines = [head, *(f"{n}. {name}" for n, (_, name) in enumerate(schools, 1)), "", FOOTER]
    buttons = [actions.SchoolPick(org=org_id).button(
        name if len(name) <= LABEL_LIMIT else name[:LABEL_LIMIT - 1] + "…", color=Color.PRIMARY, callback=True)
        for org_id, name in schools]
    return "\n".join(lines), Keyboard.column(buttons)


async def needs_choice(event: MessageIn, lookups: PersonLookups, school_choice: SchoolChoiceService,
                       bot: str = SINGLE_BOT) -> dict[str, Any] | bool:
    """A private message from someone in several schools this bot acts for who has not chosen, is being
    asked, or asks to change: passes `schools` and `asking`. «сменить школу» from someone with nothing to
    choose here passes `only` (the school this bot acts for, None: they are on one roster)."""
    schools = await lookups.schools(event.sender)
    options = school_choice.options(event.sender, bot, schools)
    change = normalize(event.text) in CHANGE_WORDS
    if len(options) < 2:
        return {"only": next(iter(options)) if len(schools) > 1 else None} if change else False
    asking = await school_choice.asking(event.sender)
    chosen = await lookups.chosen(event.sender)
    if change or asking or chosen not in options:
        people = await lookups.people(event.sender)
        return {"schools": school_choice.schools(people, options), "asking": asking and not change}
    return False


@router.message(Private(), Known(), needs_choice)
async def on_message(event: MessageIn, messenger: MessengerPort, school_choice: SchoolChoiceService,
                     lookups: PersonLookups, schools: list[tuple[str, str]] | None = None, asking: bool = False,
                     only: str | None = None) -> None:
    """Ask which school; take a typed answer to the question (a number or the name)."""
    if not schools:
        text = ONLY_HERE.format(name=school_choice.name(only)) if only is not None else ONE_SCHOOL
        await messenger.send(Reply(chat=event.chat, text=text))
        return
    if asking:
        org_id = school_choice.match(event.text, schools)
        if org_id is not None:
            await _chosen(messenger, event.chat, school_choice, event.sender, org_id, schools,
                          await lookups.people(event.sender))
            return
        text, keyboard = _question(schools, NOT_UNDERSTOOD)
        await messenger.send(Reply(chat=event.chat, text=text, keyboard=keyboard))
        return
    await school_choice.ask(event.sender)
    text, keyboard = _question(schools)
    await messenger.send(Reply(chat=event.chat, text=text, keyboard=keyboard))


@router.button(actions.SchoolPick.filter())
async def on_pick(event: ButtonPressed, action: actions.SchoolPick, lookups: PersonLookups,
                  messenger: MessengerPort, school_choice: SchoolChoiceService, bot: str = SINGLE_BOT) -> None:
    """A school's button: kept when the person is on that school's roster and this bot acts for it (a stale
    button changes nothing)."""
    people = await lookups.people(event.sender)
    schools = school_choice.schools(people, school_choice.options(event.sender, bot, await lookups.schools(event.sender)))
    if action.org not in {org_id for org_id, _ in schools}:
        await messenger.answer(CallbackAnswer(callback_id=event.callback_id, user=event.sender, chat=event.chat,
                                              text="Этой школы нет среди ваших"))
        return
    await messenger.answer(CallbackAnswer(callback_id=event.callback_id, user=event.sender, chat=event.chat))
    await _chosen(messenger, ChatRef.dialog_with(event.sender), school_choice, event.sender, action.org,
                  schools, people)


async def _chosen(messenger: MessengerPort, chat: ChatRef, school_choice: SchoolChoiceService, sender: Identity,
                  org_id: str, schools: list[tuple[str, str]], people: Sequence[Person]) -> None:
    """Keep the choice and say so, with the menu of the person's role in that school."""
    await school_choice.choose(sender, org_id)
    person = main_person(p for p in people if p.org_id == org_id)
    keyboard = main_menu(person.role) if person is not None else None
    await messenger.send(Reply(chat=chat, text=CHOSEN.format(name=dict(schools)[org_id]), keyboard=keyboard))
