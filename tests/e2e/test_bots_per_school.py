"""Two VK communities in one process, school 2 on the second («south»): what the bot says about school 2's
people goes through «south» and what «south» may do is judged by what «south» was told.

- a check code posted in a chat «south» is in is answered there by «south», its members counted by «south»,
  and the owner is told in their dialog with «south»;
- a broadcast's progress (one message edited in place) and report reach the deputy through «south»;
- a teacher who allowed the messages of «north» only is not reachable through «south»: «кто не подписан»
  lists them, asked of «south», and the invitation names «south».
"""

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
from bot.domain import chats as rules
from bot.domain.models import Role
from bot.messaging.events import ChatRef, Identity, Messenger
from bot.ports import PortFailure
from bot.ratelimit import Backoff
from storage.chats import ChatsSql
from tests.e2e.harness import Chat, button
from vk_emulator import Emulator
from vk_emulator.client import EmulatorControl

TEACHER = (3001, "Кравцова", "Нина", "Кравцова Нина Олеговна")
DEPUTY = (3002, "Белов", "Олег", "Белов Олег Ильич")
NORTH_ID, SOUTH_ID = 11, 12


@dataclass
class Region:
    app: App
    north: Chat
    south: Chat


async def vk_community(stack: AsyncExitStack, token: str, group_id: int) -> tuple[Chat, dict[str, Any]]:
    emu = Emulator(token=token, group_id=group_id, strict=True)
    await emu.start(host="127.0.0.1", port=0)
    stack.push_async_callback(emu.stop)
    control = await stack.enter_async_context(EmulatorControl(emu.base_url))
    return Chat(control), {"token": token, "group_id": group_id, "api_url": emu.api_url}


@pytest.fixture
async def region(tmp_path: Path, storage_override: dict[str, Any]) -> AsyncIterator[Region]:
    """«north» (the first community) and «south» (school 2's); school 2's teacher and deputy on its roster.
    The teacher allowed the messages of «north» and not of «south»; the deputy allowed both's."""
    async with AsyncExitStack() as stack:
        north, north_conf = await vk_community(stack, "tn", NORTH_ID)
        south, south_conf = await vk_community(stack, "ts", SOUTH_ID)
        for side, allows in ((north, True), (south, False)):
            await side.control.add_user(TEACHER[0], TEACHER[2], TEACHER[1], allows_messages=allows)
        for side in (north, south):
            await side.control.add_user(DEPUTY[0], DEPUTY[2], DEPUTY[1], allows_messages=True)
        settings = parse_settings({
            **storage_override,
            "vk": {"wait": 5, "communities": [{"name": "north", **north_conf}, {"name": "south", **south_conf}]},
            "schools": [{"id": "school1", "name": "МБОУ СОШ № 1"},
                        {"id": "school2", "name": "МБОУ СОШ № 2", "vk_community": "south"}]}, tmp_path)
        app = await build_app(settings, backoff=Backoff(base=0.05, cap=0.5))
        task = asyncio.create_task(app.run())
        await app.deps.people.add("school2", TEACHER[3], Role.TEACHER, vk_id=TEACHER[0], classes=["5А"])
        await app.deps.people.add("school2", DEPUTY[3], Role.DEPUTY, vk_id=DEPUTY[0])
        for side in (north, south):
            await side.control.wait_listening()
        try:
            yield Region(app=app, north=north, south=south)
        finally:
            await app.close()
            await asyncio.gather(task, return_exceptions=True)


async def _reach_rows(app: App) -> list[tuple[Any, ...]]:
    async with app.db.read() as conn, conn.execute(
            "SELECT bot, account, can_write FROM reach WHERE messenger = 'vk' ORDER BY bot, account") as cur:
        return [tuple(r) for r in await cur.fetchall()]


async def test_a_chat_code_is_answered_by_the_community_in_the_chat(region: Region) -> None:
    """The code posted in a chat of «south»: «south» answers in the chat and counts its members; the owner is
    told through «south», their school's community; «north» sends nothing."""
    [teacher] = await region.app.deps.people.by_vk_id(TEACHER[0])
    store = ChatsSql(region.app.db)
    await store.ensure("school2", teacher.id, "class:5А:parents", "Чат с родителями 5А")
    conf = await store.confirm(teacher.id, "class:5А:parents", {"messenger": "whatsapp"}, rules.new_code)
    assert conf is not None and conf.code
    await region.south.control.allow(TEACHER[0])  # so that «south» may write to the owner
    peer = (await region.south.control.add_chat(5, "5А родители", [TEACHER[0], 5001, 5002],
                                                bot_is_admin=True))["peer_id"]
    told = await region.south.say(TEACHER[0], f"[club{SOUTH_ID}|@south] {conf.code}", peer_id=peer,
                                  reply_to=TEACHER[0])
    assert "«Чат с родителями 5А» отмечен как проверенный" in told[-1]["text"]
    assert "Участников в чате: 3" in told[-1]["text"]
    in_chat = (await region.south.control.sent(peer))["items"]
    assert in_chat[-1]["text"].startswith("Код принят")
    assert (await region.north.control.sent(None))["items"] == []


