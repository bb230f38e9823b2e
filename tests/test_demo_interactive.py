"""`demo --interactive` shows everything the bot sends: to other people, and follow-ups that come later."""

from __future__ import annotations

import asyncio
import io
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import bot.demo.interactive as interactive
from bot.demo.fixture import load_fixture
from bot.domain.models import Role

BOUND_S = 60.0
LATE = "Это сообщение пришло позже остальных"


class _Output(io.StringIO):
    """The transcript; a reader can wait until a text appears in it."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = threading.Condition()

    def write(self, text: str) -> int:
        with self.changed:
            written = super().write(text)
            self.changed.notify_all()
        return written

    def wait_for(self, pattern: str) -> str:
        """The output once `pattern` (a regex) is in it; AssertionError after BOUND_S."""
        with self.changed:
            if not self.changed.wait_for(lambda: re.search(pattern, self.getvalue()), BOUND_S):
                raise AssertionError(f"no {pattern!r} in:\n{self.getvalue()}")
            return self.getvalue()


class _Script(io.StringIO):
    """Typed lines, each once the transcript shows what the person waits for."""

    def __init__(self, out: _Output, steps: list[tuple[str, Callable[[str], str]]]) -> None:
        super().__init__()
        self._out = out
        self._steps = list(steps)

    def readline(self, size: int | None = -1) -> str:
        if not self._steps:
            return ""
        pattern, line = self._steps.pop(0)
        return line(self._out.wait_for(pattern)) + "\n"


async def test_interactive_shows_messages_to_others_and_late_follow_ups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A question passed on reaches the deputy on screen, and a message sent later still appears."""
    monkeypatch.chdir(tmp_path)
    fixture = load_fixture()
    teacher = fixture.by_role(Role.TEACHER)[0]
    deputy = fixture.by_role(Role.DEPUTY)[0]
    sessions: list[Any] = []
    opened = interactive.open_session

    async def capture(data_dir: Path) -> Any:
        session = await opened(data_dir)
        sessions.append(session)
        return session

    monkeypatch.setattr(interactive, "open_session", capture)
    loop = asyncio.get_running_loop()

    def press(label: str) -> Callable[[str], str]:
        def number(text: str) -> str:
            return re.findall(rf"(\d+)\. {label}", text)[-1]

        return number

    def send_late(_text: str) -> str:
        # The community writes to the teacher long after her last message was answered.
        api = sessions[0].app.api
        future = asyncio.run_coroutine_threadsafe(
            api.request(
                "messages.send", {"peer_id": teacher.vk_id, "random_id": 77, "message": LATE}
            ),
            loop,
        )
        future.result(BOUND_S)
        return "/who"

    out = _Output()
    script = _Script(
        out,
        [
            ("Вы пишете как", lambda _t: "во сколько педсовет в среду?"),
            (r"\d+\. Передать", press("Передать")),
            (rf"🤖 → {deputy.full_name}", send_late),
            (LATE, lambda _t: "/quit"),
        ],
    )
    assert await interactive.run_interactive(script, out) == 0
    text = out.getvalue()
    assert f"🤖 → {deputy.full_name}" in text  # the question, passed on to someone else
    assert f"🤖 → {teacher.full_name}:\n      {LATE}" in text  # a follow-up that came later
