"""«Мои чаты» driven through the neutral router by a fake messenger: no VK anywhere."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.app import build_dispatcher, handler_data
from bot.composition import Channels, build_services
from bot.domain.ui import Button
from bot.messaging.events import (
    ButtonPressed,
    ChatKind,
    ChatRef,
    Identity,
    MessageIn,
    Messenger,
    Reply,
)
from bot.messaging.router import Dispatcher
from bot.ports import Community
from handlers import routers
from tests.chats.conftest import School
from tests.messaging.fake_messenger import FakeMessenger

TEACHER, DEPUTY = 2001, 1002
GROUP = ChatRef(messenger=Messenger.VK, chat_id=2_000_000_077, kind=ChatKind.GROUP)


def _who(vk_id: int) -> Identity:
    return Identity(messenger=Messenger.VK, external_id=vk_id)


def _button(reply: Reply, label: str) -> Button:
    assert reply.keyboard is not None, reply.text
    return next(b for row in reply.keyboard.rows for b in row if label in b.label)


class Bot:
    """The converted features on a dispatcher, fed by hand, answering through the fake messenger."""

    def __init__(self, dispatcher: Dispatcher, messenger: FakeMessenger, data: dict[str, Any]) -> None:
        self.dispatcher, self.messenger, self.data = dispatcher, messenger, data
        self.presses = 0

    async def say(self, who: int, text: str, chat: ChatRef | None = None) -> Reply:
        """Type a text; the last reply."""
        chat = chat or ChatRef(messenger=Messenger.VK, chat_id=who)
        assert await self.dispatcher.feed(MessageIn(chat=chat, sender=_who(who), text=text), **self.data)
        return self.messenger.sent[-1]

    async def press(self, who: int, button: Button, chat: ChatRef | None = None) -> bool:
        """Press a callback button; whether a handler took it."""
        self.presses += 1
        chat = chat or ChatRef(messenger=Messenger.VK, chat_id=who)
        press = ButtonPressed(chat=chat, sender=_who(who), callback_id=f"ev{self.presses}", payload=button.payload)
        return await self.dispatcher.feed(press, **self.data)


@pytest.fixture
def bot(school: School) -> Bot:
    """The school of tests/chats on real SQLite, its chats service wired, replies into a fake messenger."""
    db, settings = school.db, school.settings
    channels = Channels(outbound=school.outbound, community=Community(1))
    deps = replace(build_services(settings, db, channels), chats=school.service)
    messenger = FakeMessenger()
    return Bot(build_dispatcher(deps, routers()), messenger, handler_data(deps, messenger))


async def test_the_dialog_runs_through_buttons_and_typed_answers(bot: Bot) -> None:
    """«мои чаты», a chat's card, «Подтвердить перенос», then a messenger typed: the next step, understood."""
    listing = await bot.say(TEACHER, "мои чаты")
    assert await bot.press(TEACHER, _button(listing, "родителями 5А"))
    card = bot.messenger.sent[-1]
    assert await bot.press(TEACHER, _button(card, "Подтвердить перенос"))
    assert "в каком мессенджере" in bot.messenger.sent[-1].text
    answer = await bot.say(TEACHER, "тг")
    assert answer.text.startswith("Понял: чат был в Telegram.") and answer.chat.chat_id == TEACHER


async def test_a_typed_number_picks_from_the_list(bot: Bot) -> None:
    """A number typed after the list picks that chat and says what it understood."""
    listing = await bot.say(TEACHER, "мои чаты")
    assert listing.keyboard is not None
    keys = [b.payload.get("k") for row in listing.keyboard.rows for b in row if b.payload.get("k")]
    number = keys.index(_button(listing, "родителями 5А").payload["k"]) + 1
    answer = await bot.say(TEACHER, str(number))
    assert answer.text.startswith("Понял: «Чат с родителями 5А».") and "в каком мессенджере" in answer.text


async def test_a_press_in_a_group_chat_gets_a_snackbar(bot: Bot) -> None:
    """One's own chat buttons work in private only: in a group chat the press is answered, nothing is sent."""
    listing = await bot.say(TEACHER, "мои чаты")
    sent = len(bot.messenger.sent)
    assert await bot.press(TEACHER, _button(listing, "родителями 5А"), chat=GROUP)
    assert [a.text for a in bot.messenger.answers] == [
        "Свои чаты можно подтверждать только в личных сообщениях с ботом."]
    assert len(bot.messenger.sent) == sent


async def test_the_report_goes_to_the_deputy_and_is_refused_in_a_chat(bot: Bot) -> None:
    """«перенос чатов»: the report in private; in a group chat a refusal, names kept private."""
    report = await bot.say(DEPUTY, "перенос чатов")
    assert report.chat.chat_id == DEPUTY and report.keyboard is not None
    refusal = await bot.say(DEPUTY, "перенос чатов", chat=GROUP)
    assert refusal.chat == GROUP and "Иванова" not in refusal.text and refusal.text != report.text


async def test_a_teacher_is_refused_the_report_button(bot: Bot) -> None:
    """The deputy's «по сотрудникам» pressed by a teacher: «Нет прав» and the reason in words."""
    report = await bot.say(DEPUTY, "перенос чатов")
    assert await bot.press(TEACHER, _button(report, "сотрудник"))
    assert [a.text for a in bot.messenger.answers] == ["Нет прав"]
    assert bot.messenger.sent[-1].chat.chat_id == TEACHER
