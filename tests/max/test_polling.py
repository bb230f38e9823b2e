"""Long polling in MAX: the webhook subscription removed first, the marker kept across a restart."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from bot.config import Settings
from bot.max.polling import MARKER_KEY, MaxPoller, event_id
from max_emulator import MaxEmulator
from max_emulator.client import MaxEmulatorControl
from storage.db import Database
from storage.runtime import InboxRepo
from tests.max.conftest import DIRECTOR, TOKEN, start_max_app, stop_app


async def test_polling_resumes_from_the_stored_marker(max_settings: Settings, max_emu: MaxEmulator,
                                                      max_ctl: MaxEmulatorControl) -> None:
    """A subscription is removed before polling; after a restart the bot answers what came while it was
    down, and nothing twice."""
    async with aiohttp.ClientSession(headers={"Authorization": TOKEN}) as http:
        async with http.post(f"{max_emu.base_url}/subscriptions",
                             json={"url": "https://127.0.0.1/hook", "secret": "secret1"}) as response:
            assert response.status == 200
        app, task = await start_max_app(max_settings, max_ctl)
        async with http.get(f"{max_emu.base_url}/subscriptions") as response:
            assert (await response.json())["subscriptions"] == []
    said = await max_ctl.say(DIRECTOR, "привет")
    [first] = await max_ctl.wait_sent(said["chat_id"], 1)
    marker = await InboxRepo(app.db).get_value(MARKER_KEY)
    await stop_app(app, task)
    assert marker is not None

    await max_ctl.say(DIRECTOR, "сводка")  # while the bot is down
    app, task = await start_max_app(max_settings, max_ctl)
    try:
        [summary] = await max_ctl.wait_sent(said["chat_id"], 1, after=first["seq"])
        assert summary["text"].startswith("Сводка:")
        await max_ctl.say(DIRECTOR, "ещё раз привет")
        [last] = await max_ctl.wait_sent(said["chat_id"], 1, after=summary["seq"])
        # Handled in order: a replayed «привет» would have been answered before the summary.
        assert [m["seq"] for m in await max_ctl.sent(said["chat_id"])] == [first["seq"], summary["seq"], last["seq"]]
        assert int(await InboxRepo(app.db).get_value(MARKER_KEY) or 0) > int(marker)
    finally:
        await stop_app(app, task)


def test_event_id_is_stable_and_distinct() -> None:
    """An update's id is the same on a replay and differs for another update (MAX gives none)."""
    update = {"update_type": "bot_started", "timestamp": 1, "chat_id": 5, "user": {"user_id": 7}}
    assert event_id(update) == event_id(dict(reversed(list(update.items()))))
    assert event_id(update) != event_id({**update, "timestamp": 2}) and event_id(update).startswith("max:")


async def test_a_stop_mid_update_finishes_it_and_it_is_not_handled_again(db: Database) -> None:
    """Polling cancelled while an update is being handled (its answer may already be out): the update is
    still finished and marked handled, so a restart does not handle it, and answer it, a second time."""
    inbox = InboxRepo(db)
    update = {"update_type": "message_created", "timestamp": 1, "message": {"sender": {"user_id": 5}}}
    await inbox.store([(event_id(update), "message_created", "max:5", update)], "2", ts_key=MARKER_KEY)
    inside, release = asyncio.Event(), asyncio.Event()
    handled: list[dict[str, Any]] = []

    async def handle(body: dict[str, Any]) -> None:
        inside.set()
        await release.wait()  # the answer is out; the handler is still finishing
        handled.append(body)

    poller = MaxPoller(client=None, inbox=inbox, handle=handle)  # type: ignore[arg-type] - never polls here
    polling = asyncio.create_task(poller.drain_inbox())
    await inside.wait()
    polling.cancel()  # what App.stop() does to the polling task
    await asyncio.gather(polling, return_exceptions=True)
    release.set()
    await poller.settle()
    assert handled == [update] and poller.handled == 1
    assert await inbox.pending(prefix="max:") == []
