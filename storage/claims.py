"""Outbox rows claimed by one worker for a lease (migration 0026), so that several workers share the outbox.

Used on PostgreSQL only: a worker takes a page of unfinished rows with `FOR UPDATE SKIP LOCKED` (two
workers claiming at once get different rows) and marks them with its id and a lease. A claimed row is
nobody else's until its lease ends, so rows a killed worker held come back to the others after the lease.
Sending a row twice stays harmless: VK drops a re-send with the same `random_id`, and a MAX row left
'sending' is looked for in its chat before it is posted again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from storage.outbox import _COLS, OutboxRow, _row
from storage.sql import Database


def _now_ms() -> int:
    return int(time.time() * 1000)


class OutboxClaims:
    """Claim, renew and release outbox rows for the worker `worker_id`."""

    def __init__(self, db: Database, worker_id: str, *, lease: float = 60.0,
                 clock_ms: Callable[[], int] = _now_ms) -> None:
        self._db = db
        self.worker_id = worker_id
        self.lease = lease
        self._clock_ms = clock_ms

    async def claim(self, messenger: str, *, after_id: int = 0, limit: int = 1000,
                    statuses: Sequence[str] = ("pending",)) -> list[OutboxRow]:
        """Up to `limit` of `messenger`'s rows in `statuses` with id > after_id that are free (never
        claimed, ours, or with an ended lease), now claimed by this worker; oldest first."""
        now = self._clock_ms()
        marks = ",".join("?" * len(statuses))
        async with self._db.transaction() as conn, conn.execute(
            f"UPDATE outbox SET claimed_by = ?, lease_until = ? WHERE id IN ("  # noqa: S608 - placeholders only
            f"SELECT id FROM outbox WHERE status IN ({marks}) AND messenger = ? AND id > ? "
            "AND (claimed_by IS NULL OR claimed_by = ? OR lease_until < ?) "
            "ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED) "
            f"RETURNING {_COLS}",
            (self.worker_id, now + int(self.lease * 1000), *statuses, messenger, after_id,
             self.worker_id, now, limit),
        ) as cur:
            rows = [_row(r) for r in await cur.fetchall()]
        return sorted(rows, key=lambda r: r.id)

    async def release(self, row_ids: Sequence[int]) -> None:
        """Give rows back unsent (a page cut inside a long message): free for any worker at once."""
        if not row_ids:
            return
        async with self._db.transaction() as conn:
            await conn.executemany(
                "UPDATE outbox SET claimed_by = NULL, lease_until = NULL WHERE id = ? AND claimed_by = ?",
                [(i, self.worker_id) for i in row_ids])

    async def held_elsewhere(self, messenger: str, statuses: Sequence[str] = ("pending",)) -> int:
        """How many of `messenger`'s unfinished rows another worker holds under a live lease."""
        marks = ",".join("?" * len(statuses))
        async with self._db.read() as conn, conn.execute(
            f"SELECT COUNT(*) FROM outbox WHERE status IN ({marks}) AND messenger = ? "  # noqa: S608
            "AND claimed_by IS NOT NULL AND claimed_by != ? AND lease_until >= ?",
            (*statuses, messenger, self.worker_id, self._clock_ms()),
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0
