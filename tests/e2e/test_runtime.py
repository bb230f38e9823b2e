"""The hardened transport end to end: a crash before the reply, VK down at start."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.config import Settings
from bot.domain.models import Person
from bot.ratelimit import Backoff
from bot.services.my_status import StatusSection
from bot.vk.communities import HANDLER_FAILED
from tests.e2e.conftest import seed_people, start_app
from tests.e2e.harness import Chat
from vk_emulator import Emulator
from vk_emulator.client import EmulatorControl


async def test_reply_comes_after_a_crash_between_receiving_and_replying(
    e2e_settings: Settings, emulator: Emulator, control: EmulatorControl,
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    """The bot dies while handling a question; after the restart the answer is sent."""
    monkeypatch.chdir(tmp_path)
    app, task = await start_app(e2e_settings, emulator)
    await seed_people(app, control)
    entered = asyncio.Event()

    async def stuck(person: Person, now: dt.datetime) -> StatusSection | None:
        entered.set()
        await asyncio.Event().wait()  # never returns: the process "dies" here
        return None

    app.deps.my_status.register(stuck)
    await control.wait_listening()
    await control.say(2001, "мой статус")
    await entered.wait()
    await app.close(drain=False)  # a crash: nothing is finished, nothing answered
    await asyncio.gather(task, return_exceptions=True)
    assert (await control.sent(2001))["items"] == []

    app2, task2 = await start_app(e2e_settings, emulator)
    try:
        replies = await control.wait_sent(2001, 1)
        assert "ваш статус" in replies[0]["text"]
        assert await app2.deps.db.version() > 0
    finally:
        await app2.close()
        await asyncio.gather(task2, return_exceptions=True)
    assert len((await control.sent(2001))["items"]) == 1


async def test_start_while_vk_is_down_retries_with_backoff(
    e2e_settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    """With VK unreachable the bot waits and retries instead of crashing, then works."""
    monkeypatch.chdir(tmp_path)
    emu = Emulator(token="t", group_id=1, strict=True)
    await emu.start(host="127.0.0.1", port=0)
    port = int(emu.base_url.rsplit(":", 1)[1])
    await emu.stop()
    delays: list[float] = []
    restarted = Emulator(token="t", group_id=1, strict=True)
    up = asyncio.Event()

    async def fake_sleep(delay: float) -> None:
        delays.append(delay)
        if len(delays) == 2:
            await restarted.start(host="127.0.0.1", port=port)
            up.set()

    app = await build_app(e2e_settings, api_url=f"http://127.0.0.1:{port}/method/",
                          backoff=Backoff(base=0.05, cap=1))
    app.poller.sleep = fake_sleep
    task = asyncio.create_task(app.run())
    try:
        await up.wait()
        async with EmulatorControl(f"http://127.0.0.1:{port}") as ctl:
            await ctl.wait_listening()
            await ctl.add_user(2001, "Анна", "Иванова", allows_messages=True)
            await ctl.say(2001, "привет")
            replies = await ctl.wait_sent(2001, 1)
        assert "фамилию" in replies[0]["text"]
        assert delays[:2] == [0.05, 0.1]
    finally:
        await app.close()
        await asyncio.gather(task, return_exceptions=True)
        await restarted.stop()


async def test_long_poll_failures_are_survived(chat: Chat, control: EmulatorControl) -> None:
    """failed 1, 2 and 3 from the long poll: the bot reconnects and keeps answering."""
    await control.faults(longpoll_failed=[1, 2, 3])
    replies = await chat.say(2001, "мой статус")
    assert "ваш статус" in replies[-1]["text"]


async def test_a_failed_handler_still_answers(chat: Chat, bot_app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in a handler: the person is told something went wrong, not left in silence."""
    async def broken(person: object) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(bot_app.deps.my_status, "render", broken)
    replies = await chat.say(2001, "мой статус")
    assert replies[-1]["text"] == HANDLER_FAILED
