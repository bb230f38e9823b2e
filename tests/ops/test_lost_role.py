"""A reader of updates that lost its role's lock while it waited for a batch leaves the batch to the new holder;
and two readers that overlap for a moment (both fetched the same batch) still handle each event once."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.max.polling import MaxPoller
from bot.ops.leader import still_holding, while_held
from bot.vk.runtime import InboxPoller
from storage.runtime import InboxRepo
from storage.sql import Database


class Lock:
    """A lock that is always free to take and is held until `lose()`; counts how often it was taken."""

    name = "vk:1"

    def __init__(self) -> None:
        self.held = True
        self.taken = 0
        self.retaken = asyncio.Event()

    async def try_acquire(self) -> bool:
        self.taken += 1
        self.held = True
        if self.taken == 2:
            self.retaken.set()
        return True

    async def still_held(self) -> bool:
        return self.held

    def lose(self) -> None:
        self.held = False

    async def release(self) -> None:
        return None


def _update(event_id: str, user: int, text: str) -> dict[str, Any]:
    return {"type": "message_new", "event_id": event_id,
            "object": {"message": {"from_id": user, "peer_id": user, "text": text}}}


async def _no_answer(obj: dict[str, Any], text: str | None) -> None:
    return None


async def _server(method: str, params: dict[str, Any]) -> Any:
    return {"server": "http://127.0.0.1:9/", "key": "k", "ts": "10"}


async def test_still_holding_is_true_outside_any_role() -> None:
    assert await still_holding()


async def test_a_vk_reader_that_lost_its_lock_does_not_store_the_batch_and_waits_for_the_role(db: Database) -> None:
    """The lock is lost while the long poll waits: the batch is neither stored nor handled and the position
    stays; the role ends, is taken again, and then the same batch is stored and handled once."""
    inbox, lock, handled = InboxRepo(db), Lock(), []
    polls: list[str] = []

    async def handle(update: dict[str, Any]) -> None:
        handled.append(update["event_id"])

    poller = InboxPoller(call=_server, inbox=inbox, handle=handle, answer_callback=_no_answer, group_id=1)
    poller.still_ours = still_holding

    async def check(server: Any) -> dict[str, Any]:
        polls.append(server.ts)
        if len(polls) == 1:
            lock.lose()  # the lock's session ended while VK held the request
            return {"ts": "11", "updates": [_update("e1", 1, "привет")]}
        if len(polls) == 2:
            assert await inbox.pending() == [] and await inbox.get_value("longpoll_ts") is None
            return {"ts": "11", "updates": [_update("e1", 1, "привет")]}
        poller.stop()
        return {"ts": "11", "updates": []}

    poller._check = check  # type: ignore[method-assign]
    await asyncio.wait_for(while_held(lock, poller.run, retry=0.01), 10)
    await poller.drain()
    assert lock.taken == 2 and polls[:2] == ["10", "10"]
    assert handled == ["e1"] and await inbox.get_value("longpoll_ts") == "11"


async def test_two_vk_readers_that_overlap_handle_each_event_once(db: Database) -> None:
    """The old holder has not noticed yet and the new one already reads: both fetch the same batches. Each event
    is stored once (its id is unique) and so handled by one of them only."""
    inbox = InboxRepo(db)
    handled: list[str] = []
    batches = [[_update(f"e{n}", n % 3, f"сообщение {n}") for n in range(b * 5, b * 5 + 5)] for b in range(4)]

    async def handle(update: dict[str, Any]) -> None:
        handled.append(update["event_id"])

    readers = [InboxPoller(call=_server, inbox=inbox, handle=handle, answer_callback=_no_answer, group_id=1)
               for _ in range(2)]
    for reader in readers:
        served = iter([*batches, None])

        async def check(server: Any, reader: InboxPoller = reader, served: Any = served) -> dict[str, Any]:
            batch = next(served)
            if batch is None:
                reader.stop()
                return {"ts": server.ts, "updates": []}
            return {"ts": str(int(server.ts) + 1), "updates": batch}

        reader._check = check  # type: ignore[method-assign]
    await asyncio.wait_for(asyncio.gather(*(r.run() for r in readers)), 10)
    for reader in readers:
        await reader.drain()
    assert sorted(handled) == sorted(f"e{n}" for n in range(20))


class FakeMax:
    """A MAX API with no subscriptions that answers every long poll with one update."""

    def __init__(self, on_poll: Any) -> None:
        self.on_poll = on_poll

    async def call(self, verb: str, path: str, **_: Any) -> Any:
        if path == "/subscriptions":
            return {"subscriptions": []}
        assert path == "/updates"
        self.on_poll()
        return {"marker": 7, "updates": [{"update_type": "message_created", "timestamp": 1,
                                          "message": {"sender": {"user_id": 5}, "body": {"text": "привет"}}}]}


async def test_a_max_reader_that_lost_its_lock_stops_before_storing(db: Database) -> None:
    """MAX: the lock is lost during the poll; nothing is stored, the marker stays, and polling ends."""
    inbox, lock, handled = InboxRepo(db), Lock(), []

    async def handle(update: dict[str, Any]) -> None:
        handled.append(update)

    poller = MaxPoller(FakeMax(lock.lose), inbox, handle)  # type: ignore[arg-type]
    poller.still_ours = still_holding
    run = asyncio.ensure_future(while_held(lock, poller.run, retry=0.01))
    await asyncio.wait_for(lock.retaken.wait(), 10)  # the role was given up and taken again: the first run ended
    run.cancel()
    await asyncio.gather(run, return_exceptions=True)
    assert handled == [] and await inbox.pending(prefix="max:") == [] and await poller.marker() is None
