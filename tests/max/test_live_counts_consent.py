"""Live counts in MAX where the school asks for consent: a MAX account's consent is looked up as a MAX one."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.app import App
from bot.config import Settings
from bot.domain.models import Period
from bot.messaging.events import Identity, Messenger
from max_emulator.client import MaxEmulatorControl
from tests.max.conftest import DEPUTY, TEACHERS


@pytest.fixture
def max_settings(max_settings: Settings) -> Settings:
    """The MAX bot's settings with consent required."""
    return max_settings.model_copy(
        update={"privacy": max_settings.privacy.model_copy(update={"consent_required": True})})


async def test_a_teacher_who_consented_in_max_is_counted_and_one_who_did_not_is_not(
        max_app: App, max_ctl: MaxEmulatorControl) -> None:
    """The consent given in MAX counts (not the VK account with the same number); no consent, no count."""
    (consented, consented_name), (silent, silent_name) = TEACHERS[0], TEACHERS[1]
    terms = max_app.deps.privacy.terms("school1")
    assert terms.consent_required
    assert await max_app.deps.privacy.accept(Identity(messenger=Messenger.MAX, external_id=consented), "school1",
                                             terms.version)
    await max_ctl.add_chat(-610, "Учителя", [consented, silent, DEPUTY], bot_is_admin=True, bot_reads_all=True)
    await max_ctl.say(consented, "Коллеги, добрый день", chat_id=-610)
    await max_ctl.say(silent, "Добрый день", chat_id=-610)
    await max_ctl.say(DEPUTY, "привет")
    await max_ctl.wait_sent(None, 1)  # the answer to the deputy: the chat messages before it are handled
    people = {p.full_name: p for p in await max_app.deps.people.in_org("school1")}
    period = Period.containing(dt.datetime.now(dt.UTC).date())
    assert await max_app.deps.live_counts.messages(people[consented_name].id, period) == 1
    assert await max_app.deps.live_counts.messages(people[silent_name].id, period) is None
