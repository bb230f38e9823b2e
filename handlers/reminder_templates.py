"""The deputy edits the reminder texts: list → «шаблон N: текст» → preview → «Применить».

A new text is checked first (the same rules as a file: placeholders, no «write N
messages»); the deputy sees the sample reminders it changes and applies or cancels. The
draft waits in the dialog-state store (feature «templates», a day at most); every button is checked on the server.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from vkbottle import GroupEventType
from vkbottle.bot import BotLabeler, Message, MessageEvent
from vkbottle.dispatch.rules import ABCRule

from bot.deps import Deps
from bot.domain.models import Person, Role
from bot.domain.reminder_templates import KEYS, TemplateError, Templates, defaults
from bot.domain.ui import Button, Color, Keyboard
from bot.messaging.events import ChatRef, Identity, Messenger
from bot.messaging.state import StateKey
from bot.services.access import Denied
from bot.services.reminder_templates import ReminderTemplates
from bot.services.reminders import ReminderService
from handlers.common import Cmd, EventCmd, Known, event_in_chat, feature, is_private, say, snackbar

labeler = BotLabeler()

NUMBERED = list(KEYS)
EDIT = re.compile(r"^\s*шаблон\s*№?\s*(\d{1,2})\s*[:.)—-]\s*(.+)$", re.IGNORECASE | re.DOTALL)
DEFAULT_WORDS = {"по умолчанию", "встроенный", "как было", "вернуть"}
HOW_TO = ("Чтобы изменить текст, напишите «шаблон N: новый текст» (например, «шаблон 9: Проведите встречу с "
          "родителями {класс}»). Вернуть встроенный текст: «шаблон N: по умолчанию». Перед сохранением я покажу, "
          "как будет выглядеть напоминание.\n"
          "Подстановки: {класс}, {классы}, {чаты}, {срок}, {звонки}, {имя}. Начало напоминания («По данным "
          "Сферума за неделю …») и первая строка отчёта не меняются.")
EXPIRED = "Этот черновик уже не действует. Пришлите «шаблон N: текст» ещё раз."


#: An unapplied draft lapses after this long.
DRAFT_TTL = dt.timedelta(days=1)


def _key(deps: Deps, vk_id: int) -> StateKey:
    """The draft's place: the deputy's VK dialog with the bot."""
    account = Identity(messenger=Messenger.VK, external_id=vk_id)
    return StateKey.of(deps.group_id, ChatRef.dialog_with(account), account, "templates")


def _templates(deps: Deps) -> ReminderTemplates:
    return feature(deps, "reminders", ReminderService).templates


async def _deputy(deps: Deps, vk_id: int, action: str, *, in_chat: bool = False) -> Person | None:
    """The deputy acting (checked and audited), or None after a polite refusal."""
    try:
        person = await deps.access.require(vk_id, action, [Role.DEPUTY], in_chat=in_chat)
    except Denied as denied:
        snackbar("Нет прав")
        if not in_chat:
            await say(deps, vk_id, denied.text)
        return None
    return person if person.org_id is not None else None


def listing(templates: Templates) -> str:
    """The numbered texts, marking the school's own."""
    lines = ["Тексты напоминаний (что бот советует сделать):"]
    for number, key in enumerate(NUMBERED, 1):
        own = " (свой текст школы)" if key in templates.overridden else ""
        lines.append(f"{number}. {KEYS[key][0]}{own}: {templates.text(key)}")
    return "\n".join(lines) + "\n\n" + HOW_TO


def _apply_keyboard() -> Keyboard:
    return Keyboard.column([
        Button(label="Применить", payload={"cmd": "tpl_apply"}, color=Color.POSITIVE, callback=True),
        Button(label="Отмена", payload={"cmd": "tpl_cancel"}, color=Color.NEGATIVE, callback=True),
    ])


