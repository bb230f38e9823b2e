"""The head's «сводка» driven end to end through the neutral router by a fake messenger: no VK at all."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest

from bot.app import build_dispatcher, handler_data
from bot.composition import Channels, build_services
from bot.config import Settings
from bot.domain.models import Role
from bot.messaging.events import ButtonPressed, ChatKind, ChatRef, Identity, MessageIn, Messenger
from bot.messaging.middlewares import PersonMiddleware
from bot.messaging.router import Dispatcher
from handlers import routers
from storage.db import Database
from storage.people import PeopleRepo
from tests.messaging.fake_messenger import FakeMessenger
from tests.summary.conftest import FixedClock, school_settings, seed_school  # noqa: F401

DIRECTOR, TEACHER = 1001, 3001
GROUP = ChatRef(messenger=Messenger.VK, chat_id=77, kind=ChatKind.GROUP)


class Bot:
    """The converted features on a dispatcher, fed by hand, answering through the fake messenger."""

    def __init__(self, dispatcher: Dispatcher, messenger: FakeMessenger, data: dict[str, Any]) -> None:
        self.dispatcher, self.messenger, self.data = dispatcher, messenger, data

    async def say(self, who: int, text: str = "", chat: ChatRef | None = None, **kwargs: Any) -> bool:
        chat = chat or ChatRef(messenger=Messenger.VK, chat_id=who)
        event = MessageIn(chat=chat, sender=Identity(messenger=Messenger.VK, external_id=who), text=text, **kwargs)
        return await self.dispatcher.feed(event, **self.data)


@pytest.fixture
async def bot(db: Database, school_settings: Settings) -> Bot:  # noqa: F811
    """Storage and services for one school with two weeks of figures; no VK anywhere."""
    ids = await seed_school(db)
    people = PeopleRepo(db)
    await people.ensure_config_person("school1", DIRECTOR, Role.DIRECTOR, "Директор")
    await people.bind_vk(ids["Иванова Анна Петровна"], TEACHER)
    clock = FixedClock()
    deps = build_services(school_settings, db, Channels.offline(school_settings), clock=clock)
    messenger = FakeMessenger()
    return Bot(build_dispatcher(deps, routers()), messenger, handler_data(deps, messenger))


async def test_director_gets_text_chart_and_spreadsheet(bot: Bot) -> None:
    """«Сводка» in a dialog: one reply with the figures and names, a chart and a workbook that opens."""
    assert await bot.say(DIRECTOR, "Сводка")
    [reply] = bot.messenger.sent
    assert reply.text.startswith("Сводка: МБОУ СОШ № 1") and "С кем поговорить" in reply.text
    files = bot.messenger.files_of(reply)
    assert [(f.image, f.name.rsplit(".", 1)[1]) for f in files] == [(True, "png"), (False, "xlsx")]
    assert files[0].data.startswith(b"\x89PNG")
    workbook = openpyxl.load_workbook(io.BytesIO(files[1].data))
    assert workbook.sheetnames


async def test_group_chat_gets_figures_and_chart_only(bot: Bot) -> None:
    """«@bot сводка» in a group chat: figures and the chart, no names and no spreadsheet."""
    assert await bot.say(DIRECTOR, "@bot сводка", chat=GROUP)
    [reply] = bot.messenger.sent
    assert "Сводка:" in reply.text and "Петров" not in reply.text and "С кем поговорить" not in reply.text
    assert [f.image for f in bot.messenger.files_of(reply)] == [True]


async def test_teacher_gets_own_status_with_the_menu(bot: Bot) -> None:
    """A teacher's button press gets their own status and their menu, never the school's figures."""
    assert await bot.say(TEACHER, payload={"cmd": "summary"})
    [reply] = bot.messenger.sent
    assert "ваш статус" in reply.text and "Показатели" not in reply.text and "Петров С." not in reply.text
    assert reply.keyboard is not None and reply.keyboard.rows


async def test_text_goes_when_uploads_fail(bot: Bot) -> None:
    """Uploads refused by the messenger leave the text alone."""
    bot.messenger.failing_uploads = True
    assert await bot.say(DIRECTOR, "сводка")
    [reply] = bot.messenger.sent
    assert reply.text.startswith("Сводка:") and reply.attachments == ()


async def test_the_person_is_looked_up_once_per_event(bot: Bot) -> None:
    """The middleware resolves the sender once, however many filters and handlers look at the event."""
    [middleware] = bot.dispatcher.middlewares
    assert isinstance(middleware, PersonMiddleware)
    await bot.say(TEACHER, "сводка")
    await bot.say(TEACHER, "что-то совсем другое")
    assert middleware.lookups == 2


async def test_a_directors_summary_asks_storage_once(bot: Bot) -> None:
    """«Сводка» from the director: the middleware's one lookup serves the role check too."""
    [middleware] = bot.dispatcher.middlewares
    assert isinstance(middleware, PersonMiddleware)
    assert await bot.say(DIRECTOR, "Сводка")
    assert bot.messenger.sent[0].text.startswith("Сводка:") and middleware.lookups == 1


async def test_other_text_goes_to_the_faq_or_the_stranger_is_asked_who_they_are(bot: Bot) -> None:
    """A stranger is asked for their name; a known person's unrecognised text reaches the FAQ, which offers help."""
    assert await bot.say(9999, "что-то совсем другое")
    [question] = bot.messenger.sent
    assert "фамилию, имя и отчество" in question.text
    assert await bot.say(DIRECTOR, "ъъъ")
    reply = bot.messenger.sent[-1]
    assert "передать вопрос" in reply.text and reply.keyboard is not None


async def test_a_stale_button_is_answered_politely(bot: Bot) -> None:
    """A press of a button nobody knows (or a forged one) gets «Эта кнопка больше не действует»."""
    chat = ChatRef(messenger=Messenger.VK, chat_id=DIRECTOR)
    press = ButtonPressed(chat=chat, sender=Identity(messenger=Messenger.VK, external_id=DIRECTOR),
                          callback_id="ev1", payload={"cmd": "bc_send", "b": "forged"})
    assert await bot.dispatcher.feed(press, **bot.data)
    assert [a.text for a in bot.messenger.answers] == ["Эта кнопка больше не действует"]
