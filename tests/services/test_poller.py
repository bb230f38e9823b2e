"""The inbox poller on fakes: replays are handled once, one user's events in order."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.vk.runtime import InboxPoller, order_key
from storage.db import Database
from storage.runtime import InboxRepo


def _update(event_id: str, user: int, text: str) -> dict[str, Any]:
    return {"type": "message_new", "event_id": event_id,
            "object": {"message": {"from_id": user, "peer_id": user, "text": text}}}


async def _noop_answer(obj: dict[str, Any], text: str | None) -> None:
    return None


async def test_same_event_id_is_handled_once(db: Database) -> None:
    """An update replayed after a reconnect (same event_id) does not reach the handlers again."""
    inbox = InboxRepo(db)
    first = await inbox.store([("e1", "message_new", "user:1", _update("e1", 1, "a"))], "5")
    again = await inbox.store([("e1", "message_new", "user:1", _update("e1", 1, "a"))], "6")
    assert len(first) == 1 and again == []
    assert await inbox.get_value("longpoll_ts") == "6"


async def test_one_users_events_run_in_order_others_in_parallel(db: Database) -> None:
    """User 1's second message waits for the first; user 2 is not held up."""
    inbox = InboxRepo(db)
    release = asyncio.Event()
    seen: list[str] = []

    other_done = asyncio.Event()

    async def handle(update: dict[str, Any]) -> None:
        text = update["object"]["message"]["text"]
        if text == "slow":
            await release.wait()
        seen.append(text)
        if text == "other":
            other_done.set()

    async def call(method: str, params: dict[str, Any]) -> Any:
        raise AssertionError("not used")

    poller = InboxPoller(call=call, inbox=inbox, handle=handle, answer_callback=_noop_answer, group_id=1)
    events = await inbox.store([
        ("a", "message_new", "user:1", _update("a", 1, "slow")),
        ("b", "message_new", "user:1", _update("b", 1, "second")),
        ("c", "message_new", "user:2", _update("c", 2, "other")),
    ], "1")
    for event in events:
        poller._dispatch(event)
    await other_done.wait()
    assert seen == ["other"]
    release.set()
    await poller.drain()
    assert seen == ["other", "slow", "second"]
    assert await inbox.pending() == []


async def test_callback_is_answered_even_if_the_handler_fails(db: Database) -> None:
    """A callback press whose handler raises still gets an answer (VK expects one within 60 s)."""
    inbox = InboxRepo(db)
    answered: list[dict[str, Any]] = []

    async def handle(update: dict[str, Any]) -> None:
        raise RuntimeError("boom")

    async def answer(obj: dict[str, Any], text: str | None) -> None:
        answered.append(obj)

    async def call(method: str, params: dict[str, Any]) -> Any:
        raise AssertionError("not used")

    poller = InboxPoller(call=call, inbox=inbox, handle=handle, answer_callback=answer, group_id=1)
    body = {"type": "message_event", "event_id": "x",
            "object": {"user_id": 5, "peer_id": 5, "event_id": "ev", "payload": {}}}
    for event in await inbox.store([("x", "message_event", order_key(body), body)], None):
        poller._dispatch(event)
    await poller.drain()
    assert answered == [body["object"]]


def test_order_key_per_user() -> None:
    """Messages and button presses of one person share a key."""
    assert order_key(_update("a", 7, "t")) == order_key({"object": {"user_id": 7}}) == "user:7"
    assert order_key({"type": "group_join", "object": {}}) == "misc"


async def test_a_full_disk_while_polling_is_retried_from_the_same_position(db: Database) -> None:
    """When the inbox cannot be written (disk full), the poller waits and asks VK again from the same ts."""
    from pathlib import Path

    from storage.db import storage_error

    inbox = InboxRepo(db)
    handled: list[str] = []
    asked: list[str] = []
    slept: list[float] = []
    failures = [True, True]
    real_store = inbox.store

    async def store(*args: Any, **kwargs: Any) -> Any:
        if failures:
            failures.pop()
            raise storage_error("full", Path(db.path))
        return await real_store(*args, **kwargs)

    async def call(method: str, params: dict[str, Any]) -> Any:
        return {"server": "http://127.0.0.1:9/", "key": "k", "ts": "10"}

    async def handle(update: dict[str, Any]) -> None:
        handled.append(update["event_id"])
        poller.stop()

    async def sleep(delay: float) -> None:
        slept.append(delay)

    poller = InboxPoller(call=call, inbox=inbox, handle=handle, answer_callback=_noop_answer, group_id=1,
                         sleep=sleep)

    async def check(server: Any) -> dict[str, Any]:
        asked.append(server.ts)
        if handled:
            poller.stop()
            return {"ts": server.ts, "updates": []}
        return {"ts": "11", "updates": [_update("e1", 1, "hi")]}

    inbox.store = store  # type: ignore[method-assign]
    poller._check = check  # type: ignore[method-assign]
    await asyncio.wait_for(poller.run(), 10)
    await poller.drain()
    assert asked[:3] == ["10", "10", "10"] and len(slept) == 2
    assert handled == ["e1"] and await inbox.get_value("longpoll_ts") == "11"


async def test_echoes_of_the_bots_own_messages_are_kept_done_not_handled(db: Database, tmp_path: Any) -> None:
    """On the VK emulator: the community sends a message (VK echoes it as message_reply) and a person writes;
    only the person's message reaches the handlers, the echo is in the inbox as done with no text kept."""
    from bot.vk.api import make_api
    from bot.vk.runtime import SETTLED_EVENTS
    from tests.outbox.conftest import GROUP_ID, TOKEN, outbox_settings
    from vk_emulator import Emulator, EmulatorControl

    assert "message_reply" in SETTLED_EVENTS
    emulator = Emulator(token=TOKEN, group_id=GROUP_ID, strict=True, seed=1)
    await emulator.start(host="127.0.0.1", port=0)
    api = make_api(outbox_settings(tmp_path, emulator.api_url))
    inbox = InboxRepo(db)
    seen: list[dict[str, Any]] = []
    got_message = asyncio.Event()

    async def handle(update: dict[str, Any]) -> None:
        seen.append(update)
        if update["type"] == "message_new":
            got_message.set()

    async def call(method: str, params: dict[str, Any]) -> Any:
        return (await api.request(method, params))["response"]

    poller = InboxPoller(call=call, inbox=inbox, handle=handle, answer_callback=_noop_answer, group_id=GROUP_ID,
                         wait=1)
    task = asyncio.create_task(poller.run())
    try:
        async with EmulatorControl(emulator.base_url) as control:
            await control.add_user(5, "Анна", "Петрова", allows_messages=True)
            await control.wait_listening()
            await call("messages.send", {"peer_id": 5, "random_id": 1, "message": "Напоминание"})
            await control.say(5, "Привет")
            await asyncio.wait_for(got_message.wait(), 10)
        await poller.drain()
    finally:
        poller.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await api.http_client.close()
        await emulator.stop()
    assert [u["type"] for u in seen] == ["message_new"]
    async with db.read() as conn, conn.execute("SELECT event_type, status, body FROM inbox ORDER BY id") as cur:
        rows = [(r[0], r[1], r[2]) for r in await cur.fetchall()]
    assert rows[0] == ("message_reply", "done", "{}")
    assert rows[1][:2] == ("message_new", "done") and len(rows) == 2
