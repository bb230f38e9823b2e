"""The inbox of received events, dialog state and small runtime values (the long-poll ts)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from storage._util import dumps, iso
from storage.sql import Connection, Database, insert_id


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
                    skipped: Sequence[int] = (), note: str = "", *, ts_key: str = "longpoll_ts") -> list[InboxEvent]:
        """Keep `(event_id, type, order_key, body)` updates and the new ts in one transaction.

        `skipped` events (collapsed into later ones) are marked done with `note` in the same
        transaction, so a flood costs no write of its own. Returns the events that were new
        (a replayed event_id is skipped). `ts_key` names the position kept (MAX keeps its marker).
        """
        stored: list[InboxEvent] = []
        now = iso()
        async with self._db.transaction() as conn:
            await self.skip_in(conn, skipped, note, now)
            for event_id, event_type, order_key, body in events:
                new_id = await insert_id(
                    conn, "INSERT INTO inbox(event_id, event_type, order_key, body, received_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (event_id, event_type, order_key, dumps(body), now),
                )
                if new_id is not None:
                    stored.append(InboxEvent(id=new_id, event_id=event_id, event_type=event_type,
                                             order_key=order_key, body=body, attempts=0))
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
