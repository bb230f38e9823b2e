"""InboxRepo.store on both backends: a page of events in one statement, echoes kept as done on arrival."""

from __future__ import annotations

from typing import Any

from storage.runtime import InboxRepo
from storage.sql import Database


def _event(i: int, kind: str = "message_new") -> tuple[str, str, str, dict[str, Any]]:
    return (f"e{i}", kind, f"user:{i % 7}", {"type": kind, "object": {"message": {"text": f"текст {i}"}}})


async def _rows(db: Database) -> dict[str, tuple[str, str, str | None]]:
    async with db.read() as conn, conn.execute("SELECT event_id, status, body, handled_at FROM inbox") as cur:
        return {str(r[0]): (str(r[1]), str(r[2]), r[3]) for r in await cur.fetchall()}


async def test_many_events_are_stored_in_order_and_replays_skipped(db: Database) -> None:
    """Over one page (500) of events: each new one comes back once, in the order received, with its id; a
    replayed event_id (in a later answer or twice in one) is not stored or returned again."""
    repo = InboxRepo(db)
    events = [_event(i) for i in range(620)]
    stored = await repo.store([*events, events[3]], "10")
    assert [e.event_id for e in stored] == [f"e{i}" for i in range(620)]
    assert [e.id for e in stored] == sorted(e.id for e in stored) and len({e.id for e in stored}) == 620
    assert stored[5].body == events[5][3] and stored[5].order_key == "user:5" and stored[5].attempts == 0
    again = await repo.store([events[0], _event(620)], "11")
    assert [e.event_id for e in again] == ["e620"]
    assert await repo.get_value("longpoll_ts") == "11"
    assert [e.event_id for e in await repo.pending()] == [f"e{i}" for i in range(621)]


async def test_settled_events_are_kept_done_without_their_body(db: Database) -> None:
    """Echoes of the bot's own messages are recorded (a replay stays a no-op) as done, with no text kept, and
    are not handed back for handling; the other events of the same answer are."""
    repo = InboxRepo(db)
    events = [_event(1), _event(2, "message_reply"), _event(3), _event(4, "message_typing_state")]
    stored = await repo.store(events, "5", settled={"message_reply", "message_typing_state"})
    assert [e.event_id for e in stored] == ["e1", "e3"]
    rows = await _rows(db)
    assert rows["e2"][:2] == ("done", "{}") and rows["e2"][2] is not None
    assert rows["e4"][:2] == ("done", "{}")
    assert rows["e1"][0] == "pending" and "текст 1" in rows["e1"][1]
    assert await repo.store([events[1]], "6", settled={"message_reply"}) == []
    assert [e.event_id for e in await repo.pending()] == ["e1", "e3"]
