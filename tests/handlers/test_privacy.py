"""The consent gate and «Мои данные» driven through the neutral router by a fake messenger."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_dispatcher, handler_data
from bot.composition import privacy_stores
from bot.config import parse_settings
from bot.messaging import actions
from bot.messaging.events import ButtonPressed, ChatKind, ChatRef, Identity, Messenger
from bot.services.privacy import PrivacyService
from handlers import routers
from storage.db import Database
from tests.e2e.harness import step
from tests.handlers.conftest import DEPUTY, DIRECTOR, TEACHER, NeutralBot, neutral_deps
from tests.messaging.fake_messenger import FakeMessenger
from tests.summary.conftest import FixedClock

STRANGER = 9999


async def _bot(db: Database, tmp_path: Path, *, consent: bool, failing_uploads: bool = False) -> NeutralBot:
    settings = parse_settings({
        "privacy": {"operator": "Управление образования", "consent_required": consent},
        "schools": [{"id": "school1", "name": "МБОУ СОШ № 1", "director_vk_id": DIRECTOR,
                     "deputy_vk_ids": [DEPUTY], "registration_deadline": "2026-12-01"}],
    }, tmp_path)
    deps = await neutral_deps(db, settings)
    deps.privacy = PrivacyService(privacy_stores(db), settings, FixedClock())
    messenger = FakeMessenger(failing_uploads=failing_uploads)
    return NeutralBot(build_dispatcher(deps, routers()), messenger, handler_data(deps, messenger), deps)


@pytest.fixture
async def gated(db: Database, tmp_path: Path) -> NeutralBot:
    """The converted routers with consent required by the deployment."""
    return await _bot(db, tmp_path, consent=True)


def _consent_payload(bot: NeutralBot) -> dict[str, Any]:
    keyboard = bot.messenger.sent[-1].keyboard
    assert keyboard is not None
    [[button]] = keyboard.rows
    return dict(button.payload or {})


async def test_nothing_runs_before_consent_then_the_menu(gated: NeutralBot) -> None:
    """A known teacher's message and buttons get only the consent text (one person lookup per event);
    «Согласен(на)» records it and greets with the menu, after which «мой статус» works."""
    calls: list[int] = []
    original = gated.deps.people.by_vk_id

    async def counting(vk_id: int) -> Any:
        calls.append(vk_id)
        return await original(vk_id)

    gated.deps.people.by_vk_id = counting  # type: ignore[method-assign]
    assert await gated.say(TEACHER, "мой статус")
    assert calls == [TEACHER]
    prompt = gated.messenger.sent[-1]
    assert prompt.text.startswith("Согласие на обработку персональных данных")
    payload = _consent_payload(gated)
    version = gated.deps.privacy.terms("school1").version
    assert actions.ConsentAccepted.parse(payload) == actions.ConsentAccepted(version=version)

    assert await gated.press(TEACHER, {"cmd": "my_data"})
    assert gated.messenger.answers[-1].text == "Сначала нужно согласие на обработку данных"
    assert gated.messenger.sent[-1].text == prompt.text and not gated.messenger.uploads

    assert await gated.press(TEACHER, payload)
    assert gated.messenger.answers[-1].text == "Спасибо, согласие записано."
    thanks = gated.messenger.sent[-1]
    assert thanks.text.startswith("Спасибо, согласие записано. Анна Петровна, здравствуйте!")
    assert thanks.keyboard is not None and thanks.keyboard.rows
    assert await gated.deps.privacy.needs_consent(TEACHER, "school1") is None

    assert await gated.say(TEACHER, "мой статус")
    assert "ваш статус" in gated.messenger.sent[-1].text


async def test_a_stale_consent_shows_the_new_text_and_a_stranger_is_asked_for_the_name(gated: NeutralBot) -> None:
    """An old version is refused with the current text; a stranger's consent starts identification."""
    assert await gated.press(TEACHER, {"cmd": "consent_ok", "v": "0" * 16})
    assert gated.messenger.answers[-1].text == "Текст согласия изменился"
    assert gated.messenger.sent[-1].text.startswith("Текст согласия изменился, прочитайте, пожалуйста, новый.")
    assert await gated.deps.privacy.needs_consent(TEACHER, "school1") is not None

    assert await gated.say(STRANGER, "Сидорова Мария Ивановна")
    assert await step(gated.deps, STRANGER, "identify") is None  # the name was not taken in
    assert await gated.press(STRANGER, _consent_payload(gated))
    assert gated.messenger.sent[-2].text == "Спасибо, согласие записано."
    assert "фамилию, имя и отчество" in gated.messenger.sent[-1].text
    state = await step(gated.deps, STRANGER, "identify")
    assert state is not None and state.state == "name"


async def test_my_data_sends_the_export_as_a_file(db: Database, tmp_path: Path) -> None:
    """«мои данные» typed lists what is kept and attaches the person's own export, audited."""
    bot = await _bot(db, tmp_path, consent=False)
    assert await bot.say(TEACHER, "мои данные")
    [reply] = bot.messenger.sent
    assert reply.text.startswith("Что бот хранит о вас сейчас:") and "классы: 1" in reply.text
    [file] = bot.messenger.files_of(reply)
    assert file.name == "мои-данные.json"
    export = json.loads(file.data)
    assert export["tables"]["people"][0]["full_name"] == "Иванова Анна Петровна"
    [entry] = await bot.deps.audit.recent(action="export_person")
    assert entry.target == str(export["person_id"])


async def test_my_data_button_without_upload_and_for_a_stranger(db: Database, tmp_path: Path) -> None:
    """The «Мои данные» button: a stranger is asked to introduce themselves; a failed upload still
    says what is kept, with the menu."""
    bot = await _bot(db, tmp_path, consent=False, failing_uploads=True)
    assert await bot.press(STRANGER, {"cmd": "my_data"})
    assert bot.messenger.answers[-1].text == "Сначала представьтесь боту" and not bot.messenger.sent
    assert await bot.press(TEACHER, {"cmd": "my_data"})
    [reply] = bot.messenger.sent
    assert reply.text.endswith("Файл сейчас отправить не удалось, попробуйте позже.")
    assert reply.keyboard is not None and not reply.attachments


async def test_in_a_group_chat_a_press_gets_the_consent_in_private(gated: NeutralBot) -> None:
    """A button pressed in a group chat before consent: the consent text goes to the private dialog."""
    group = ChatRef(messenger=Messenger.VK, chat_id=2_000_000_001, kind=ChatKind.GROUP)
    event = ButtonPressed(chat=group, sender=Identity(messenger=Messenger.VK, external_id=TEACHER),
                          callback_id="g1", payload={"cmd": "my_status"})
    assert await gated.dispatcher.feed(event, **gated.data)
    [prompt] = gated.messenger.sent
    assert prompt.chat == ChatRef.dialog_with(event.sender) and prompt.text.startswith("Согласие")
