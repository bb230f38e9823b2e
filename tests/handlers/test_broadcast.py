"""The deputy's broadcast dialog driven through the neutral router by a fake messenger: no VK at all."""

from __future__ import annotations

import pytest

from bot.app import build_dispatcher, handler_data
from bot.config import Settings
from bot.messaging import actions
from bot.messaging.events import Messenger
from bot.services.broadcasts import BroadcastService
from bot.services.reachability import ReachabilityService
from handlers import routers
from storage.broadcasts import BroadcastRepo
from storage.db import Database
from storage.reach import ReachRepo
from storage.stats import StatsRepo
from tests.broadcasts.test_service import FakeSender
from tests.e2e.harness import step
from tests.handlers.conftest import DEPUTY, TEACHER, NeutralBot, neutral_deps
from tests.messaging.fake_messenger import FakeMessenger
from tests.summary.conftest import school_settings  # noqa: F401


@pytest.fixture
async def sender() -> FakeSender:
    """Where the broadcast service delivers (the bulk send, its progress and the report)."""
    return FakeSender()


@pytest.fixture
async def bot(db: Database, school_settings: Settings, sender: FakeSender) -> NeutralBot:  # noqa: F811
    """The converted routers with broadcasts wired, answering through a fake messenger."""
    deps = await neutral_deps(db, school_settings)
    deps.broadcasts = BroadcastService(BroadcastRepo(db), StatsRepo(db), school_settings, sender, ReachabilityService(ReachRepo(db)),
                                       messengers={Messenger.VK: sender})
    messenger = FakeMessenger()
    return NeutralBot(build_dispatcher(deps, routers()), messenger, handler_data(deps, messenger), deps)


async def test_who_text_preview_send(bot: NeutralBot, sender: FakeSender) -> None:
    """«рассылка» → «всем» button → the text → the preview's «Отправить»: the broadcast goes out."""
    assert await bot.say(DEPUTY, "рассылка")
    who = bot.messenger.sent[-1]
    assert who.text.startswith("Кому отправить рассылку?") and who.keyboard is not None
    audience = actions.BroadcastAudience.parse(who.keyboard.rows[0][0].payload)
    assert audience is not None and who.keyboard.rows[0][0].callback
    assert await bot.press(DEPUTY, actions.BroadcastAudience(audience="all").pack())
    assert bot.messenger.answers[-1].text == "Хорошо"
    assert "Напишите текст рассылки" in bot.messenger.sent[-1].text
    assert await bot.say(DEPUTY, "Совещание в 15:00")
    preview = bot.messenger.sent[-1]
    assert preview.keyboard is not None
    send = actions.BroadcastSend.parse(preview.keyboard.rows[0][0].payload)
    assert send is not None and preview.keyboard.rows[0][0].label == "Отправить"
    assert await bot.press(DEPUTY, send.pack())
    assert bot.messenger.answers[-1].text == "Отправляю"
    assert [m.text.endswith("Совещание в 15:00") for m in sender.bulk] == [True]


async def test_typed_answers_and_cancel(bot: NeutralBot) -> None:
    """«всем» typed at the «who» step is understood («Понял: …»); «отмена» ends the dialog."""
    await bot.say(DEPUTY, "рассылка")
    await bot.say(DEPUTY, "всем")
    assert bot.messenger.sent[-1].text.startswith("Понял: ")
    await bot.say(DEPUTY, "отмена")
    assert bot.messenger.sent[-1].text == "Рассылка отменена."
    assert await step(bot.deps, DEPUTY, "broadcast") is None


async def test_a_teachers_press_is_refused(bot: NeutralBot, sender: FakeSender) -> None:
    """A teacher pressing «Отправить» of a draft gets «Нет прав» and a reason; nothing is sent."""
    await bot.say(DEPUTY, "рассылка")
    await bot.press(DEPUTY, actions.BroadcastAudience(audience="all").pack())
    await bot.say(DEPUTY, "Совещание")
    preview = bot.messenger.sent[-1]
    assert preview.keyboard is not None
    payload = preview.keyboard.rows[0][0].payload
    assert await bot.press(TEACHER, payload)
    assert bot.messenger.answers[-1].text == "Нет прав"
    assert bot.messenger.sent[-1].chat.chat_id == TEACHER and sender.bulk == []
