"""Where the demo plays: the VK emulator or the MAX emulator, each with the bot and the demo school.

A `Stage` hides how each emulator is driven (VK peers and conversation message ids, MAX dialog
chat ids and callback payload strings), so the demo's steps are one list for both messengers.
What the bot sent is read back as `Said`: its text, files and buttons in neutral form.
`open_session` starts the VK emulator and the bot (the VK stage and the interactive demo use it).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.app import App, build_app
from bot.config import Settings, parse_settings
from bot.demo.fixture import DemoFixture, load_fixture
from bot.domain.models import Role
from bot.ratelimit import Backoff
from vk_emulator import Emulator
from vk_emulator.client import EmulatorControl

JSON = dict[str, Any]
# VK's attachment kinds in MAX's words: one vocabulary for the steps' expectations.
VK_KINDS = {"doc": "file", "photo": "image"}
MAX_BOT_ID = 9000
MAX_CHAT_BASE = -100


class DemoFailed(Exception):
    """A step's replies were missing or wrong."""


@dataclass
class Said:
    """A message the bot sent, as either messenger delivered it."""

    to: str  # the person's name or the chat's title
    text: str
    files: list[tuple[str, str]]  # (kind: "file" or "image", name)
    buttons: list[tuple[str, JSON]]  # (label, the raw button)
    raw: JSON = field(repr=False)

    def matchable(self) -> str:
        """Everything a step's expectation may look for: text, file kinds and names, button labels."""
        files = " ".join(f"{kind} {name}" for kind, name in self.files)
        return f"{self.text} {files} {' '.join(label for label, _ in self.buttons)}"


class Running:
    """A demo emulator with the bot running against it; `stop()` shuts them down in order."""

    def __init__(self, fixture: DemoFixture, emulator: Any, control: Any, app: App,
                 task: asyncio.Task[None]) -> None:
        self.fixture = fixture
        self.emulator = emulator
        self.control = control
        self.app = app
        self.task = task

    async def stop(self) -> None:
        await self.app.close()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.control.close()
        await self.emulator.stop()


class Stage:
    """One messenger's emulator with the bot running against it."""

    messenger: str
    title: str
    app: App
    fixture: DemoFixture

    async def mark(self, key: int | None, chat: int | None) -> int:
        """Where the messages to person `key` (or into group chat number `chat`) end now."""
        raise NotImplementedError

    async def wait(self, key: int | None, chat: int | None, count: int, after: int) -> list[Said]:
        """The next `count` messages to that person or chat after `after` (TimeoutError if they do not come)."""
        raise NotImplementedError

    async def say(self, key: int, text: str, *, chat: int | None = None,
                  doc: tuple[str, bytes] | None = None) -> None:
        raise NotImplementedError

    async def press(self, key: int, message: Said, label: str) -> None:
        """Press the first button of `message` whose label contains `label`."""
        raise NotImplementedError

    async def add_chat(self, number: int, title: str, members: list[int]) -> str:
        """A group chat with the bot in it as an admin that reads every message; what happened, in Russian."""
        raise NotImplementedError

    async def delivered(self) -> int:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    def button(self, message: Said, label: str) -> JSON:
        for text, raw in message.buttons:
            if label.lower() in text.lower():
                return raw
        raise DemoFailed(f"нет кнопки «{label}»")

    def name(self, key: int) -> str:
        return next((p.full_name for p in self.fixture.people if p.vk_id == key), f"id{key}")


def school_settings(fixture: DemoFixture, data_dir: Path, *, vk: JSON | None = None, max_: JSON | None = None,
                    **ids: Any) -> Settings:
    """Settings of the demo school for one messenger (`vk` or `max_` table), its director and deputies."""
    school = fixture.school
    data: JSON = {
        "schools": [{
            "id": school.id, "name": school.name, "timezone": school.timezone,
            "registration_deadline": school.registration_deadline,
            "schedule": {"quiet_hours": {"start": "00:00", "end": "00:00", "weekends": False}},
            **ids,
        }],
    }
    if vk is not None:
        data["vk"] = vk
    if max_ is not None:
        # VK's address points at a closed port: a school configured only with [max] never calls it.
        data.update({"max": max_, "vk": {"api_url": "http://127.0.0.1:9/method/"}})
    return parse_settings(data, data_dir)


