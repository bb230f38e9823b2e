"""Runs the demo: the emulator, the demo school and the bot in one process.

A scripted conversation plays every feature; each step's replies are read back
from what the emulator recorded and checked, and printed as a chat transcript.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from bot.app import App, build_app
from bot.config import Settings, parse_settings
from bot.demo.fixture import DemoFixture, load_fixture
from bot.domain.models import Role
from bot.ratelimit import Backoff
from vk_emulator import Emulator
from vk_emulator.client import EmulatorControl

JSON = dict[str, Any]


@dataclass
class Step:
    """One move in the demo: someone writes, presses a button or sends a file."""

    actor: int
    title: str
    text: str = ""
    payload: JSON | None = None
    press: str | None = None  # a button label (part) on the last message the actor got
    doc: tuple[str, bytes] | None = None
    expect: list[str] = field(default_factory=list)  # substrings of the replies, in any of them
    replies: int = 1
    to: int | None = None  # whose messages to wait for (default: the actor)
    before: Callable[[App], Awaitable[str | None]] | None = None  # runs a service instead of chatting
    peer: int | None = None  # a group chat to write in (default: a private message to the community)
    chat: tuple[int, str, list[int]] | None = None  # (chat id, title, members): the chat is created first
    text_from: Callable[[str], str] | None = None  # the text, made from the bot's last message to the actor


class DemoFailed(Exception):
    """A step's replies were missing or wrong."""


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


class Transcript:
    """Prints the conversation as people would read it."""

    def __init__(self, fixture: DemoFixture, out: TextIO) -> None:
        self._names = {p.vk_id: p.full_name for p in fixture.people}
        self._out = out

    def name(self, vk_id: int) -> str:
        return self._names.get(vk_id, f"id{vk_id}")

    def line(self, text: str = "") -> None:
        print(text, file=self._out, flush=True)

    def person(self, vk_id: int, what: str) -> None:
        self.line(f"  👤 {self.name(vk_id)}: {what}")

    def bot(self, message: JSON) -> None:
        to = self.name(int(message["peer_id"]))
        text = str(message.get("text") or "").strip()
        indent = "\n" + " " * 6
        self.line(f"  🤖 → {to}:{indent}" + indent.join(text.splitlines() or [""]))
        for attachment in message.get("attachments") or []:
            self.line(f"      📎 {attachment.get('type')}: {attachment.get('title') or attachment.get('url')}")
        labels = [b["action"].get("label") for row in (message.get("keyboard") or {}).get("buttons", [])
                  for b in row if b["action"].get("label")]
        if labels:
            self.line("      [" + "] [".join(labels) + "]")


def find_button(message: JSON, label: str) -> JSON:
    """The payload of the first button whose label contains `label`."""
    for row in (message.get("keyboard") or {}).get("buttons", []):
        for button in row:
            action = button["action"]
            if label.lower() in str(action.get("label", "")).lower():
                payload = action.get("payload")
                data: JSON = json.loads(payload) if isinstance(payload, str) else (payload or {})
                return {"type": action["type"], "payload": data}
    raise DemoFailed(f"нет кнопки «{label}»")


class DemoSession:
    """The emulator, the bot and a way to act as any demo person."""

    def __init__(self, fixture: DemoFixture, emulator: Emulator, control: EmulatorControl, app: App,
                 task: asyncio.Task[None]) -> None:
        self.fixture = fixture
        self.emulator = emulator
        self.control = control
        self.app = app
        self.task = task
        self.last: dict[int, JSON] = {}

    async def last_seq(self, peer: int) -> int:
        items = (await self.control.sent(peer))["items"]
        return int(items[-1]["seq"]) if items else 0

    async def act(self, step: Step, transcript: Transcript) -> list[JSON]:
        """Perform a step and return the bot's replies to the watched peer."""
        target = step.to or step.actor
        after = await self.last_seq(target)
        if step.chat is not None:
            chat_id, title, members = step.chat
            await self.control.add_chat(chat_id, title, members, bot_is_admin=True)
            transcript.line(f"  ⚙ создан чат «{title}», сообщество добавлено в него администратором")
        if step.before is not None:
            note = await step.before(self.app)
            if note:
                transcript.line(f"  ⚙ {note}")
        elif step.press is not None:
            message = self.last.get(step.actor)
            if message is None:
                raise DemoFailed("нет сообщения с кнопками")
            button = find_button(message, step.press)
            transcript.person(step.actor, f"нажимает «{step.press}»")
            if button["type"] == "callback":
                await self.control.press(step.actor, int(message["conversation_message_id"]),
                                         button["payload"], peer_id=int(message["peer_id"]))
            else:
                await self.control.say(step.actor, step.press, payload=button["payload"])
        else:
            if step.text_from is not None:
                last = self.last.get(step.actor)
                step = replace(step, text=step.text_from(str(last.get("text", "")) if last else ""))
            shown = step.text or (f"📎 {step.doc[0]}" if step.doc else "")
            if step.payload and not step.text:
                shown = f"[{step.payload.get('cmd')}]"
            transcript.person(step.actor, shown if step.peer is None else f"(в групповом чате) {shown}")
            await self.control.say(step.actor, step.text, payload=step.payload, peer_id=step.peer,
                                   docs=[step.doc] if step.doc else None)
        if step.replies == 0:
            return []
        replies = await self.control.wait_sent(target, step.replies, after=after, timeout=15)
        for reply in replies:
            transcript.bot(reply)
            self.last[int(reply["peer_id"])] = reply
        return replies

    async def close(self) -> None:
        await self.app.close()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.control.close()
        await self.emulator.stop()


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


async def play(steps: list[Step], session: DemoSession, transcript: Transcript) -> int:
    """Play every step; returns the number of failed steps."""
    failed = 0
    for number, step in enumerate(steps, 1):
        transcript.line(f"\n— {number}. {step.title}")
        try:
            replies = await session.act(step, transcript)
        except (TimeoutError, DemoFailed) as exc:
            transcript.line(f"  ✗ нет нужного ответа: {exc}")
            failed += 1
            continue
        text = "\n".join(str(r.get("text", "")) + " " + json.dumps(r.get("attachments") or [], ensure_ascii=False)
                         + " " + json.dumps(r.get("keyboard") or {}, ensure_ascii=False) for r in replies)
        missing = [e for e in step.expect if e.lower() not in text.lower()]
        if missing:
            transcript.line(f"  ✗ в ответе нет: {', '.join(missing)}")
            failed += 1
    return failed


async def run_demo(out: TextIO, steps_factory: Callable[[DemoFixture], list[Step]] | None = None) -> int:
    """The scripted demo; exit code 0 when every step got its expected reply."""
    from bot.demo.script import demo_steps

    started = time.monotonic()
    fixture = load_fixture()
    transcript = Transcript(fixture, out)
    transcript.line(f"Демо sferum-bot: {fixture.school.name}, эмулятор ВКонтакте на 127.0.0.1")
    with tempfile.TemporaryDirectory(prefix="sferum-demo-") as tmp:
        session = await open_session(Path(tmp), fixture)
        try:
            steps = (steps_factory or demo_steps)(fixture)
            failed = await play(steps, session, transcript)
            stats = await session.control.stats()
        finally:
            await session.close()
    elapsed = time.monotonic() - started
    transcript.line(f"\nШагов: {len(steps)}, с ошибкой: {failed}. Сообщений доставлено: {stats['delivered']}. "
                    f"Время: {elapsed:.1f} с.")
    return 0 if failed == 0 else 1
