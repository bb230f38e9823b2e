"""One process, two bots of one messenger (two VK communities, or two MAX bots, each on its own emulator with
its own token): a person is answered by the bot they wrote to, and a school's reminders go out through the
bot the school names; each outbox row records its bot."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.app import App, build_app
from bot.config import Settings, parse_settings
from bot.domain.models import Role
from bot.ratelimit import Backoff
from max_emulator import MaxEmulator
from max_emulator.client import MaxEmulatorControl
from storage.schools import SchoolsRepo
from tests.e2e.harness import Chat
from tests.e2e.messengers import MESSENGERS
from tests.reminders.conftest import MONDAY_10, seed_stats
from vk_emulator import Emulator
from vk_emulator.client import EmulatorControl

NORTH = ("school1", "Иванова Анна Петровна")  # on the first bot: school 1 names none
SOUTH = ("school2", "Кравцова Нина Олеговна")  # school 2 names «south»
IDS = {"vk": (2001, 3001), "max": (7101, 7201)}
PICK = {"vk": "vk_community", "max": "max_bot"}


class Side:
    """One bot's emulator: write to the bot as a person, read what the bot sent."""

    async def ask(self, user: int, text: str) -> str:
        raise NotImplementedError

    async def texts(self, user: int | None) -> list[str]:
        """What the bot sent `user` (None: anyone), oldest first."""
        raise NotImplementedError


@dataclass
class VkSide(Side):
    chat: Chat

    async def ask(self, user: int, text: str) -> str:
        [reply] = await self.chat.say(user, text)
        return str(reply["text"])

    async def texts(self, user: int | None) -> list[str]:
        return [item["text"] for item in (await self.chat.control.sent(user))["items"]]


@dataclass
class MaxSide(Side):
    ctl: MaxEmulatorControl
    dialogs: dict[int, int] = field(default_factory=dict)

    async def ask(self, user: int, text: str) -> str:
        everything = await self.ctl.sent(None)
        said = await self.ctl.say(user, text)
        self.dialogs[user] = said["chat_id"]
        [reply] = await self.ctl.wait_sent(said["chat_id"], 1, after=everything[-1]["seq"] if everything else 0)
        return str(reply["text"])

    async def texts(self, user: int | None) -> list[str]:
        chat = None if user is None else self.dialogs[user]
        return [item["text"] or "" for item in await self.ctl.sent(chat)]


@dataclass
class Region:
    app: App
    messenger: str
    north: Side
    south: Side
    settings: Settings


async def _vk(stack: AsyncExitStack, token: str, group_id: int, user: int, name: str) -> tuple[Side, dict[str, Any]]:
    emu = Emulator(token=token, group_id=group_id, strict=True)
    await emu.start(host="127.0.0.1", port=0)
    stack.push_async_callback(emu.stop)
    control = await stack.enter_async_context(EmulatorControl(emu.base_url))
    await control.add_user(user, name.split()[1], name.split()[0], allows_messages=True)
    return VkSide(Chat(control)), {"token": token, "group_id": group_id, "api_url": emu.api_url}


async def _max(stack: AsyncExitStack, token: str, bot_id: int, user: int, name: str) -> tuple[Side, dict[str, Any]]:
    emu = MaxEmulator(token=token, bot_id=bot_id, seed=1)
    await emu.start()

    async def stop() -> None:
        await emu.stop()
        # Whatever each bot sent was valid for the official schema.
        assert emu.state.schema_violations == []

    stack.push_async_callback(stop)
    emu.seed_users([{"user_id": user, "first_name": name.split()[1], "last_name": name.split()[0]}])
    ctl = await stack.enter_async_context(emu.control())
    return MaxSide(ctl), {"token": token, "api_url": emu.base_url}


# School 2 as `import-schools` stores it when the table's «Сообщество ВК» / «Бот MAX» column names «south».
TABLE_SOUTH = {"id": "school2", "name": "МБОУ СОШ № 2", "inn": "0500000002", "timezone": "Europe/Moscow", "row_no": 2}