# The cheap text rules come first, so that other people's messages cost no person lookup here.
@labeler.private_message(Cmd("reminder_templates", "шаблоны напоминаний", "шаблоны", "тексты напоминаний"), Known())
async def cmd_templates(message: Message, deps: Deps) -> None:
    """«Шаблоны напоминаний»: the numbered texts and how to change one."""
    deputy = await _deputy(deps, message.from_id, "templates_show")
    if deputy is None or deputy.org_id is None:
        return
    await say(deps, message.from_id, listing(_templates(deps).for_school(deputy.org_id)))


class TemplateEdit(ABCRule[Message]):
    """«шаблон N: текст» in private: injects `number` and `text`."""

    async def check(self, event: Message) -> dict[str, Any] | bool:
        if not is_private(event):
            return False
        match = EDIT.match(event.text or "")
        return {"number": int(match.group(1)), "text": match.group(2).strip()} if match else False


@labeler.private_message(TemplateEdit(), Known())
async def on_edit(message: Message, deps: Deps, number: int, text: str) -> None:
    """A new text for template N: checked, then previewed with «Применить» / «Отмена»."""
    vk_id = message.from_id
    deputy = await _deputy(deps, vk_id, "templates_edit")
    if deputy is None or deputy.org_id is None:
        return
    if not 1 <= number <= len(NUMBERED):
        await say(deps, vk_id, f"Шаблона с номером {number} нет: номера от 1 до {len(NUMBERED)}. "
                               "Список — по команде «шаблоны напоминаний».")
        return
    key = NUMBERED[number - 1]
    service = _templates(deps)
    new_text: str | None = None if text.lower().rstrip(".!") in DEFAULT_WORDS else text
    try:
        draft = (service.with_text(deputy.org_id, key, new_text) if new_text is not None
                 else service.for_school(deputy.org_id).merged({key: defaults().text(key)}))
    except TemplateError as exc:
        await say(deps, vk_id, "Текст не принят: " + "; ".join(exc.problems).split(": ", 1)[-1]
                  + ". Исправьте и пришлите «шаблон " + str(number) + ": …» ещё раз.")
        return
    await deps.dialogs.set(_key(deps, vk_id), "preview", {"k": key, "t": new_text, "org": deputy.org_id},
                           ttl=DRAFT_TTL)
    shown = [s for s in service.preview(deputy.org_id, draft) if draft.text(key) in s.text] or \
        service.preview(deputy.org_id, draft)[:1]
    samples = "\n\n".join(f"— {s.title}:\n{s.text}" for s in shown[:2])
    what = "встроенный текст" if new_text is None else "новый текст"
    await say(deps, vk_id, f"Шаблон {number} ({KEYS[key][0]}), {what}. Так будет выглядеть напоминание:\n\n"
                           f"{samples}", _apply_keyboard())


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("tpl_apply"))
async def on_apply(event: MessageEvent, deps: Deps) -> None:
    """«Применить»: the draft becomes the school's text."""
    vk_id = event.object.user_id
    deputy = await _deputy(deps, vk_id, "templates_apply", in_chat=event_in_chat(event))
    state = await deps.dialogs.get(_key(deps, vk_id))
    if deputy is None:
        return
    if state is None or state.state != "preview" or state.data.get("org") != deputy.org_id:
        snackbar("Черновик уже не действует")
        await say(deps, vk_id, EXPIRED)
        return
    key, text = str(state.data.get("k")), state.data.get("t")
    try:
        _templates(deps).save_text(str(deputy.org_id), key, text if isinstance(text, str) else None)
    except TemplateError as exc:
        await say(deps, vk_id, "Текст не принят: " + "; ".join(exc.problems))
        return
    await deps.dialogs.delete(_key(deps, vk_id))
    snackbar("Сохранено")
    await say(deps, vk_id, f"Готово: шаблон {NUMBERED.index(key) + 1} изменён, он будет в следующих напоминаниях.")


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("tpl_cancel"))
async def on_cancel(event: MessageEvent, deps: Deps) -> None:
    """«Отмена»: the draft is dropped, nothing changes."""
    vk_id = event.object.user_id
    await deps.dialogs.delete(_key(deps, vk_id))
    snackbar("Отменено")
    await say(deps, vk_id, "Хорошо, тексты не изменены.")