def demo_settings(fixture: DemoFixture, api_url: str, data_dir: Path) -> Settings:
    """Settings of the demo school, pointed at the emulator."""
    school = fixture.school
    deputies = [p.vk_id for p in fixture.by_role(Role.DEPUTY)]
    directors = [p.vk_id for p in fixture.by_role(Role.DIRECTOR)]
    return parse_settings(
        {
            "vk": {"token": fixture.token, "group_id": fixture.group_id, "api_url": api_url, "wait": 5},
            "schools": [{
                "id": school.id, "name": school.name, "timezone": school.timezone,
                "director_vk_id": directors[0], "deputy_vk_ids": deputies,
                "registration_deadline": school.registration_deadline,
                "schedule": {"quiet_hours": {"start": "00:00", "end": "00:00", "weekends": False}},
            }],
        },
        data_dir,
    )


class DemoSession(Running):
    """The VK emulator, the bot and a way to act as any demo person."""

    emulator: Emulator
    control: EmulatorControl

    def __init__(self, fixture: DemoFixture, emulator: Emulator, control: EmulatorControl, app: App,
                 task: asyncio.Task[None]) -> None:
        super().__init__(fixture, emulator, control, app, task)
        self.last: dict[int, JSON] = {}

    async def close(self) -> None:
        await self.stop()


async def open_session(data_dir: Path, fixture: DemoFixture | None = None) -> DemoSession:
    """Start the emulator with the demo people and the bot with the demo school."""
    fixture = fixture or load_fixture()
    emulator = Emulator(token=fixture.token, group_id=fixture.group_id, strict=True)
    await emulator.start(host="127.0.0.1", port=0)
    emulator.seed_users(fixture.emulator_users())
    settings = demo_settings(fixture, emulator.api_url, data_dir)
    app = await build_app(settings, api_url=emulator.api_url, backoff=Backoff(base=0.1, cap=2))
    task = asyncio.create_task(app.run())
    control = EmulatorControl(emulator.base_url)
    await control.wait_listening()
    return DemoSession(fixture, emulator, control, app, task)


class VkStage(Stage):
    """The VK emulator (strict, schema-checked) and the bot polling it."""

    messenger = "vk"
    title = "ВКонтакте"

    def __init__(self, session: DemoSession) -> None:
        self.session = session
        self.app = session.app
        self.fixture = session.fixture
        self._names = {p.vk_id: p.full_name for p in self.fixture.people}
        self._chats: dict[int, str] = {}

    @staticmethod
    def peer(key: int | None, chat: int | None) -> int:
        return 2_000_000_000 + chat if chat is not None else int(key or 0)

    async def mark(self, key: int | None, chat: int | None) -> int:
        items = (await self.session.control.sent(self.peer(key, chat)))["items"]
        return int(items[-1]["seq"]) if items else 0

    async def wait(self, key: int | None, chat: int | None, count: int, after: int) -> list[Said]:
        items = await self.session.control.wait_sent(self.peer(key, chat), count, after=after, timeout=15)
        return [self._said(item) for item in items]

    def _said(self, item: JSON) -> Said:
        peer = int(item["peer_id"])
        to = self._chats.get(peer) or self._names.get(peer, f"id{peer}")
        files = [(VK_KINDS.get(a.get("type", ""), a.get("type", "")), str(a.get("title") or a.get("url") or ""))
                 for a in item.get("attachments") or []]
        buttons = [(str(b["action"].get("label", "")), b["action"])
                   for row in (item.get("keyboard") or {}).get("buttons", []) for b in row
                   if b["action"].get("label")]
        return Said(to=to, text=str(item.get("text") or ""), files=files, buttons=buttons, raw=item)

    async def say(self, key: int, text: str, *, chat: int | None = None,
                  doc: tuple[str, bytes] | None = None) -> None:
        peer = None if chat is None else self.peer(None, chat)
        await self.session.control.say(key, text, peer_id=peer, docs=[doc] if doc else None)

    async def press(self, key: int, message: Said, label: str) -> None:
        action = self.button(message, label)
        payload = action.get("payload")
        data: JSON = json.loads(payload) if isinstance(payload, str) else (payload or {})
        if action["type"] == "callback":
            await self.session.control.press(key, int(message.raw["conversation_message_id"]), data,
                                             peer_id=int(message.raw["peer_id"]))
        else:
            await self.session.control.say(key, str(action.get("label", "")), payload=data)

    async def add_chat(self, number: int, title: str, members: list[int]) -> str:
        await self.session.control.add_chat(number, title, members, bot_is_admin=True)
        self._chats[self.peer(None, number)] = title
        return f"создан чат «{title}», сообщество добавлено в него администратором"

    async def delivered(self) -> int:
        return int((await self.session.control.stats())["delivered"])

    async def close(self) -> None:
        await self.session.close()


