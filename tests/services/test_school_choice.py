"""The school choice on a fake state store: the person's across bots, limited to the schools a bot serves, and
a choice kept per bot before still honoured in that bot."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.config import parse_settings
from bot.messaging.events import ChatRef, Identity, Messenger
from bot.messaging.state import StateKey
from bot.services.school_choice import CHOSEN, FEATURE, SchoolChoiceService
from tests.fakes.states import FakeStateStore

ACCOUNT = Identity(messenger=Messenger.VK, external_id=3001)
SCHOOLS = {"s1", "s2", "s3"}


def _service(tmp_path: Path) -> tuple[SchoolChoiceService, FakeStateStore]:
    settings = parse_settings({"vk": {"communities": [{"name": "north", "token": "a", "group_id": 11},
                                                      {"name": "south", "token": "b", "group_id": 12}]},
                               "schools": [{"id": "s1", "name": "Школа 1"},
                                           {"id": "s2", "name": "Школа 2", "vk_community": "south"},
                                           {"id": "s3", "name": "Школа 3", "vk_community": "south"}]}, tmp_path)
    states = FakeStateStore(lambda: dt.datetime(2026, 12, 5, tzinfo=dt.UTC))
    return SchoolChoiceService(states, settings), states


async def test_a_bot_acts_for_the_only_school_of_the_person_it_serves(tmp_path: Path) -> None:
    """«north» serves s1 alone of the three: it needs no choice; «south» serves two and waits for one."""
    service, _ = _service(tmp_path)
    assert service.options(ACCOUNT, "north", SCHOOLS) == {"s1"}
    assert service.options(ACCOUNT, "east", {"s2", "s3"}) == {"s2", "s3"}  # serves none: all of them
    assert await service.chosen(ACCOUNT, 11, "north", SCHOOLS) == "s1"
    assert await service.chosen(ACCOUNT, 12, "south", SCHOOLS) is None


async def test_the_choice_is_the_persons_and_only_counts_where_the_bot_serves_it(tmp_path: Path) -> None:
    """Chosen once, s3 holds in «south» (whatever bot it was made in); «north» still answers for s1."""
    service, _ = _service(tmp_path)
    await service.choose(ACCOUNT, "s3")
    assert await service.chosen(ACCOUNT, 12, "south", SCHOOLS) == "s3"
    assert await service.chosen(ACCOUNT, 11, "north", SCHOOLS) == "s1"
    await service.ask(ACCOUNT)
    assert await service.asking(ACCOUNT) and await service.chosen(ACCOUNT, 12, "south", SCHOOLS) is None


async def test_a_choice_kept_per_bot_before_still_holds_in_that_bot(tmp_path: Path) -> None:
    """A choice stored under the bot's id (before it became the person's) is read in that bot only."""
    service, states = _service(tmp_path)
    old = StateKey.of(12, ChatRef.dialog_with(ACCOUNT), ACCOUNT, FEATURE)
    await states.set(old, CHOSEN, {"org_id": "s2"})
    assert await service.chosen(ACCOUNT, 12, "south", SCHOOLS) == "s2"
    assert await service.chosen(ACCOUNT, 13, "south", SCHOOLS) is None
