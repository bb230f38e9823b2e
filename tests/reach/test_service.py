"""ReachabilityService (with the VK adapter's ReachPort) and LiveCountsService on a fake VK call and real SQLite."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from bot.config import Settings, parse_settings
from bot.domain.models import Organization, Period, Role
from bot.ports import Community
from bot.services.live_counts import LiveCountsService
from bot.services.reachability import ReachabilityService, reason_for
from bot.vk.reach import VkReach
from storage.db import Database
from storage.live_counts import LiveCountsRepo
from storage.people import PeopleRepo
from storage.reach import ReachRepo


class FakeVK:
    """Answers execute with isMessagesFromGroupAllowed results; records every call."""

    def __init__(self, allowed: set[int], *, fail_execute: bool = False, screen_name: str | None = "school_bot") -> None:
        self.allowed = allowed
        self.fail_execute = fail_execute
        self.screen_name = screen_name
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, method: str, params: dict[str, Any]) -> Any:
        self.calls.append((method, params))
        if method == "execute":
            if self.fail_execute:
                raise OSError("network down")
            ids = [int(x) for x in re.findall(r'"user_id":(\d+)', params["code"])]
            return [{"is_allowed": int(i in self.allowed)} for i in ids]
        if method == "groups.getById":
            if self.screen_name is None:
                raise OSError("no answer")
            return {"groups": [{"id": 7, "screen_name": self.screen_name}]}
        raise AssertionError(f"unexpected method {method}")


async def seed(db: Database, count: int) -> None:
    people = PeopleRepo(db)
    await people.sync_organizations([Organization(id="school1", name="СОШ 1")])
    for i in range(count):
        await people.add("school1", f"Учитель {i:03d}", Role.TEACHER, vk_id=100 + i)


async def test_refresh_batches_25_checks_per_execute(db: Database) -> None:
    """60 unknown people take 3 execute requests (25, 25, 10); refusals become 901."""
    await seed(db, 60)
    vk = FakeVK(allowed={100 + i for i in range(60) if i % 2 == 0})
    service = ReachabilityService(ReachRepo(db), probe=VkReach(vk, Community(7)))
    result = await service.refresh("school1")
    assert [len(re.findall("isMessagesFromGroupAllowed", p["code"])) for _, p in vk.calls] == [25, 25, 10]
    assert (result.checked, result.allowed, result.refused, result.failed) == (60, 30, 30, 0)
    unreachable = await service.unreachable("school1")
    assert len(unreachable) == 30 and {p.code for p in unreachable} == {901}


async def test_a_failed_check_changes_nothing_and_is_counted(db: Database) -> None:
    """A network failure leaves everyone unknown (not unreachable) and reports the failures."""
    await seed(db, 3)
    service = ReachabilityService(ReachRepo(db), probe=VkReach(FakeVK(set(), fail_execute=True), Community(7)))
    result = await service.refresh("school1")
    assert (result.checked, result.failed) == (0, 3)
    assert await service.unreachable("school1") == []


async def test_without_vk_refresh_does_nothing(db: Database) -> None:
    """No API call (or no group id yet): nothing is asked, nothing changes."""
    await seed(db, 2)
    assert (await ReachabilityService(ReachRepo(db)).refresh("school1")).checked == 0


async def test_invitation_uses_the_screen_name_and_has_a_qr_png(db: Database) -> None:
    """The link is vk.me/<screen name>; the QR code is a PNG; without an answer it is vk.me/club<id>."""
    invitation = await ReachabilityService(ReachRepo(db), probe=VkReach(FakeVK(set()), Community(7))).invitation("school1")
    assert invitation.link == "https://vk.me/school_bot"
    assert invitation.link in invitation.text
    assert invitation.qr_png.startswith(b"\x89PNG\r\n\x1a\n")
    fallback = ReachabilityService(ReachRepo(db), probe=VkReach(FakeVK(set(), screen_name=None), Community(7)))
    assert await fallback.link() == "https://vk.me/club7"


def test_reasons_are_russian_and_cover_every_code() -> None:
    """901 (not allowed), 902 (privacy settings), 943/944 and «no page» each have their own wording."""
    assert reason_for(901) == "не разрешил(а) сообщения от сообщества"
    assert reason_for(902) == "сообщения запрещены настройками приватности"
    assert reason_for(943) == reason_for(944) == "ограничение ВКонтакте на рассылки вне 24 часов"
    assert reason_for(None).startswith("нет страницы ВКонтакте")


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self._now = now

    def now(self) -> dt.datetime:
        return self._now


def two_zones(tmp_path: Any) -> Settings:
    return parse_settings({"schools": [{"id": "school1", "timezone": "Europe/Moscow"},
                                       {"id": "school2", "timezone": "Asia/Vladivostok"}]}, tmp_path)


async def test_live_counts_take_the_week_of_each_schools_time_zone(db: Database, tmp_path: Any) -> None:
    """Friday 22:00 UTC is already Saturday in Moscow: the message counts in the new period."""
    await seed(db, 1)
    service = LiveCountsService(LiveCountsRepo(db), two_zones(tmp_path))
    friday_late = dt.datetime(2026, 11, 20, 22, 0, tzinfo=dt.UTC)
    assert await service.note_chat_message(2_000_000_001, 100, friday_late) == 1
    [person] = await PeopleRepo(db).by_vk_id(100)
    assert await service.messages(person.id, Period.parse("2026-11-21..2026-11-27")) == 1
    assert await service.messages(person.id, Period.parse("2026-11-14..2026-11-20")) is None


async def test_live_counts_ignore_private_messages_and_communities(db: Database, tmp_path: Any) -> None:
    """Only group chats count, and only people (a community's negative id does not)."""
    await seed(db, 1)
    service = LiveCountsService(LiveCountsRepo(db), two_zones(tmp_path), clock=Clock(dt.datetime(2026, 11, 18, tzinfo=dt.UTC)))
    assert await service.note_chat_message(100, 100) == 0
    assert await service.note_chat_message(2_000_000_001, -5) == 0
    assert await service.note_chat_message(2_000_000_001, 100) == 1
    [person] = await PeopleRepo(db).by_vk_id(100)
    assert await service.for_org("school1", Period.parse("2026-11-14..2026-11-20")) == {person.id: 1}


@pytest.mark.parametrize(("name", "expected"), [
    ("Иванова Анна Петровна", "не разрешила сообщения от сообщества"),
    ("Кузнецов Олег Игоревич", "не разрешил сообщения от сообщества"),
    ("Ким", "не разрешил(а) сообщения от сообщества"),
])
def test_reason_agrees_with_the_persons_gender(name: str, expected: str) -> None:
    """With a name the verbs agree with the gender; unclear gender keeps both forms."""
    assert reason_for(901, name) == expected
