"""The FAQ driven through the neutral router by a fake messenger: questions, candidates, the deputy's reply."""

from __future__ import annotations

import pytest

from bot.composition import faq_stores
from bot.config import Settings
from bot.messaging import actions
from bot.messaging.events import Identity, Messenger
from bot.messaging.payloads import decode
from bot.services.faq import HANDED_OFF, FaqService
from handlers import faq as faq_handlers
from storage.conversation_state import ConversationStateRepo
from storage.db import Database
from tests.broadcasts.test_service import FakeSender
from tests.handlers.conftest import BOT_ID, DEPUTY, TEACHER, NeutralBot, neutral_bot, neutral_deps
from tests.summary.conftest import school_settings  # noqa: F401

UNKNOWN_QUESTION = "проектор не включается"
ANSWER = "Проектор чинит Петров Сергей Иванович, кабинет 21."


@pytest.fixture
async def sender() -> FakeSender:
    """Where the FAQ service writes first (the deputy's notice, the answer to the asker)."""
    return FakeSender()


@pytest.fixture
async def bot(db: Database, school_settings: Settings, sender: FakeSender) -> NeutralBot:  # noqa: F811
    """The converted routers with the FAQ wired, answering through a fake messenger."""
    deps = await neutral_deps(db, school_settings)
    deps.faq = FaqService(faq_stores(db), school_settings, sender, deps.people, deps.access, clock=deps.clock)
    return neutral_bot(deps)


def _actions(bot: NeutralBot) -> list[actions.Payload]:
    keyboard = bot.messenger.sent[-1].keyboard
    assert keyboard is not None
    return [found for row in keyboard.rows for b in row if (found := decode(b.payload)) is not None]


async def test_question_candidates_and_a_pick(bot: NeutralBot) -> None:
    """A misspelt question gets the entry with its neighbours as buttons; pressing one gives that entry."""
    assert await bot.say(TEACHER, "смс с кодом не прихадит")
    first = bot.messenger.sent[-1].text
    picks = [a for a in _actions(bot) if isinstance(a, actions.FaqPick)]
    assert picks and any(isinstance(a, actions.FaqHandOff) for a in _actions(bot))
    assert await bot.press(TEACHER, picks[0].pack())
    assert bot.messenger.sent[-1].text != first and bot.messenger.sent[-1].chat.chat_id == TEACHER


async def test_hand_off_reply_step_and_answer(bot: NeutralBot, sender: FakeSender) -> None:
    """«Передать» → the deputy's «Ответить» opens a typing step in the store → the typed reply reaches the asker."""
    assert await bot.say(TEACHER, UNKNOWN_QUESTION)
    hand_off = next(a for a in _actions(bot) if isinstance(a, actions.FaqHandOff))
    assert await bot.press(TEACHER, hand_off.pack())
    assert bot.messenger.answers[-1].text == "Передано" and bot.messenger.sent[-1].text == HANDED_OFF
    notice = sender.replies[-1]
    assert notice.peer_id == DEPUTY and notice.keyboard is not None
    reply = actions.FaqReply.parse(notice.keyboard.rows[0][0].payload)
    assert reply is not None
    assert await bot.press(DEPUTY, reply.pack())
    assert bot.messenger.answers[-1].text == "Напишите ответ"
    store = ConversationStateRepo(bot.deps.db, bot.deps.clock.now)
    key = faq_handlers.step_key(BOT_ID, Identity(messenger=Messenger.VK, external_id=DEPUTY))
    step = await store.get(key)
    assert step is not None and step.state == "reply" and step.expires_at is not None
    assert await bot.say(DEPUTY, ANSWER)
    assert bot.messenger.sent[-1].text.startswith("Ответ отправлен")
    assert sender.replies[-1].peer_id == TEACHER and ANSWER in sender.replies[-1].text
    assert await store.get(key) is None


async def test_cancel_button_ends_the_step_and_forged_presses_are_refused(bot: NeutralBot) -> None:
    """«Отмена» drops the typing step; a teacher pressing «Ответить» is refused with a message."""
    key = faq_handlers.step_key(BOT_ID, Identity(messenger=Messenger.VK, external_id=DEPUTY))
    store = ConversationStateRepo(bot.deps.db, bot.deps.clock.now)
    await store.set(key, "reply", {"q": 1}, ttl=faq_handlers.DIALOG_TTL)
    assert await bot.press(DEPUTY, actions.FaqCancel().pack())
    assert bot.messenger.answers[-1].text == faq_handlers.CANCELLED and await store.get(key) is None
    assert await bot.press(TEACHER, actions.FaqReply(question_id=1).pack())
    assert bot.messenger.answers[-1].text == "Нет прав"
    assert "заместители директора" in bot.messenger.sent[-1].text