@asynccontextmanager
async def _region(messenger: str, tmp_path: Path, storage_override: dict[str, Any], *,
                  south_in_table: bool, table_bot: str = "south") -> AsyncIterator[Region]:
    """Two bots of one messenger in one process, a teacher of each school on their school's bot; school 2
    comes from the config or, with `south_in_table`, from the table of schools read by the running bot (its
    bot column naming `table_bot`)."""
    north_id, south_id = IDS[messenger]
    make = _vk if messenger == "vk" else _max
    async with AsyncExitStack() as stack:
        north, north_conf = await make(stack, "tn", 11, north_id, NORTH[1])
        south, south_conf = await make(stack, "ts", 12, south_id, SOUTH[1])
        bots = [{"name": "north", **north_conf}, {"name": "south", **south_conf}]
        if messenger == "vk":
            bots_conf = {"vk": {"wait": 5, "communities": bots}}
        else:
            bots_conf = {"vk": {"api_url": "http://127.0.0.1:9/method/"}, "max": {"bots": bots}}
        schools = [{"id": "school1", "name": "МБОУ СОШ № 1"}]
        if not south_in_table:
            schools.append({"id": "school2", "name": "МБОУ СОШ № 2", PICK[messenger]: "south"})
        settings = parse_settings({**storage_override, **bots_conf, "schools": schools}, tmp_path)
        app = await build_app(settings, backoff=Backoff(base=0.05, cap=0.5))
        if south_in_table:
            await SchoolsRepo(app.db).replace([{**TABLE_SOUTH, PICK[messenger]: table_bot}])
            assert await app.refresh_schools()
        task = asyncio.create_task(app.run())
        for (org, name), user in ((NORTH, north_id), (SOUTH, south_id)):
            person = await app.deps.people.add(org, name, Role.TEACHER, vk_id=user if messenger == "vk" else None)
            if messenger == "max":
                await app.deps.people.bind_max(person.id, user)
        for side in (north, south):
            await (side.chat.control if isinstance(side, VkSide) else side.ctl).wait_listening()  # type: ignore[attr-defined]
        try:
            yield Region(app=app, messenger=messenger, north=north, south=south, settings=settings)
        finally:
            await app.close()
            await asyncio.gather(task, return_exceptions=True)


@pytest.fixture(params=MESSENGERS)
async def region(request: pytest.FixtureRequest, tmp_path: Path,
                 storage_override: dict[str, Any]) -> AsyncIterator[Region]:
    """Two bots of one messenger; both schools in the config, school 2 naming «south»."""
    async with _region(request.param, tmp_path, storage_override, south_in_table=False) as built:
        yield built


@pytest.fixture(params=MESSENGERS)
async def table_region(request: pytest.FixtureRequest, tmp_path: Path,
                       storage_override: dict[str, Any]) -> AsyncIterator[Region]:
    """Two bots of one messenger; school 2 from the table of schools, its bot column naming «south»."""
    async with _region(request.param, tmp_path, storage_override, south_in_table=True) as built:
        yield built


async def test_each_person_is_answered_by_the_bot_they_wrote_to(region: Region) -> None:
    """The same command to either bot gets its answer from that bot only."""
    north_id, south_id = IDS[region.messenger]
    assert "Нина Олеговна" in await region.south.ask(south_id, "мой статус")
    assert "Анна Петровна" in await region.north.ask(north_id, "мой статус")
    assert not any("Нина" in text for text in await region.north.texts(None))
    assert not any("Анна" in text for text in await region.south.texts(None))


async def test_reminders_go_through_the_schools_bot(region: Region) -> None:
    """School 2 names «south»: its teacher's reminder is sent by «south», and its outbox row says so;
    school 1 names none and is written to by the first bot."""
    await _reminders_through_each_schools_bot(region)


async def test_a_table_schools_reminders_go_through_the_bot_its_row_names(table_region: Region) -> None:
    """School 2 comes from the table (`import-schools`), its row naming «south»: routed as a config school is."""
    assert table_region.app.deps.settings.school("school2").model_dump()[PICK[table_region.messenger]] == "south"
    await _reminders_through_each_schools_bot(table_region)


