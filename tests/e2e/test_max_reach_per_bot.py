"""Two MAX bots in one process, each on its own emulator, school 2 on «south»: what a bot may do is judged by
what that bot was told. A teacher who pressed «Начать» at «north» only is not reachable through «south»:
«кто не подписан» (asked of «south») lists them and invites to «south», their reminder goes through «south»
and is refused there, and «north» writes to nobody of school 2. A button pressed in «south» is answered by it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import App, build_app
from bot.config import parse_settings
from bot.domain.models import Role
from bot.domain.ui import Button, Keyboard
from bot.max.bridge import dialog
from bot.messaging.events import Reply
from bot.ratelimit import Backoff
from handlers.fallback import OLD_BUTTON
from max_emulator import MaxEmulator
from max_emulator.client import MaxEmulatorControl
from tests.reminders.conftest import MONDAY_10, seed_stats

TEACHER = (7301, "Кравцова", "Нина", "Кравцова Нина Олеговна")
DEPUTY = (7302, "Белов", "Олег", "Белов Олег Ильич")


@dataclass
class Bots:
    app: App
    north: MaxEmulatorControl
    south: MaxEmulatorControl


async def _bot(stack: AsyncExitStack, token: str, bot_id: int) -> tuple[MaxEmulator, MaxEmulatorControl]:
    emu = MaxEmulator(token=token, bot_id=bot_id, seed=1)
    await emu.start()

    async def stop() -> None:
        await emu.stop()
        assert emu.state.schema_violations == []  # whatever each bot sent was valid for the official schema

    stack.push_async_callback(stop)
    emu.seed_users([{"user_id": i, "first_name": first, "last_name": last} for i, last, first, _ in (TEACHER, DEPUTY)])
    return emu, await stack.enter_async_context(emu.control())


@pytest.fixture
async def bots(tmp_path: Path, storage_override: dict[str, Any]) -> AsyncIterator[Bots]:
    """«north» (the first bot) and «south» (school 2's); school 2's teacher and deputy bound to their MAX ids."""
    async with AsyncExitStack() as stack:
        north_emu, north = await _bot(stack, "mn", 9100)
        south_emu, south = await _bot(stack, "ms", 9200)
        settings = parse_settings({
            **storage_override,
            "vk": {"api_url": "http://127.0.0.1:9/method/"},
            "max": {"bots": [{"name": "north", "token": "mn", "api_url": north_emu.base_url},
                             {"name": "south", "token": "ms", "api_url": south_emu.base_url}]},
            "schools": [{"id": "school1", "name": "МБОУ СОШ № 1"},
                        {"id": "school2", "name": "МБОУ СОШ № 2", "max_bot": "south"}]}, tmp_path)
        app = await build_app(settings, backoff=Backoff(base=0.05, cap=0.5))
        task = asyncio.create_task(app.run())
        for max_id, _, _, name in (TEACHER, DEPUTY):
            person = await app.deps.people.add("school2", name, Role.DEPUTY if max_id == DEPUTY[0] else Role.TEACHER,
                                               classes=["5А"] if max_id == TEACHER[0] else ())
            await app.deps.people.bind_max(person.id, max_id)
        for control in (north, south):
            await control.wait_listening()
        try:
            yield Bots(app=app, north=north, south=south)
        finally:
            await app.close()
            await asyncio.gather(task, return_exceptions=True)


async def _reach(app: App) -> list[tuple[Any, ...]]:
    async with app.db.read() as conn, conn.execute(
            "SELECT bot, account, can_write FROM reach WHERE messenger = 'max' ORDER BY bot, account") as cur:
        return [tuple(r) for r in await cur.fetchall()]


async def test_started_at_one_bot_is_not_reachable_through_another(bots: Bots) -> None:
    """The teacher started «north» only; the deputy «south». «Кто не подписан» in «south» lists the teacher and
    invites to «south»; the reminder goes through «south», which MAX refuses, and «north» sends nothing."""
    app = bots.app
    teacher_chat = await bots.north.start(TEACHER[0])
    await bots.north.say(TEACHER[0], "мой статус")
    await bots.north.wait_sent(teacher_chat, 1)  # «north» has handled the teacher's bot_started before this
    deputy_chat = await bots.south.start(DEPUTY[0])
    await bots.south.say(DEPUTY[0], "кто не подписан")
    listed, invitation, _qr = await bots.south.wait_sent(deputy_chat, 3)
    assert await _reach(app) == [("north", TEACHER[0], 1), ("south", DEPUTY[0], 1)]
    assert f"{TEACHER[3]} — " in listed["text"] and DEPUTY[3] not in listed["text"]
    south_name = (await app.max_bots[0].client.call("GET", "/me"))["username"]
    assert f"https://max.ru/{south_name}" in invitation["text"]

    [teacher] = [p for p in await app.deps.people.in_org("school2") if p.role is Role.TEACHER]
    await seed_stats(app.db, [(teacher.id, {"group_messages": 1, "calls": 1, "ejd_linked": True,
                                            "registered": True})], org_id="school2")
    report = await app.deps.reminders.run("school2", now=MONDAY_10)
    assert (report.planned, report.sent) == (1, 0)
    assert [p.person_id for p in report.unreachable] == [teacher.id]
    assert await _reach(app) == [("north", TEACHER[0], 1), ("south", TEACHER[0], 0), ("south", DEPUTY[0], 1)]
    assert [m for m in await bots.north.sent(None) if "добрый день" in (m["text"] or "")] == [], "«north» reminded"
    async with app.db.read() as conn, conn.execute(
            "SELECT bot, status FROM outbox WHERE kind = 'reminder'") as cur:
        assert [tuple(r) for r in await cur.fetchall()] == [("south", "unreachable")]


async def test_a_button_pressed_in_one_bot_is_answered_by_it(bots: Bots) -> None:
    """The deputy presses a button of a message «south» sent them: the answer comes from «south» (where the press
    is), none from «north», which the deputy has also started."""
    await bots.north.start(DEPUTY[0])
    deputy_chat = await bots.south.start(DEPUTY[0])
    south = bots.app.max_bots[0]
    old = Reply(chat=dialog(DEPUTY[0]), text="Старое", keyboard=Keyboard(
        rows=[[Button(label="Старая", payload={"cmd": "gone"}, callback=True)]], inline=True))
    assert (await south.messenger.send(old)).ok
    [message] = await bots.south.wait_sent(deputy_chat, 1)
    await bots.south.press(DEPUTY[0], message["mid"], message["keyboard"][0][0]["payload"])
    [answer] = await bots.south.answers(DEPUTY[0], count=1)
    assert answer["notification"] == OLD_BUTTON
    assert await bots.north.answers(DEPUTY[0]) == []
