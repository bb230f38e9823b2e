"""Personal data at first contact: the consent gate (where the operator requires one) and «Мои данные».

A neutral handler: it runs on any messenger the router is fed from.
"""

from __future__ import annotations

import json
from typing import Any

from bot.domain.menus import main_menu
from bot.domain.models import Person
from bot.domain.ui import Color, Keyboard
from bot.messaging import actions
from bot.messaging.events import (
    ButtonPressed,
    CallbackAnswer,
    ChatRef,
    MessageIn,
    Messenger,
    OutFile,
    Reply,
)
from bot.messaging.filters import Command, Known, Private
from bot.messaging.router import Router
from bot.messaging.state import StateStore
from bot.ports import MessengerPort, PortFailure
from bot.services.privacy import PrivacyService, PrivacyTerms
from handlers.identify import ASK_NAME, STEP_TTL, name_key
from handlers.menu import greeting

router = Router("privacy")


async def _enabled(event: Any, privacy: PrivacyService | None = None) -> bool:
    """The privacy service is wired (a bot built without it has neither the gate nor «Мои данные»)."""
    return privacy is not None


router.message.filter(_enabled)
router.button.filter(_enabled)

CONSENT_BUTTON = "Согласен(на)"
CONSENT_FOOTER = (
    "Пока вы не дадите согласие, я не смогу помочь: нажмите «{button}», если согласны. "
    "Вопросы — ответственному за Сферум в школе."
)
THANKS = "Спасибо, согласие записано."
MY_DATA_WORDS = ("мои данные", "мои персональные данные")
EXPORT_NAME = "мои-данные.json"


def _consent_prompt(terms: PrivacyTerms) -> tuple[str, Keyboard]:
    text = terms.consent_text
    if terms.policy_url:
        text += f"\n\nПолитика обработки персональных данных: {terms.policy_url}"
    text += "\n\n" + CONSENT_FOOTER.format(button=CONSENT_BUTTON)
    button = actions.ConsentAccepted(version=terms.version).button(CONSENT_BUTTON, color=Color.POSITIVE,
                                                                   callback=True)
    return text, Keyboard.column([button])


async def _pending_terms(event: MessageIn | ButtonPressed, person: Person | None,
                         privacy: PrivacyService) -> PrivacyTerms | None:
    """The terms the sender must accept first; `person` is the one the middleware resolved."""
    return await privacy.needs_consent(event.sender, person.org_id if person else None)


async def no_consent(event: MessageIn, privacy: PrivacyService,
                     person: Person | None = None) -> dict[str, Any] | bool:
    """A private message from someone who has not accepted the required consent: passes `terms`."""
    if event.chat.is_group:
        return False
    terms = await _pending_terms(event, person, privacy)
    return {"terms": terms} if terms is not None else False


async def no_consent_press(event: ButtonPressed, privacy: PrivacyService,
                           person: Person | None = None) -> dict[str, Any] | bool:
    """Any button but the consent's own, pressed by someone who has not accepted it: passes `terms`."""
    if actions.ConsentAccepted.parse(event.payload) is not None:
        return False
    terms = await _pending_terms(event, person, privacy)
    return {"terms": terms} if terms is not None else False


async def _pop_up(messenger: MessengerPort, event: ButtonPressed, text: str) -> None:
    await messenger.answer(CallbackAnswer(callback_id=event.callback_id, user=event.sender, chat=event.chat,
                                          text=text))


@router.message(no_consent)
async def on_message_without_consent(event: MessageIn, terms: PrivacyTerms, messenger: MessengerPort) -> None:
    """Nothing is processed before the consent: the message gets the consent text."""
    text, keyboard = _consent_prompt(terms)
    await messenger.send(Reply(chat=event.chat, text=text, keyboard=keyboard))


@router.button(no_consent_press)
async def on_press_without_consent(event: ButtonPressed, terms: PrivacyTerms, messenger: MessengerPort) -> None:
    """A button pressed before the consent does nothing but show the consent again (in private)."""
    await _pop_up(messenger, event, "Сначала нужно согласие на обработку данных")
    text, keyboard = _consent_prompt(terms)
    await messenger.send(Reply(chat=ChatRef.dialog_with(event.sender), text=text, keyboard=keyboard))


@router.button(actions.ConsentAccepted.filter())
async def on_consent(event: ButtonPressed, action: actions.ConsentAccepted, person: Person | None,
                     messenger: MessengerPort, privacy: PrivacyService, dialogs: StateStore,
                     bot_id: int) -> None:
    """The person accepts the consent text they were shown; then the usual first steps follow."""
    dialog = ChatRef.dialog_with(event.sender)
    org_id = person.org_id if person else None
    if not await privacy.accept(event.sender, org_id, action.version):
        terms = privacy.terms(org_id)
        if not terms.consent_required:
            await _pop_up(messenger, event, "Согласие не требуется")
            return
        await _pop_up(messenger, event, "Текст согласия изменился")
        text, keyboard = _consent_prompt(terms)
        await messenger.send(Reply(chat=dialog, text="Текст согласия изменился, прочитайте, пожалуйста, новый.\n\n"
                                   + text, keyboard=keyboard))
        return
    await _pop_up(messenger, event, THANKS)
    if person is not None:
        await messenger.send(Reply(chat=dialog, text=THANKS + " " + greeting(person),
                                   keyboard=main_menu(person.role)))
        return
    await messenger.send(Reply(chat=dialog, text=THANKS))
    if event.sender.messenger is Messenger.VK:
        # Identification starts (VK only so far): its router reads the name typed next.
        await dialogs.set(name_key(bot_id, dialog, event.sender), "name", ttl=STEP_TTL)
        await messenger.send(Reply(chat=dialog, text=ASK_NAME))


async def _send_my_data(messenger: MessengerPort, privacy: PrivacyService, event: MessageIn | ButtonPressed,
                        person: Person) -> None:
    """What is kept, with the person's own export as a JSON file (the menu when the file cannot go)."""
    dialog = ChatRef.dialog_with(event.sender)
    found = await privacy.my_data(person.id, event.sender)
    if found is None:
        await messenger.send(Reply(chat=dialog, text="Бот не хранит о вас данных из списка сотрудников."))
        return
    text, data = found
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    try:
        handle = await messenger.upload(dialog, OutFile(name=EXPORT_NAME, data=body))
    except PortFailure:
        await messenger.send(Reply(chat=dialog, text=text + "\n\nФайл сейчас отправить не удалось, попробуйте позже.",
                                   keyboard=main_menu(person.role)))
        return
    await messenger.send(Reply(chat=dialog, text=text, attachments=(handle,)))


@router.message(Private(), Known(), Command(actions.MyData, *MY_DATA_WORDS, typos=True))
async def cmd_my_data(event: MessageIn, person: Person, messenger: MessengerPort, privacy: PrivacyService) -> None:
    """What the bot keeps about the person, and the person's own export as a JSON file."""
    await _send_my_data(messenger, privacy, event, person)


@router.button(actions.MyData.filter())
async def on_my_data(event: ButtonPressed, person: Person | None, messenger: MessengerPort,
                     privacy: PrivacyService) -> None:
    """The «Мои данные» button under the notice."""
    if person is None:
        await _pop_up(messenger, event, "Сначала представьтесь боту")
        return
    await _pop_up(messenger, event, "Собираю ваши данные")
    await _send_my_data(messenger, privacy, event, person)