async def _reminders_through_each_schools_bot(region: Region) -> None:
    app = region.app
    for (org, _), user, side in zip((NORTH, SOUTH), IDS[region.messenger], (region.north, region.south), strict=True):
        await side.ask(user, "мой статус")
        [person] = [p for p in await app.deps.people.in_org(org) if p.role is Role.TEACHER]
        await seed_stats(app.db, [(person.id, {"group_messages": 1, "calls": 1, "ejd_linked": True,
                                               "registered": True})], org_id=org)
        assert (await app.deps.reminders.run(org, now=MONDAY_10)).sent == 1
    north_id, south_id = IDS[region.messenger]
    assert (await region.south.texts(south_id))[-1].startswith("Нина Олеговна, добрый день!")
    assert (await region.north.texts(north_id))[-1].startswith("Анна Петровна, добрый день!")
    assert not any("Нина" in text for text in await region.north.texts(None))
    async with app.db.read() as conn, conn.execute(
            "SELECT org_id, messenger, bot FROM outbox WHERE kind = 'reminder' ORDER BY org_id") as cur:
        assert [tuple(r) for r in await cur.fetchall()] == [("school1", region.messenger, "north"),
                                                           ("school2", region.messenger, "south")]


async def test_readiness_checks_every_bots_token(region: Region) -> None:
    """/readyz checks the token of each bot, the further ones named; each is accepted by its emulator."""
    from bot.app import token_checks

    checks = token_checks(region.app)
    name = "ВКонтакте" if region.messenger == "vk" else "MAX"
    assert sorted(checks) == sorted([name, f"{name} «south»"])
    for check in checks.values():
        assert await check()


async def test_the_remind_command_builds_a_sender_for_every_bot(region: Region) -> None:
    """`sferum-bot remind` beside the running bot: one report per school, every bot's connections closed."""
    from bot.commands.remind import _run

    reports = await _run(region.settings, list(region.settings.schools))
    assert [r.org_id for r in reports] == ["school1", "school2"]


async def test_doctor_checks_each_bot_under_its_name(region: Region) -> None:
    """`sferum-bot doctor` has a section per community or bot, each checked with its own token and address."""
    from bot.commands.doctor import _check

    text, ok = await _check(region.settings, max_chats=[])
    name = "ВКонтакте" if region.messenger == "vk" else "MAX"
    assert f"{name} «north»" in text and f"{name} «south»" in text
    assert ok, text


@pytest.mark.parametrize("messenger", MESSENGERS)
async def test_a_school_whose_bot_was_removed_is_reported_and_gets_nothing_through_another_bot(
        messenger: str, tmp_path: Path, storage_override: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    """School 2's table row names «west», which the config no longer has: `run` warns once at start, `doctor`
    names the school and what to do, and its teacher's reminder fails saying why instead of going out
    through «north» or «south»."""
    caplog.set_level(logging.WARNING, logger="bot.missing_bots")
    async with _region(messenger, tmp_path, storage_override, south_in_table=True, table_bot="west") as region:
        app = region.app
        whom = "сообществу ВКонтакте" if messenger == "vk" else "боту MAX"
        problem = f"Школа «МБОУ СОШ № 2» (school2) привязана к {whom} «west», а его нет"
        warned = [r.getMessage() for r in caplog.records if problem in r.getMessage()]
        assert len(warned) == 1 and "есть: north, south" in warned[0] and "import-schools" in warned[0]
        from bot.commands.doctor import _check

        assert app.deployment is not None
        text, ok = await _check(app.deployment, max_chats=[])
        assert not ok and problem in text and "есть: north, south" in text and "import-schools" in text
        [person] = [p for p in await app.deps.people.in_org("school2") if p.role is Role.TEACHER]
        await seed_stats(app.db, [(person.id, {"group_messages": 1, "calls": 1, "ejd_linked": True,
                                               "registered": True})], org_id="school2")
        report = await app.deps.reminders.run("school2", now=MONDAY_10)
        assert (report.sent, report.failed) == (0, 1), report
        sent = [*await region.north.texts(None), *await region.south.texts(None)]
        assert not any("Нина" in text for text in sent), "school 2's reminder went through another bot"
        async with app.db.read() as conn, conn.execute("SELECT count(*) FROM outbox WHERE org_id = 'school2'") as cur:
            assert (await cur.fetchone() or (None,))[0] == 0
