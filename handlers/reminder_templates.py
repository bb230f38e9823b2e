"""The deputy edits the reminder texts: list → «шаблон N: текст» → preview → «Применить».

A new text is checked first (the same rules as a file: placeholders, no «write N
messages»); the deputy sees the sample reminders it changes and applies or cancels. The
draft waits in the dialog-state store (`dialogs`, feature «templates», a day at most);
every button is checked on the server.

A neutral handler: it runs on any messenger the router is fed from.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bot.domain.models import Person, Role
from bot.domain.reminder_templates import KEYS, TemplateError, Templates, defaults
from bot.domain.ui import Color, Keyboard
from bot.messaging import actions
from bot.messaging.events import ButtonPressed, CallbackAnswer, ChatRef, MessageIn, Reply
from bot.messaging.filters import Command, Known, Private
from bot.messaging.router import Router
from bot.messaging.state import StateKey, StateStore
from bot.ports import MessengerPort
from bot.services.access import AccessService, Denied
from bot.services.reminders import ReminderService

router = Router("reminder_templates")

NUMBERED = list(KEYS)
EDIT = re.compile(r"^\s*шаблон\s*№?\s*(\d{1,2})\s*[:.)—-]\s*(.+)$", re.IGNORECASE | re.DOTALL)
DEFAULT_WORDS = {"по умолчанию", "встроенный", "как было", "вернуть"}
WORDS = ("шаблоны напоминаний", "шаблоны", "тексты напоминаний")
HOW_TO = ("Чтобы изменить текст, напишите «шаблон N: новый текст» (например, «шаблон 9: Проведите встречу с "
          "родителями {класс}»). Вернуть встроенный текст: «шаблон N: по умолчанию». Перед сохранением я покажу, "
          "как будет выглядеть напоминание.\n"
          "Подстановки: {класс}, {классы}, {чаты}, {срок}, {звонки}, {имя}. Начало напоминания («По данным "
          "Сферума за неделю …») и первая строка отчёта не меняются.")
EXPIRED = "Этот черновик уже не действует. Пришлите «шаблон N: текст» ещё раз."
FEATURE = "templates"
#: A draft left without «Применить» lapses after this long.
DRAFT_TTL = dt.timedelta(days=1)


async def _enabled(event: Any, reminders: ReminderService | None = None, dialogs: StateStore | None = None) -> bool:
    """Reminders are wired (a bot built without them has no templates to edit)."""
    return reminders is not None and dialogs is not None


router.message.filter(_enabled)
router.button.filter(_enabled)


def _draft_key(bot_id: int, event: MessageIn | ButtonPressed) -> StateKey:
    """The deputy's draft in their dialog with the bot (the preview and its buttons are sent there)."""
    return StateKey.of(bot_id, ChatRef.dialog_with(event.sender), event.sender, FEATURE)


async def _deputy(event: MessageIn | ButtonPressed, access: AccessService, messenger: MessengerPort,
                  action: str) -> Person | None:
    """The deputy acting (checked and audited), or None after a polite refusal."""
    in_chat = event.chat.is_group
    try:
        person = await access.require(event.sender, action, [Role.DEPUTY], in_chat=in_chat)
    except Denied as denied:
        await _pop_up(messenger, event, "Нет прав")
        if not in_chat:
            await _say(messenger, event, denied.text)
        return None
    return person if person.org_id is not None else None


async def _say(messenger: MessengerPort, event: MessageIn | ButtonPressed, text: str,
               keyboard: Keyboard | None = None) -> None:
    """A reply in the private dialog with whoever wrote or pressed."""
    await messenger.send(Reply(chat=ChatRef.dialog_with(event.sender), text=text, keyboard=keyboard))


async def _pop_up(messenger: MessengerPort, event: MessageIn | ButtonPressed, text: str) -> None:
    """Answer a button press (if this is one) with a short pop-up text."""
    if isinstance(event, ButtonPressed):
        await messenger.answer(CallbackAnswer(callback_id=event.callback_id, user=event.sender, chat=event.chat,
                                              text=text))


def listing(templates: Templates) -> str:
    """The numbered texts, marking the school's own."""
    lines = ["Тексты напоминаний (что бот советует сделать):"]
    for number, key in enumerate(NUMBERED, 1):
        own = " (свой текст школы)" if key in templates.overridden else ""
        lines.append(f"{number}. {KEYS[key][0]}{own}: {templates.text(key)}")
    return "\n".join(lines) + "\n\n" + HOW_TO


