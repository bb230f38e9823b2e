"""`sferum-bot demo --interactive`: chat with the bot as any demo person, in the terminal."""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any, TextIO

from bot.app import App
from bot.demo.fixture import DemoFixture
from bot.demo.runner import Transcript, open_session
from bot.domain.models import Role

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


async def _load_school(app: App, fixture: DemoFixture) -> None:
    """The roster and two weeks of statistics, as the deputy would send them, so every role can try everything."""
    deputy = fixture.by_role(Role.DEPUTY)[0].vk_id
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
        try:
            while True:
                print(f"[{transcript.name(me)}] > ", end="", file=out, flush=True)
                line = (await loop.run_in_executor(None, stdin.readline))
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
                after = await session.last_seq(me)
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
                try:
                    replies = await session.control.wait_sent(me, 1, after=after, timeout=10)
                except TimeoutError:
                    transcript.line("(бот ничего не ответил)")
                    continue
                for reply in replies:
                    transcript.bot(reply)
                    session.last[me] = reply
                    for number, action in enumerate(_buttons(reply), 1):
                        transcript.line(f"      {number}. {action.get('label')}")
        finally:
            await session.close()
    return 0
