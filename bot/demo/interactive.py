"""`sferum-bot demo --interactive`: chat with the bot as any demo person, in the terminal."""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
from pathlib import Path
from typing import Any, TextIO

from bot.app import App
from bot.demo.fixture import DemoFixture
from bot.demo.runner import Transcript
from bot.demo.stages import DemoSession, open_session
from bot.domain.models import Role
from bot.messaging.events import Identity, Messenger

HELP = """Команды:
  /as deputy | director | teacher | <VK id>  — от чьего имени писать
  /who                                       — список демо-сотрудников
  /file ПУТЬ                                 — отправить файл (например, таблицу)
  1, 2, …                                    — нажать кнопку с этим номером
  /quit                                      — выйти
Всё остальное уходит боту как сообщение."""


def _buttons(message: dict[str, object] | None) -> list[dict[str, object]]:
    keyboard = (message or {}).get("keyboard") or {}
    assert isinstance(keyboard, dict)
    return [b["action"] for row in keyboard.get("buttons", []) for b in row]


class _Feed:
    """Prints every message the bot sends, to anyone, as it arrives: follow-ups that come later
    (an invitation after a list, a question passed on to the deputy) are shown too."""

    # How long one server-side wait for new messages lasts before asking again.
    POLL_S = 20.0

    def __init__(self, session: DemoSession, transcript: Transcript, out: TextIO) -> None:
        self._session = session
        self._transcript = transcript
        self._out = out
        self.after = 0
        self.prompt = ""
        self._arrived = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Skip what was sent before the conversation and start watching."""
        items = (await self._session.control.sent(None))["items"]
        self.after = max((int(m["seq"]) for m in items), default=0)
        self._task = asyncio.create_task(self._watch())

    async def stop(self) -> None:
        """Stop watching."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _watch(self) -> None:
        while True:
            try:
                items = await self._session.control.wait_sent(None, 1, after=self.after, timeout=self.POLL_S)
            except TimeoutError:
                continue
            if self.prompt:
                print(file=self._out, flush=True)
            for item in items:
                self.after = max(self.after, int(item["seq"]))
                self._transcript.bot(item)
                self._session.last[int(item["peer_id"])] = item
                for number, action in enumerate(_buttons(item), 1):
                    self._transcript.line(f"      {number}. {action.get('label')}")
            if self.prompt:
                print(self.prompt, end="", file=self._out, flush=True)
            self._arrived.set()

    async def wait_reply(self, after: int, timeout: float) -> bool:  # noqa: ASYNC109 - a bound, not a sleep
        """Whether anything was sent after `after` within `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.after <= after:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self._arrived.clear()
            if self.after > after:
                break
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                return False
        return True


async def _load_school(app: App, fixture: DemoFixture) -> None:
    """The roster and two weeks of statistics, as the deputy would send them, so every role can try everything."""
    vk_id = fixture.by_role(Role.DEPUTY)[0].vk_id
    deputy = Identity(messenger=Messenger.VK, external_id=vk_id) if vk_id is not None else None
    imports = app.deps.imports
    await imports.import_file(fixture.roster_csv(), "сотрудники.csv", kind="roster", imported_by=deputy)
    for week in (0, 1):
        await imports.import_file(fixture.stats_csv(week), f"мониторинг-{week}.csv", kind="stats",
                                  imported_by=deputy)


async def run_interactive(stdin: TextIO, out: TextIO) -> int:
    """A read-eval-print loop over the demo session."""
    with tempfile.TemporaryDirectory(prefix="sferum-demo-") as tmp:
        session = await open_session(Path(tmp))
        fixture = session.fixture
        transcript = Transcript(fixture, out)
        await _load_school(session.app, fixture)
        roles = {"deputy": Role.DEPUTY, "director": Role.DIRECTOR, "teacher": Role.TEACHER}
        me = fixture.by_role(Role.TEACHER)[0].vk_id
        transcript.line(HELP)
        transcript.line(f"Вы пишете как {transcript.name(me)}.")
        loop = asyncio.get_running_loop()
        feed = _Feed(session, transcript, out)
        await feed.start()
        try:
            while True:
                feed.prompt = f"[{transcript.name(me)}] > "
                print(feed.prompt, end="", file=out, flush=True)
                line = (await loop.run_in_executor(None, stdin.readline))
                feed.prompt = ""
                if not line:
                    break
                line = line.strip()
                if not line:
                    continue
                if line in ("/quit", "/exit"):
                    break
                if line == "/who":
                    for p in fixture.people:
                        transcript.line(f"  {p.vk_id}: {p.full_name} ({p.role.label})")
                    continue
                if line.startswith("/as "):
                    arg = line[4:].strip()
                    if arg in roles:
                        me = fixture.by_role(roles[arg])[0].vk_id
                    elif arg.isdigit() and any(p.vk_id == int(arg) for p in fixture.people):
                        me = int(arg)
                    else:
                        transcript.line("Нет такого человека; список — /who")
                        continue
                    transcript.line(f"Теперь вы — {transcript.name(me)}.")
                    continue
                after = feed.after
                if line.isdigit():
                    actions = _buttons(session.last.get(me))
                    index = int(line) - 1
                    if not 0 <= index < len(actions):
                        transcript.line("Нет кнопки с таким номером.")
                        continue
                    action = actions[index]
                    message = session.last[me]
                    payload = action.get("payload")


                    data: dict[str, Any] = json.loads(payload) if isinstance(payload, str) else dict(payload or {})  # type: ignore[call-overload]
                    if action.get("type") == "callback":
                        await session.control.press(me, int(message["conversation_message_id"]), data,
                                                    peer_id=int(message["peer_id"]))
                    else:
                        await session.control.say(me, str(action.get("label", "")), payload=data)
                elif line.startswith("/file "):
                    path = Path(line[6:].strip()).expanduser()
                    if not path.is_file():
                        transcript.line(f"Файла {path} нет.")
                        continue
                    await session.control.say(me, "", docs=[(path.name, path.read_bytes())])
                else:
                    await session.control.say(me, line)
                if not await feed.wait_reply(after, timeout=10):
                    transcript.line("(бот ничего не ответил)")
        finally:
            await feed.stop()
            await session.close()
    return 0
