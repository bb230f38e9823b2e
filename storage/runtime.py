"""The inbox of received events, dialog state and small runtime values (the long-poll ts)."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from typing import Any

from pydantic import BaseModel

from storage._util import dumps, iso
from storage.sql import Connection, Database

# Events per INSERT: 5 parameters each stays far below either backend's limit on parameters.
_PAGE = 500


def _pages(events: list[tuple[str, str, str, dict[str, Any]]]) -> Iterator[list[tuple[str, str, str, dict[str, Any]]]]:
    for start in range(0, len(events), _PAGE):
        yield events[start:start + _PAGE]


class InboxEvent(BaseModel):
    """One received long-poll update, kept until it has been handled."""

    id: int
    event_id: str
    event_type: str
    order_key: str
    body: dict[str, Any]
    attempts: int


class InboxRepo:
    """Every update is stored before the long-poll ts moves on; event_id makes replays no-ops."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def store(self, events: list[tuple[str, str, str, dict[str, Any]]], ts: str | None,
                    skipped: Sequence[int] = (), note: str = "", *, ts_key: str = "longpoll_ts",
                    settled: Collection[str] = ()) -> list[InboxEvent]:
        """Keep `(event_id, type, order_key, body)` updates and the new ts in one transaction.

        `skipped` events (collapsed into later ones) are marked done with `note` in the same
        transaction, so a flood costs no write of its own. Events of a type in `settled` (ones no feature
        handles, e.g. the echo of each message the bot sends) are kept as done at once, without their body.
        Returns the events that were new and are to be handled (a replayed event_id is skipped), in order.
        `ts_key` names the position kept (MAX keeps its marker).
        """
        stored: list[InboxEvent] = []
        now = iso()
        handled = [e for e in events if e[1] not in settled]
        quiet = [e for e in events if e[1] in settled]
        async with self._db.transaction() as conn:
            await self.skip_in(conn, skipped, note, now)
            # A statement per page of events, not per event: a wave's echoes arrive by the hundred.
            for part in _pages(handled):
                async with conn.execute(
                    "INSERT INTO inbox(event_id, event_type, order_key, body, received_at) VALUES "  # noqa: S608
                    + ", ".join(["(?, ?, ?, ?, ?)"] * len(part)) + " ON CONFLICT DO NOTHING RETURNING id, event_id",
                    tuple(v for event_id, event_type, order_key, body in part
                          for v in (event_id, event_type, order_key, dumps(body), now)),
                ) as cur:
                    new_ids = {str(r[1]): int(r[0]) for r in await cur.fetchall()}
                for event_id, event_type, order_key, body in part:
                    new_id = new_ids.pop(event_id, None)
                    if new_id is not None:
                        stored.append(InboxEvent(id=new_id, event_id=event_id, event_type=event_type,
                                                 order_key=order_key, body=body, attempts=0))
            for part in _pages(quiet):
                await conn.execute(
                    "INSERT INTO inbox(event_id, event_type, order_key, body, received_at, status, handled_at) "
                    "VALUES " + ", ".join(["(?, ?, ?, '{}', ?, 'done', ?)"] * len(part))  # noqa: S608
                    + " ON CONFLICT DO NOTHING",
                    tuple(v for event_id, event_type, order_key, _ in part
                          for v in (event_id, event_type, order_key, now, now)))
            if ts is not None:
                await conn.execute(
                    "INSERT INTO runtime_state(key, value, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                    (ts_key, ts, now),
                )
        return stored

    async def pending(self, *, prefix: str | None = None) -> list[InboxEvent]:
        """Events received but not handled yet (after a crash), oldest first.

        MAX events carry the event_id prefix `max:`, those of a further bot `vk.<name>:` or `max.<name>:`
        (bot.vk.communities, bot.app.build_max); `prefix` picks one bot's, and without it they are left out
        (the first VK community's poller hands what it finds to vkbottle).
        """
        async with self._db.read() as conn, conn.execute(
            "SELECT id, event_id, event_type, order_key, body, attempts FROM inbox "
            "WHERE status = 'pending' AND (CASE WHEN ? = '' THEN event_id NOT LIKE 'max:%' "
            "AND event_id NOT LIKE 'max.%' AND event_id NOT LIKE 'vk.%' "
            "ELSE substr(event_id, 1, length(?)) = ? END) ORDER BY id", (prefix or "", prefix or "", prefix or "")
        ) as cur:
            rows = await cur.fetchall()
        return [InboxEvent(id=r[0], event_id=r[1], event_type=r[2], order_key=r[3],
                           body=json.loads(r[4]), attempts=r[5]) for r in rows]

    async def start(self, inbox_id: int) -> None:
        """Count an attempt before handling, so a poison event cannot loop forever."""
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE inbox SET attempts = attempts + 1 WHERE id = ?", (inbox_id,))

    async def finish(self, inbox_id: int, error: str | None = None) -> None:
        """Mark an event handled (or failed with a short reason).

        The body is dropped: only the event_id stays, to recognize a replay, so no
        message text outlives its handling.
        """
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE inbox SET status = ?, handled_at = ?, error = ?, body = '{}' WHERE id = ?",
                ("failed" if error else "done", iso(), error, inbox_id),
            )

    async def skip(self, inbox_ids: Sequence[int], note: str) -> None:
        """Mark events done without handling them (collapsed into later ones), with a note."""
        async with self._db.transaction() as conn:
            await self.skip_in(conn, inbox_ids, note, iso())

    @staticmethod
    async def skip_in(conn: Connection, inbox_ids: Sequence[int], note: str, now: str) -> None:
        """`skip` inside the caller's transaction."""
        if inbox_ids:
            await conn.executemany(
                "UPDATE inbox SET status = 'done', handled_at = ?, error = ?, body = '{}' WHERE id = ?",
                [(now, note, i) for i in inbox_ids],
            )

    async def get_value(self, key: str) -> str | None:
        async with self._db.read() as conn, conn.execute(
            "SELECT value FROM runtime_state WHERE key = ?", (key,)
        ) as cur:
            row = await cur.fetchone()
        return str(row[0]) if row else None

    async def set_value(self, key: str, value: str) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO runtime_state(key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (key, value, iso()),
            )
