"""End to end through the emulator: allow/deny events, the deputy's list with the invitation, live counts."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.app import App
from bot.domain.models import Period, Role
from tests.e2e.harness import DEPUTY, Chat
from tests.pg import backend
from vk_emulator.client import EmulatorControl

SILENT = 2005  # a teacher bound to VK who never wrote to the community


async def add_silent_teacher(app: App, control: EmulatorControl) -> int:
    await control.add_user(SILENT, "Олег", "Кузнецов")
    person = await app.deps.people.add("school1", "Кузнецов Олег Игоревич", Role.TEACHER, vk_id=SILENT)
    return person.id


def signal_after(obj: Any, name: str, calls: int = 1) -> asyncio.Event:
    """Replace obj.name with a wrapper that sets the returned event after `calls` calls."""
    done = asyncio.Event()
    original: Callable[..., Awaitable[Any]] = getattr(obj, name)
    seen = 0

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal seen
        result = await original(*args, **kwargs)
        seen += 1
        if seen >= calls:
            done.set()
        return result

    setattr(obj, name, wrapper)
    return done


async def test_list_names_the_silent_and_the_unbound_then_sends_the_invitation(chat: Chat, bot_app: App,
                                                                               control: EmulatorControl) -> None:
    """The count comes first; each person has a reason; the invitation carries the link and a QR photo."""
    await add_silent_teacher(bot_app, control)
    replies = await chat.say(DEPUTY, payload={"cmd": "unreachable"}, count=2)
    listing, invitation = replies[0]["text"], replies[1]
    assert listing.startswith("Бот пока не может написать 2 из ")
    assert "Кузнецов Олег Игоревич — не разрешил сообщения от сообщества" in listing
    assert "Сидорова Мария Ивановна — нет страницы ВКонтакте" in listing
    assert "Иванова" not in listing
    assert "https://vk.me/club1" in invitation["text"]
    assert [a["type"] for a in invitation["attachments"]] == ["photo"]
    stats = await control.stats()
    assert stats["requests"].get("execute", 0) >= 1  # the isMessagesFromGroupAllowed checks


async def test_allow_and_deny_events_change_the_list(chat: Chat, bot_app: App, control: EmulatorControl) -> None:
    """message_allow takes a person off the list; message_deny puts them back as refused (902)."""
    service = bot_app.deps.reachability
    await add_silent_teacher(bot_app, control)
    await service.refresh("school1")
    assert SILENT in {p.vk_id for p in await service.unreachable("school1")}
    allowed = signal_after(service, "allow")
    await control.allow(SILENT)
    await asyncio.wait_for(allowed.wait(), 10)
    assert SILENT not in {p.vk_id for p in await service.unreachable("school1")}
    denied = signal_after(service, "deny")
    await control.deny(2001)
    await asyncio.wait_for(denied.wait(), 10)
    [ivanova] = [p for p in await service.unreachable("school1") if p.vk_id == 2001]
    assert (ivanova.code, ivanova.reason) == (902, "сообщения запрещены настройками приватности")


async def test_refresh_checks_unknown_people_through_vk(bot_app: App, control: EmulatorControl) -> None:
    """Bound people with an unknown status are checked in one execute; the answers are stored."""
    await add_silent_teacher(bot_app, control)
    before = (await control.stats())["requests"].get("execute", 0)
    result = await bot_app.deps.reachability.refresh("school1")
    assert (result.allowed, result.refused, result.failed) == (result.checked - 1, 1, 0)
    assert result.checked >= 4  # three teachers, the silent one, and the deputy and director of the config
    assert (await control.stats())["requests"]["execute"] == before + 1
    again = await bot_app.deps.reachability.refresh("school1")
    assert again.checked == 1  # only the one still not reachable is asked about again


async def test_teacher_cannot_see_the_list(chat: Chat, bot_app: App) -> None:
    """«Кто не подписан» from a teacher is refused politely and audited."""
    replies = await chat.say(2001, payload={"cmd": "unreachable"})
    assert "заместители директора" in replies[-1]["text"]
    denied = await bot_app.deps.audit.recent(action="unreachable_list")
    assert (denied[0].outcome, denied[0].actor_vk_id) == ("denied", 2001)


@pytest.mark.skipif(backend() == "postgres", reason="reads SQLite's own catalogue or file")
async def test_live_counts_count_bound_people_and_ignore_strangers(bot_app: App, control: EmulatorControl) -> None:
    """Two messages of a bound teacher are counted; a stranger's is not; no text is stored."""
    await control.add_user(9999, "Гость", "Чужой")
    chat = await control.add_chat(7, "5А — родители", [2001, 9999], bot_reads_all=True)
    peer = int(chat["peer_id"])
    counted = signal_after(bot_app.deps.live_counts, "note_chat_message", calls=3)
    await control.say(2001, "секретный текст 12345", peer_id=peer)
    await control.say(9999, "секретный текст 12345", peer_id=peer)
    await control.say(2001, "ещё одно", peer_id=peer)
    await asyncio.wait_for(counted.wait(), 10)
    [ivanova] = await bot_app.deps.people.by_vk_id(2001)
    async with bot_app.db.read() as conn:
        rows = list(await (await conn.execute("SELECT person_id, period_start, messages FROM live_counts")).fetchall())
        columns = {r[1] for r in await (await conn.execute("PRAGMA table_info(live_counts)")).fetchall()}
        stranger = await (await conn.execute("SELECT 1 FROM vk_users WHERE vk_id = 9999")).fetchone()
    assert [(r[0], r[2]) for r in rows] == [(ivanova.id, 2)]
    assert columns == {"person_id", "period_start", "messages"}
    assert stranger is None
    period = Period.containing(dt.date.fromisoformat(rows[0][1]))
    assert period.key == rows[0][1]  # a Saturday: the school's week
    assert await bot_app.deps.live_counts.messages(ivanova.id, period) == 2