def _apply_keyboard() -> Keyboard:
    return Keyboard.column([
        actions.TemplateApply().button("Применить", color=Color.POSITIVE, callback=True),
        actions.TemplateCancel().button("Отмена", color=Color.NEGATIVE, callback=True),
    ])


@router.message(Private(), Known(), Command(actions.ReminderTemplates, *WORDS, typos=True))
async def cmd_templates(event: MessageIn, messenger: MessengerPort, access: AccessService,
                        reminders: ReminderService) -> None:
    """«Шаблоны напоминаний»: the numbered texts and how to change one."""
    deputy = await _deputy(event, access, messenger, "templates_show")
    if deputy is None or deputy.org_id is None:
        return
    await _say(messenger, event, listing(reminders.templates.for_school(deputy.org_id)))


async def template_edit(event: MessageIn) -> dict[str, Any] | bool:
    """«шаблон N: текст»: passes `number` and `text`."""
    match = EDIT.match(event.text or "")
    return {"number": int(match.group(1)), "text": match.group(2).strip()} if match else False


@router.message(Private(), template_edit, Known())
async def on_edit(event: MessageIn, number: int, text: str, messenger: MessengerPort, access: AccessService,
                  reminders: ReminderService, dialogs: StateStore, bot_id: int = 0) -> None:
    """A new text for template N: checked, then previewed with «Применить» / «Отмена»."""
    deputy = await _deputy(event, access, messenger, "templates_edit")
    if deputy is None or deputy.org_id is None:
        return
    if not 1 <= number <= len(NUMBERED):
        await _say(messenger, event, f"Шаблона с номером {number} нет: номера от 1 до {len(NUMBERED)}. "
                                     "Список — по команде «шаблоны напоминаний».")
        return
    key = NUMBERED[number - 1]
    service = reminders.templates
    new_text: str | None = None if text.lower().rstrip(".!") in DEFAULT_WORDS else text
    try:
        draft = (service.with_text(deputy.org_id, key, new_text) if new_text is not None
                 else service.for_school(deputy.org_id).merged({key: defaults().text(key)}))
    except TemplateError as exc:
        await _say(messenger, event, "Текст не принят: " + "; ".join(exc.problems).split(": ", 1)[-1]
                   + ". Исправьте и пришлите «шаблон " + str(number) + ": …» ещё раз.")
        return
    await dialogs.set(_draft_key(bot_id, event), "preview", {"k": key, "t": new_text, "org": deputy.org_id},
                      ttl=DRAFT_TTL)
    shown = [s for s in service.preview(deputy.org_id, draft) if draft.text(key) in s.text] or \
        service.preview(deputy.org_id, draft)[:1]
    samples = "\n\n".join(f"— {s.title}:\n{s.text}" for s in shown[:2])
    what = "встроенный текст" if new_text is None else "новый текст"
    await _say(messenger, event, f"Шаблон {number} ({KEYS[key][0]}), {what}. Так будет выглядеть напоминание:\n\n"
                                 f"{samples}", _apply_keyboard())


@router.button(actions.TemplateApply.filter())
async def on_apply(event: ButtonPressed, messenger: MessengerPort, access: AccessService,
                   reminders: ReminderService, dialogs: StateStore, bot_id: int = 0) -> None:
    """«Применить»: the draft becomes the school's text."""
    deputy = await _deputy(event, access, messenger, "templates_apply")
    if deputy is None:
        return
    key_of_draft = _draft_key(bot_id, event)
    state = await dialogs.get(key_of_draft)
    if state is None or state.state != "preview" or state.data.get("org") != deputy.org_id:
        await _pop_up(messenger, event, "Черновик уже не действует")
        await _say(messenger, event, EXPIRED)
        return
    key, text = str(state.data.get("k")), state.data.get("t")
    try:
        reminders.templates.save_text(str(deputy.org_id), key, text if isinstance(text, str) else None)
    except TemplateError as exc:
        await _say(messenger, event, "Текст не принят: " + "; ".join(exc.problems))
        return
    await dialogs.delete(key_of_draft)
    await _pop_up(messenger, event, "Сохранено")
    await _say(messenger, event, f"Готово: шаблон {NUMBERED.index(key) + 1} изменён, он будет в следующих "
                                 "напоминаниях.")


@router.button(actions.TemplateCancel.filter())
async def on_cancel(event: ButtonPressed, messenger: MessengerPort, dialogs: StateStore, bot_id: int = 0) -> None:
    """«Отмена»: the draft is dropped, nothing changes."""
    await dialogs.delete(_draft_key(bot_id, event))
    await _pop_up(messenger, event, "Отменено")
    await _say(messenger, event, "Хорошо, тексты не изменены.")
