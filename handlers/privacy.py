"""Personal data at first contact: the consent gate (where the operator requires one) and «Мои данные»."""

from __future__ import annotations

import json
from typing import Any

from vkbottle import GroupEventType
from vkbottle.bot import BotLabeler, Message, MessageEvent
from vkbottle.dispatch.rules import ABCRule

from bot.deps import Deps
from bot.domain.models import Person
from bot.domain.ui import Button, Color, Keyboard
from bot.messaging.events import ChatRef, Identity, Messenger
from bot.ports import PortFailure
from bot.services.privacy import PrivacyTerms
from handlers.common import Cmd, EventCmd, Known, event_payload, is_private, say, say_menu, snackbar
from handlers.identify import ASK_NAME, STEP_TTL, name_key
from handlers.menu import greeting

labeler = BotLabeler()

CONSENT_CMD = "consent_ok"
CONSENT_BUTTON = "Согласен(на)"
CONSENT_FOOTER = (
    "Пока вы не дадите согласие, я не смогу помочь: нажмите «{button}», если согласны. "
    "Вопросы — ответственному за Сферум в школе."
)
THANKS = "Спасибо, согласие записано."


def _consent_prompt(terms: PrivacyTerms) -> tuple[str, Keyboard]:
    text = terms.consent_text
    if terms.policy_url:
        text += f"\n\nПолитика обработки персональных данных: {terms.policy_url}"
    text += "\n\n" + CONSENT_FOOTER.format(button=CONSENT_BUTTON)
    keyboard = Keyboard.column([Button(label=CONSENT_BUTTON, payload={"cmd": "consent_ok", "v": terms.version},
                                       color=Color.POSITIVE, callback=True)])
    return text, keyboard


async def _pending_terms(deps: Deps, vk_id: int) -> PrivacyTerms | None:
    person = await deps.access.person(vk_id)
    return await deps.privacy.needs_consent(vk_id, person.org_id if person else None)


class NoConsent(ABCRule[Message]):
    """A private message from someone who has not accepted the required consent: injects `terms`."""

    async def check(self, event: Message, deps: Deps) -> dict[str, Any] | bool:
        if not is_private(event):
            return False
        terms = await _pending_terms(deps, event.from_id)
        return {"terms": terms} if terms is not None else False


class NoConsentPress(ABCRule[MessageEvent]):
    """Any button but the consent's own, pressed by someone who has not accepted it."""

    async def check(self, event: MessageEvent, deps: Deps) -> dict[str, Any] | bool:
        if event_payload(event).get("cmd") == CONSENT_CMD:
            return False
        terms = await _pending_terms(deps, event.object.user_id)
        return {"terms": terms} if terms is not None else False


@labeler.private_message(NoConsent())
async def on_message_without_consent(message: Message, deps: Deps, terms: PrivacyTerms) -> None:
    """Nothing is processed before the consent: the message gets the consent text."""
    text, keyboard = _consent_prompt(terms)
    await say(deps, message.from_id, text, keyboard)


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, NoConsentPress())
async def on_press_without_consent(event: MessageEvent, deps: Deps, terms: PrivacyTerms) -> None:
    """A button pressed before the consent does nothing but show the consent again."""
    snackbar("Сначала нужно согласие на обработку данных")
    text, keyboard = _consent_prompt(terms)
    await say(deps, event.object.user_id, text, keyboard)


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("consent_ok"))
async def on_consent(event: MessageEvent, deps: Deps, args: dict[str, Any], person: Person | None) -> None:
    """The person accepts the consent text they were shown; then the usual first steps follow."""
    vk_id = event.object.user_id
    org_id = person.org_id if person else None
    version = args.get("v")
    if not isinstance(version, str) or not await deps.privacy.accept(vk_id, org_id, version):
        terms = deps.privacy.terms(org_id)
        if not terms.consent_required:
            snackbar("Согласие не требуется")
            return
        snackbar("Текст согласия изменился")
        text, keyboard = _consent_prompt(terms)
        await say(deps, vk_id, "Текст согласия изменился, прочитайте, пожалуйста, новый.\n\n" + text, keyboard)
        return
    snackbar(THANKS)
    if person is not None:
        await say_menu(deps, person, THANKS + " " + greeting(person))
    else:
        await say(deps, vk_id, THANKS)
        # Identification starts: its router reads the name typed next.
        account = Identity(messenger=Messenger.VK, external_id=vk_id)
        await deps.dialogs.set(name_key(deps.group_id, ChatRef.dialog_with(account), account), "name", ttl=STEP_TTL)
        await say(deps, vk_id, ASK_NAME)


async def _send_my_data(deps: Deps, person: Person) -> None:
    vk_id = person.vk_id or 0
    found = await deps.privacy.my_data(person.id, vk_id)
    if found is None:
        await say(deps, vk_id, "Бот не хранит о вас данных из списка сотрудников.")
        return
    text, data = found
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    try:
        attachment = await deps.outbound.upload_document(vk_id, body, "мои-данные.json")
    except PortFailure:
        await say_menu(deps, person, text + "\n\nФайл сейчас отправить не удалось, попробуйте позже.")
        return
    await say(deps, vk_id, text, attachments=(attachment,))


@labeler.private_message(Known(), Cmd("my_data", "мои данные", "мои персональные данные"))
async def cmd_my_data(message: Message, deps: Deps, person: Person) -> None:
    """What the bot keeps about the person, and the person's own export as a JSON file."""
    await _send_my_data(deps, person)


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("my_data"))
async def on_my_data(event: MessageEvent, deps: Deps, person: Person | None) -> None:
    """The «Мои данные» button under the notice."""
    if person is None:
        snackbar("Сначала представьтесь боту")
        return
    snackbar("Собираю ваши данные")
    await _send_my_data(deps, person)
