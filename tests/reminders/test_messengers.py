"""Reminders and the deputy's report go to the messenger each person uses (the school's preference first)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.composition import reminder_stores
from bot.config import Settings, parse_settings
from bot.domain.models import Role
from bot.messaging.events import Messenger
from bot.services.addressing import address, running
from bot.services.reminders import ReminderService
from storage.db import Database
from storage.people import PeopleRepo
from tests.reminders.conftest import MONDAY_10, FakeOutbound, MovableClock, add_person, seed_stats

LOW = {"group_messages": 1, "calls": 1, "ejd_linked": True, "registered": True}


def _settings(tmp_path: Path, **school: Any) -> Settings:
    return parse_settings({"vk": {"token": "vk"}, "max": {"token": "mx"},
                           "schools": [{"id": "school1", "deputy_vk_ids": [1002], "deputy_max_ids": [7002],
                                        **school}]}, tmp_path)


async def _school(db: Database) -> dict[str, int]:
    """Three teachers under the threshold: VK and MAX, VK only, MAX only; the deputy (VK 1002) gets MAX 7002."""
    [deputy] = await PeopleRepo(db).by_vk_id(1002)
    ids: dict[str, int] = {"deputy": deputy.id}
    async with db.transaction() as conn:
        await conn.execute("UPDATE people SET max_id = 7002 WHERE id = ?", (deputy.id,))
    for key, name, vk, mx in [("both", "Иванова Анна Петровна", 2001, 8001),
                              ("vk", "Орлов Олег Олегович", 2002, None),
                              ("max", "Смирнова Ольга Викторовна", None, 8003)]:
        person = await add_person(db, name, Role.TEACHER, vk)
        ids[key] = person.id
        if mx:
            async with db.transaction() as conn:
                await conn.execute("UPDATE people SET max_id = ? WHERE id = ?", (mx, person.id))
    await seed_stats(db, [(ids[k], LOW) for k in ("both", "vk", "max")])
    return ids


def _targets(outbound: FakeOutbound) -> set[tuple[Messenger, int]]:
    return {(m.messenger, m.peer_id) for m in outbound.sent}


async def test_both_identities_go_to_max_by_default(tmp_path: Path, rdb: Database) -> None:
    """Default preference «max»: the teacher with both gets MAX, the others their one messenger; one report in MAX."""
    await _school(rdb)
    outbound = FakeOutbound()
    settings = _settings(tmp_path)
    service = ReminderService(reminder_stores(rdb, settings), settings, outbound, MovableClock(MONDAY_10))
    await service.run("school1")
    reminders = {(m.messenger, m.peer_id) for m in outbound.sent if m.kind == "reminder"}
    assert reminders == {(Messenger.MAX, 8001), (Messenger.VK, 2002), (Messenger.MAX, 8003)}
    reports = [m for m in outbound.sent if m.kind != "reminder"]
    assert [(m.messenger, m.peer_id) for m in reports] == [(Messenger.MAX, 7002)]


async def test_preference_vk_sends_through_vk(tmp_path: Path, rdb: Database) -> None:
    """`messenger_preference = "vk"`: the teacher with both and the deputy are written to in VK."""
    await _school(rdb)
    outbound = FakeOutbound()
    settings = _settings(tmp_path, messenger_preference="vk")
    service = ReminderService(reminder_stores(rdb, settings), settings, outbound, MovableClock(MONDAY_10))
    await service.run("school1")
    assert (Messenger.VK, 2001) in _targets(outbound) and (Messenger.MAX, 8003) in _targets(outbound)
    assert [(m.messenger, m.peer_id) for m in outbound.sent if m.kind != "reminder"] == [(Messenger.VK, 1002)]


def test_address_counts_only_running_messengers() -> None:
    """A messenger without a token is not used; without any token both count (offline commands)."""
    both = frozenset({Messenger.VK, Messenger.MAX})
    assert address(1, 2, "max", both) == (Messenger.MAX, 2)
    assert address(1, None, "max", both) == (Messenger.VK, 1)
    assert address(1, 2, "max", frozenset({Messenger.VK})) == (Messenger.VK, 1)
    assert address(None, 2, "vk", frozenset({Messenger.VK})) is None
    assert running(parse_settings({}, Path("."))) == frozenset({Messenger.VK, Messenger.MAX})
