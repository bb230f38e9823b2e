"""Outbox rows and inbox events claimed by one worker for a lease (migration 0026), so that several workers
share them.

Used on PostgreSQL only: a worker takes a page of unfinished rows with `FOR UPDATE SKIP LOCKED` (two
workers claiming at once get different rows) and marks them with its id and a lease. A claimed row is
nobody else's until its lease ends, so rows a killed worker held come back to the others after the lease.
A worker renews the lease of the rows it still has to send while it sends them (`renew`, every third of the
lease), and posts a MAX row only while its claim holds (`fence`, checked in the same statement that marks the
row 'sending'): a worker whose lease ran out and whose rows another took stops, instead of sending them too.
Sending a row twice stays harmless: VK drops a re-send with the same `random_id`, and a MAX row left
'sending' is looked for in its chat before it is posted again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence

from storage.outbox import _COLS, OutboxRow, _row
from storage.runtime import InboxEvent
from storage.sql import Database


def _now_ms() -> int:
    return int(time.time() * 1000)


def _bots_filter(bots: Sequence[str] | None) -> tuple[str, tuple[str, ...]]:
    """The SQL condition (and its arguments) keeping the rows of `bots`; none without them."""
    if not bots:
        return "", ()
    return f" AND bot IN ({','.join('?' * len(bots))})", tuple(bots)


class OutboxClaims:
    """Claim, renew and release outbox rows for the worker `worker_id`."""

    def __init__(self, db: Database, worker_id: str, *, lease: float = 60.0,
                 clock_ms: Callable[[], int] = _now_ms) -> None:
        self._db = db
        self.worker_id = worker_id
        self.lease = lease
        self._clock_ms = clock_ms

    async def claim(self, messenger: str, *, after_id: int = 0, limit: int = 1000,
                    statuses: Sequence[str] = ("pending",), bots: Sequence[str] | None = None) -> list[OutboxRow]:
        """Up to `limit` of `messenger`'s rows in `statuses` with id > after_id that are free (never
        claimed, ours, or with an ended lease), now claimed by this worker; oldest first. With `bots`,
        only the rows those bots send (several VK communities or MAX bots in one deployment)."""
        now = self._clock_ms()
        marks = ",".join("?" * len(statuses))
        of_bots, bot_args = _bots_filter(bots)
        async with self._db.transaction() as conn, conn.execute(
            f"UPDATE outbox SET claimed_by = ?, lease_until = ? WHERE id IN ("  # noqa: S608 - placeholders only
            f"SELECT id FROM outbox WHERE status IN ({marks}) AND messenger = ? AND id > ?{of_bots} "
            "AND (claimed_by IS NULL OR claimed_by = ? OR lease_until < ?) "
            "ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED) "
            f"RETURNING {_COLS}",
            (self.worker_id, now + int(self.lease * 1000), *statuses, messenger, after_id, *bot_args,
             self.worker_id, now, limit),
        ) as cur:
            rows = [_row(r) for r in await cur.fetchall()]
        return sorted(rows, key=lambda r: r.id)

    async def renew(self, row_ids: Sequence[int]) -> set[int]:
        """Extend the lease of these rows (one statement); the ids still ours. A row missing from the answer was
        taken by another worker after our lease ended: this worker must not send it."""
        if not row_ids:
            return set()
        marks = ",".join("?" * len(row_ids))
        async with self._db.transaction() as conn, conn.execute(
            f"UPDATE outbox SET lease_until = ? WHERE claimed_by = ? AND id IN ({marks}) RETURNING id",  # noqa: S608
            (self._clock_ms() + int(self.lease * 1000), self.worker_id, *row_ids),
        ) as cur:
            return {int(r[0]) for r in await cur.fetchall()}

    def fence(self) -> tuple[str, int]:
        """The claim a row must still be under for this worker to post it: (its id, the least lease end in ms).
        Half the lease must be left, so the claim outlives the request even if a renewal is late."""
        return self.worker_id, self._clock_ms() + int(self.lease * 500)

    async def release(self, row_ids: Sequence[int]) -> None:
        """Give rows back unsent (a page cut inside a long message): free for any worker at once."""
        if not row_ids:
            return
        async with self._db.transaction() as conn:
            await conn.executemany(
                "UPDATE outbox SET claimed_by = NULL, lease_until = NULL WHERE id = ? AND claimed_by = ?",
                [(i, self.worker_id) for i in row_ids])

    async def held_elsewhere(self, messenger: str, peers: Sequence[int], before: int,
                             statuses: Sequence[str] = ("pending",),
                             bots: Sequence[str] | None = None) -> dict[int, int]:
        """Of `peers`' chats, those with unfinished rows with id < `before` that are not this worker's (unclaimed,
        or another's): each chat's earliest such row id. A chat's later rows wait for them, so that one worker at
        a time writes into a chat (its order kept, and its per-chat rate limit not shared between workers).
        Only rows before the page are looked at (an index range: the rows other workers hold, not the wave)."""
        if not peers:
            return {}
        marks = ",".join("?" * len(statuses))
        of_bots, bot_args = _bots_filter(bots)
        chats = ",".join("?" * len(peers))
        async with self._db.read() as conn, conn.execute(
            f"SELECT peer_id, MIN(id) FROM outbox WHERE status IN ({marks}) AND messenger = ?{of_bots} "  # noqa: S608
            f"AND id < ? AND peer_id IN ({chats}) AND (claimed_by IS NULL OR claimed_by != ?) GROUP BY peer_id",
            (*statuses, messenger, *bot_args, before, *peers, self.worker_id),
        ) as cur:
            return {int(r[0]): int(r[1]) for r in await cur.fetchall()}

    async def any_left(self, messenger: str, statuses: Sequence[str] = ("pending",),
                       bots: Sequence[str] | None = None) -> bool:
        """Whether any of `messenger`'s rows (of `bots`, if given) is in `statuses` (an index look-up,
        not a count of the table)."""
        marks = ",".join("?" * len(statuses))
        of_bots, bot_args = _bots_filter(bots)
        async with self._db.read() as conn, conn.execute(
            f"SELECT 1 FROM outbox WHERE status IN ({marks}) AND messenger = ?{of_bots} LIMIT 1",  # noqa: S608
            (*statuses, messenger, *bot_args),
        ) as cur:
            return await cur.fetchone() is not None


class InboxClaims:
    """Claim received events for the worker `worker_id`, each person's (each `order_key`'s) in order.

    An event is claimable only when every earlier unfinished event with its order key is this worker's:
    so a person's second message is never handled while their first is unhandled or held elsewhere.
    Claims are taken one transaction at a time across workers (a transaction-scoped advisory lock), so
    two workers cannot each take one of a person's events in the same instant.
    """

    def __init__(self, db: Database, worker_id: str, *, lease: float = 60.0,
                 clock_ms: Callable[[], int] = _now_ms) -> None:
        self._db = db
        self.worker_id = worker_id
        self.lease = lease
        self._clock_ms = clock_ms

    async def claim(self, prefix: str, *, limit: int = 100) -> list[InboxEvent]:
        """Up to `limit` pending events whose event_id starts with `prefix`, claimed, oldest first (the prefix
        is matched as it is: `_` in a bot's name is no wildcard)."""
        now = self._clock_ms()
        async with self._db.transaction() as conn:
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('sferum-bot'), hashtext('inbox-claims'))")
            async with conn.execute(
                "UPDATE inbox SET claimed_by = ?, lease_until = ? WHERE id IN ("
                "SELECT i.id FROM inbox i WHERE i.status = 'pending' AND starts_with(i.event_id, ?) "
                "AND (i.claimed_by IS NULL OR i.claimed_by = ? OR i.lease_until < ?) "
                "AND NOT EXISTS (SELECT 1 FROM inbox e WHERE e.order_key = i.order_key AND e.id < i.id "
                "AND e.status = 'pending' AND (e.claimed_by IS NULL OR e.claimed_by != ? OR e.lease_until < ?)) "
                "ORDER BY i.id LIMIT ? FOR UPDATE SKIP LOCKED) "
                "RETURNING id, event_id, event_type, order_key, body, attempts",
                (self.worker_id, now + int(self.lease * 1000), prefix, self.worker_id, now, self.worker_id, now,
                 limit),
            ) as cur:
                rows = await cur.fetchall()
        events = [InboxEvent(id=r[0], event_id=r[1], event_type=r[2], order_key=r[3], body=json.loads(r[4]),
                             attempts=r[5]) for r in rows]
        return sorted(events, key=lambda e: e.id)