async def open_vk(data_dir: Path, fixture: DemoFixture) -> VkStage:
    """The VK emulator with the demo people and the bot with the demo school."""
    return VkStage(await open_session(data_dir, fixture))


class MaxStage(Stage, Running):
    """The MAX emulator (schema-checked, MAX's limits on) and the bot polling it; a school with only [max].

    The demo people keep their numbers as MAX user ids; who allows messages in VK has pressed Start in MAX."""

    messenger = "max"
    title = "MAX"

    def __init__(self, fixture: DemoFixture, emulator: Any, control: Any, app: App,
                 task: asyncio.Task[None]) -> None:
        Running.__init__(self, fixture, emulator, control, app, task)
        self._names = {p.vk_id: p.full_name for p in fixture.people}
        self._chats: dict[int, str] = {}

    def chat_id(self, key: int | None, chat: int | None) -> int:
        if chat is not None:
            return MAX_CHAT_BASE - chat
        user = self.emulator.state.users[int(key or 0)]
        return int(user.dialog_id)

    async def mark(self, key: int | None, chat: int | None) -> int:
        items = await self.control.sent(self.chat_id(key, chat))
        return int(items[-1]["seq"]) if items else 0

    async def wait(self, key: int | None, chat: int | None, count: int, after: int) -> list[Said]:
        items = await self.control.wait_sent(self.chat_id(key, chat), count, after=after, timeout=15)
        return [self._said(item) for item in items]

    def _said(self, item: JSON) -> Said:
        chat_id = int(item["chat_id"])
        to = self._chats.get(chat_id) or next(
            (name for key, name in self._names.items() if key in self.emulator.state.users
             and self.emulator.state.users[key].dialog_id == chat_id), f"чат {chat_id}")
        files = [(str(a.get("type", "")), str(a.get("filename") or a.get("url") or ""))
                 for a in item.get("attachments") or []]
        buttons = [(str(b.get("text", "")), b) for row in item.get("keyboard") or [] for b in row]
        return Said(to=to, text=str(item.get("text") or ""), files=files, buttons=buttons, raw=item)

    async def say(self, key: int, text: str, *, chat: int | None = None,
                  doc: tuple[str, bytes] | None = None) -> None:
        chat_id = None if chat is None else self.chat_id(None, chat)
        await self.control.say(key, text, chat_id=chat_id, files=[doc] if doc else None)

    async def press(self, key: int, message: Said, label: str) -> None:
        button = self.button(message, label)
        if button.get("type") == "callback":
            await self.control.press(key, str(message.raw["mid"]), str(button.get("payload") or ""))
        else:
            # A `message` button sends its text as the person.
            await self.control.say(key, str(button.get("text", "")))

    async def add_chat(self, number: int, title: str, members: list[int]) -> str:
        chat_id = self.chat_id(None, number)
        await self.control.add_chat(chat_id, title, members, bot_is_admin=True, bot_reads_all=True)
        self._chats[chat_id] = title
        return f"создан чат «{title}», бот добавлен в него администратором с правом «Читать все сообщения»"

    async def delivered(self) -> int:
        return int((await self.control.stats())["delivered"])

    async def close(self) -> None:
        await self.stop()
        # Whatever the bot sent in MAX was valid for the official schema.
        if self.emulator.state.schema_violations:
            raise DemoFailed(f"бот отправил в MAX то, чего нет в схеме: {self.emulator.state.schema_violations[0]}")


async def open_max(data_dir: Path, fixture: DemoFixture) -> MaxStage:
    """The MAX emulator with the demo people and the bot with the demo school, configured only with [max]."""
    from max_emulator import MaxEmulator

    emulator = MaxEmulator(token=fixture.token, bot_id=MAX_BOT_ID, seed=1)
    await emulator.start()
    try:
        emulator.seed_users(fixture.max_emulator_users())
        director = fixture.by_role(Role.DIRECTOR)[0].vk_id
        deputies = [p.vk_id for p in fixture.by_role(Role.DEPUTY)]
        # A school in MAX only: its director and deputy by their MAX ids, whom the roster's MAX column finds.
        settings = school_settings(
            fixture, data_dir, max_={"token": fixture.token, "api_url": emulator.base_url},
            director_max_id=director, deputy_max_ids=deputies)
        app = await build_app(settings, backoff=Backoff(base=0.1, cap=2))
    except BaseException:
        await emulator.stop()
        raise
    task = asyncio.create_task(app.run())
    control = emulator.control()
    await control.wait_listening()
    return MaxStage(fixture, emulator, control, app, task)