async def test_a_broadcasts_progress_and_report_come_through_the_schools_community(region: Region) -> None:
    """School 2's deputy sends a broadcast: the progress message is shown and edited in their dialog with
    «south», the report follows there; «north» writes to nobody."""
    app = region.app
    [deputy] = await app.deps.people.by_vk_id(DEPUTY[0])
    await region.south.control.allow(TEACHER[0])
    draft = await app.deps.broadcasts.create(deputy, "all", None, "Собрание в пятницу в 15:00.")
    dialog = ChatRef.dialog_with(Identity(messenger=Messenger.VK, external_id=DEPUTY[0]))
    await app.deps.broadcasts.start(draft.broadcast.id, deputy, dialog)
    await region.south.control.wait_sent(DEPUTY[0], 2, timeout=10)
    texts = [m["text"] for m in (await region.south.control.sent(DEPUTY[0]))["items"]]
    assert texts[0] == "Рассылка завершена: обработано 1 из 1."  # the progress message, edited to the end
    assert texts[1].startswith("Рассылка отправлена. Доставлено: 1 из 1.")
    assert (await region.north.control.sent(None))["items"] == []


async def test_a_broadcast_sent_from_another_community_reports_there(region: Region) -> None:
    """School 2's deputy sends a broadcast from their dialog with «north»: the teacher gets it through «south»
    (their school's community); the progress message is edited and the report comes in the «north» dialog where
    the deputy pressed «Отправить»."""
    await region.south.control.allow(TEACHER[0])
    menu = await region.north.say(DEPUTY[0], payload={"cmd": "broadcast"})
    asked = await region.north.press(DEPUTY[0], menu[-1], button(menu[-1], "Всем сотрудникам")["payload"])
    preview = await region.north.say(DEPUTY[0], "Собрание в пятницу в 15:00.")
    assert asked and preview[-1]["text"].startswith("Получателей: 1")
    progress, report = await region.north.press(DEPUTY[0], preview[-1], button(preview[-1], "Отправить")["payload"],
                                                count=2)
    assert progress["text"] == "Рассылка завершена: обработано 1 из 1."
    assert report["text"].startswith("Рассылка отправлена. Доставлено: 1 из 1.")
    [got] = (await region.south.control.sent(TEACHER[0]))["items"]
    assert got["text"].endswith("Собрание в пятницу в 15:00.")
    assert (await region.south.control.sent(DEPUTY[0]))["items"] == []
    assert (await region.north.control.sent(TEACHER[0]))["items"] == []


async def test_allowing_one_community_does_not_make_a_person_reachable_through_another(region: Region) -> None:
    """The teacher allowed «north»'s messages: «north» knows it, «south» asks VK itself and is refused, so the
    deputy's «кто не подписан» (asked of «south») lists the teacher and invites to «south»."""
    app = region.app
    await region.north.say(TEACHER[0], "начать")  # the teacher writes to «north», so «north» may answer
    assert await _reach_rows(app) == [("north", TEACHER[0], 1)]
    [listing, invitation] = await region.south.say(DEPUTY[0], "кто не подписан", count=2)
    assert "Бот пока не может написать 1 из 2 сотрудников" in listing["text"]
    assert "Кравцова Нина Олеговна — " in listing["text"]
    assert f"club{SOUTH_ID}" in invitation["text"] and f"club{NORTH_ID}" not in invitation["text"]
    assert await _reach_rows(app) == [("north", TEACHER[0], 1), ("south", TEACHER[0], 0), ("south", DEPUTY[0], 1)]
    # What reminders and the summary count as unreachable in school 2 is «south»'s knowledge too.
    assert [p.name for p in await app.deps.reachability.unreachable("school2")] == [TEACHER[3]]



async def test_an_edit_and_a_button_answer_go_through_the_community_of_the_dialog(region: Region) -> None:
    """A message the deputy got from «south» is edited, and a press on it answered, through «south» when the
    event's community is named; «north» (the first) could do neither, and a community not running is refused."""
    app = region.app
    assert app.delivery is not None
    [greeting] = await region.south.say(DEPUTY[0], "начать")
    cmid = int(greeting["conversation_message_id"])
    pressed = await region.south.control.press(DEPUTY[0], cmid, {"cmd": "noop"}, peer_id=DEPUTY[0])
    await app.delivery.answer_callback(pressed["event_id"], DEPUTY[0], DEPUTY[0], "Принято", bot="south")
    answers = (await region.south.control.snackbars(DEPUTY[0]))["items"]
    assert {"event_id": pressed["event_id"], "event_data": {"type": "show_snackbar", "text": "Принято"}} in answers
    await app.delivery.edit(DEPUTY[0], cmid, "Изменено в диалоге с «south»", bot="south")
    edited = [m for m in (await region.south.control.sent(DEPUTY[0]))["items"] if m["conversation_message_id"] == cmid]
    assert [m["text"] for m in edited] == ["Изменено в диалоге с «south»"]
    assert (await region.north.control.snackbars(DEPUTY[0]))["items"] == []
    assert (await region.north.control.sent(None))["items"] == []
    with pytest.raises(PortFailure, match="«east» не подключено"):
        await app.delivery.edit(DEPUTY[0], cmid, "Текст", bot="east")
