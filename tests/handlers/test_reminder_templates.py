"""The deputy edits a reminder text through the neutral router, answered by a fake messenger."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import build_dispatcher, handler_data
from bot.composition import reminder_stores
from bot.config import Settings
from bot.domain.ui import Keyboard
from bot.messaging import actions
from bot.messaging.events import ChatRef, Identity, Messenger
from bot.messaging.state import StateKey
from bot.services.reminders import ReminderService
from handlers import routers
from storage.conversation_state import ConversationStateRepo
from storage.db import Database
from tests.handlers.conftest import DEPUTY, TEACHER, NeutralBot, neutral_deps
from tests.messaging.fake_messenger import FakeMessenger
from tests.summary.conftest import FixedClock, school_settings  # noqa: F401

NEW_TEXT = "Созвонитесь с родителями {класс} в Сферуме."


@pytest.fixture
async def bot(db: Database, school_settings: Settings) -> NeutralBot:  # noqa: F811
    """The converted routers with reminders wired and the dialog-state store."""
    deps = await neutral_deps(db, school_settings)
    deps.reminders = ReminderService(reminder_stores(db, school_settings), school_settings, None, FixedClock())
    messenger = FakeMessenger()
    data = {**handler_data(deps, messenger), "dialogs": ConversationStateRepo(db, FixedClock().now)}
    return NeutralBot(build_dispatcher(deps, routers()), messenger, data, deps)


def _payload(keyboard: Keyboard | None, label: str) -> dict[str, Any]:
    assert keyboard is not None
    return dict(next(b.payload for row in keyboard.rows for b in row if b.label == label) or {})


def _draft_key(bot: NeutralBot) -> StateKey:
    deputy = Identity(messenger=Messenger.VK, external_id=DEPUTY)
    return StateKey.of(0, ChatRef.dialog_with(deputy), deputy, "templates")


async def test_preview_cancel_apply_and_refusals(bot: NeutralBot) -> None:
    """The list, a previewed draft kept in the dialog-state store, «Отмена», «Применить», a stale
    «Применить», an unknown number and a teacher's attempt."""
    sent, answers = bot.messenger.sent, bot.messenger.answers
    templates = bot.deps.reminders.templates
    assert await bot.say(DEPUTY, "шаблоны напоминаний")
    assert "9. нет звонков, есть класс:" in sent[-1].text

    assert await bot.say(DEPUTY, "шаблон 9: " + NEW_TEXT)
    preview = sent[-1]
    assert "Так будет выглядеть напоминание" in preview.text and "Созвонитесь с родителями" in preview.text
    assert actions.TemplateApply.parse(_payload(preview.keyboard, "Применить")) is not None
    draft = await bot.data["dialogs"].get(_draft_key(bot))
    assert draft is not None and draft.data["k"] == "tasks.no_call.with_class" and draft.expires_at is not None

    assert await bot.press(DEPUTY, _payload(preview.keyboard, "Отмена"))
    assert answers[-1].text == "Отменено" and sent[-1].text == "Хорошо, тексты не изменены."
    assert await bot.data["dialogs"].get(_draft_key(bot)) is None
    assert await bot.press(DEPUTY, _payload(preview.keyboard, "Применить"))
    assert answers[-1].text == "Черновик уже не действует" and sent[-1].text.startswith("Этот черновик")
    assert templates.files.read("school1") is None

    assert await bot.say(DEPUTY, "шаблон 9: " + NEW_TEXT)
    assert await bot.press(DEPUTY, _payload(sent[-1].keyboard, "Применить"))
    assert answers[-1].text == "Сохранено" and sent[-1].text.startswith("Готово: шаблон 9 изменён")
    assert templates.for_school("school1").text("tasks.no_call.with_class") == NEW_TEXT

    assert await bot.say(DEPUTY, "шаблон 40: текст")
    assert "номера от 1 до 12" in sent[-1].text
    assert await bot.say(TEACHER, "шаблон 2: Спасибо!")
    assert "Так будет выглядеть" not in sent[-1].text
    assert await bot.data["dialogs"].get(StateKey.of(0, ChatRef(messenger=Messenger.VK, chat_id=TEACHER),
                                                     Identity(messenger=Messenger.VK, external_id=TEACHER),
                                                     "templates")) is None
