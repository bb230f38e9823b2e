"""The inbox keeps each bot's events apart: a poller replays only its own bot's events after a crash."""

from __future__ import annotations

from typing import Any

from storage.runtime import InboxRepo
from storage.sql import Database


def _event(event_id: str) -> tuple[str, str, str, dict[str, Any]]:
    return (event_id, "message_new", "u:1", {"id": event_id})


async def test_each_poller_replays_only_its_bots_events(db: Database) -> None:
    """The first VK community sees no MAX and no further bot's events; a prefix is matched exactly
    (`_` in a bot's name is no wildcard), and each bot keeps its own position."""
    inbox = InboxRepo(db)
    await inbox.store([_event("abc"), _event("max:1"), _event("vk.south:abc"), _event("vk.so_th:x"),
                       _event("max.south:2")], "7")
    await inbox.store([], "9", ts_key="vk.south:longpoll_ts")
    assert [e.event_id for e in await inbox.pending()] == ["abc"]
    assert [e.event_id for e in await inbox.pending(prefix="max:")] == ["max:1"]
    assert [e.event_id for e in await inbox.pending(prefix="vk.south:")] == ["vk.south:abc"]
    assert [e.event_id for e in await inbox.pending(prefix="vk.so_th:")] == ["vk.so_th:x"]
    assert [e.event_id for e in await inbox.pending(prefix="max.south:")] == ["max.south:2"]
    assert (await inbox.get_value("longpoll_ts"), await inbox.get_value("vk.south:longpoll_ts")) == ("7", "9")
