"""The outbox: every bulk message is stored before it is sent, and marked as VK answers.

A row goes pending → sent | unreachable | failed and never back; `random_id` is
derived from `idem_key`, so a row re-sent after a crash is dropped by VK.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import aiosqlite
from pydantic import BaseModel, ConfigDict

from storage._util import iso
from storage.db import Database

_COLS = (
    "id, idem_key, org_id, kind, person_id, peer_id, message, keyboard, attachment, intent, "
    "priority, random_id, status, attempts, error_code, error_msg, message_id, cmid, batch, "
    "created_at, sent_at"
)
# SQLite's default limit on host parameters is far above this; it keeps IN (...) lists small.
_IN_CHUNK = 500
USER_PEER_LIMIT = 2_000_000_000


class NewOutboxMessage(BaseModel):
    """One message (or one chunk of a split message) to store in the outbox."""

    model_config = ConfigDict(frozen=True)

    idem_key: str
    peer_id: int
    random_id: int
    message: str = ""
    keyboard: str | None = None
    attachment: str | None = None
    intent: str | None = None
    org_id: str | None = None
    kind: str = "bulk"
    person_id: int | None = None
    priority: int = 1


class OutboxRow(BaseModel):
    """A stored outbox message with its delivery state."""

    model_config = ConfigDict(frozen=True)

    id: int
    idem_key: str
    org_id: str | None
    kind: str
    person_id: int | None
    peer_id: int
    message: str
    keyboard: str | None
    attachment: str | None
    intent: str | None
    priority: int
    random_id: int
    status: str
    attempts: int
    error_code: int | None
    error_msg: str | None
    message_id: int | None
    cmid: int | None
    batch: str | None
    created_at: str
    sent_at: str | None


class SendResult(BaseModel):
    """What became of one row after a delivery attempt.

    `status` is 'sent', 'unreachable', 'failed' or 'pending' (try again later).
    """

    model_config = ConfigDict(frozen=True)

    row_id: int
    peer_id: int
    status: str
    message_id: int | None = None
    cmid: int | None = None
    error_code: int | None = None
    error_msg: str | None = None


def _row(r: aiosqlite.Row) -> OutboxRow:
    return OutboxRow(**{k: r[k] for k in r.keys()})  # noqa: SIM118 - sqlite3.Row has no items()


def _chunks(values: Sequence[str], size: int = _IN_CHUNK) -> Iterable[Sequence[str]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


class OutboxRepo:
    """The outbox table and the VK reachability it learns from sends."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def enqueue(self, messages: Sequence[NewOutboxMessage]) -> int:
        """Store messages not stored yet (INSERT OR IGNORE by idem_key) in one transaction.

        Returns how many rows were new.
        """
        async with self._db.transaction() as conn:
            return await self.enqueue_in(conn, messages)

    @staticmethod
    async def enqueue_in(conn: aiosqlite.Connection, messages: Sequence[NewOutboxMessage]) -> int:
        """`enqueue` inside the caller's transaction (a message stored with the state it reports)."""
        now = iso()
        before = conn.total_changes
        await conn.executemany(
            "INSERT OR IGNORE INTO outbox(idem_key, org_id, kind, person_id, peer_id, message, "
            "keyboard, attachment, intent, priority, random_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(m.idem_key, m.org_id, m.kind, m.person_id, m.peer_id, m.message, m.keyboard,
              m.attachment, m.intent, m.priority, m.random_id, now) for m in messages],
        )
        return conn.total_changes - before

    async def rearm_failed(self, keys: Sequence[str]) -> int:
        """Put rows that failed back to pending (a new explicit send of the same messages).

        Safe: their random_id is unchanged, so VK drops any that did arrive after all.
        Unreachable rows stay as they are. Returns how many were re-armed.
        """
        count = 0
        async with self._db.transaction() as conn:
            for part in _chunks(keys):
                marks = ",".join("?" * len(part))
                cur = await conn.execute(
                    f"UPDATE outbox SET status = 'pending', attempts = 0 "  # noqa: S608 - placeholders only
                    f"WHERE status = 'failed' AND idem_key IN ({marks})",
                    tuple(part),
                )
                count += cur.rowcount
        return count

    async def pending(self, *, after_id: int = 0, limit: int = 1000) -> list[OutboxRow]:
        """Pending rows with id > after_id, oldest first."""
        async with self._db.read() as conn, conn.execute(
            f"SELECT {_COLS} FROM outbox WHERE status = 'pending' AND id > ? "  # noqa: S608 - fixed columns
            "ORDER BY id LIMIT ?",
            (after_id, limit),
        ) as cur:
            return [_row(r) for r in await cur.fetchall()]

    async def by_keys(self, keys: Sequence[str]) -> dict[str, OutboxRow]:
        """Rows by idem_key (missing keys are absent from the answer)."""
        found: dict[str, OutboxRow] = {}
        async with self._db.read() as conn:
            for part in _chunks(keys):
                marks = ",".join("?" * len(part))
                sql = f"SELECT {_COLS} FROM outbox WHERE idem_key IN ({marks})"  # noqa: S608 - placeholders only
                async with conn.execute(sql, tuple(part)) as cur:
                    for r in await cur.fetchall():
                        row = _row(r)
                        found[row.idem_key] = row
        return found

    async def counts(self) -> dict[str, int]:
        """How many rows are in each status (the outbox backlog is 'pending')."""
        async with self._db.read() as conn, conn.execute(
            "SELECT status, COUNT(*) FROM outbox GROUP BY status"
        ) as cur:
            return {r[0]: int(r[1]) for r in await cur.fetchall()}

    async def start_batch(self, row_ids: Sequence[int], batch: str) -> None:
        """Count one more attempt for rows about to be sent, tagged with the batch."""
        async with self._db.transaction() as conn:
            await conn.executemany(
                "UPDATE outbox SET attempts = attempts + 1, batch = ? WHERE id = ? AND status = 'pending'",
                [(batch, i) for i in row_ids],
            )

    async def record(self, results: Sequence[SendResult]) -> None:
        """Store the results of one batch in one transaction (and what they say of reachability).

        A sent row never changes again: a late result for it is ignored.
        """
        now = iso()
        sent = [(r.message_id, r.cmid, now, r.row_id) for r in results if r.status == "sent"]
        other = [(r.status, r.error_code, r.error_msg, r.row_id)
                 for r in results if r.status != "sent"]
        reachable = [(r.peer_id, now) for r in results
                     if r.status == "sent" and 0 < r.peer_id < USER_PEER_LIMIT]
        unreachable = [(r.peer_id, r.error_code, now) for r in results
                       if r.status == "unreachable" and 0 < r.peer_id < USER_PEER_LIMIT]
        async with self._db.transaction() as conn:
            await conn.executemany(
                "UPDATE outbox SET status = 'sent', message_id = ?, cmid = ?, sent_at = ?, "
                "error_code = NULL, error_msg = NULL WHERE id = ? AND status = 'pending'",
                sent,
            )
            await conn.executemany(
                "UPDATE outbox SET status = ?, error_code = ?, error_msg = ? "
                "WHERE id = ? AND status = 'pending'",
                other,
            )
            await self.mark_reachable_in(conn, reachable)
            await self.mark_unreachable_in(conn, unreachable)

    async def mark_user(self, vk_id: int, error_code: int | None) -> None:
        """Record what a direct send learnt: reachable (None) or unreachable with a code."""
        if not 0 < vk_id < USER_PEER_LIMIT:
            return
        async with self._db.transaction() as conn:
            if error_code is None:
                await self.mark_reachable_in(conn, [(vk_id, iso())])
            else:
                await self.mark_unreachable_in(conn, [(vk_id, error_code, iso())])

    @staticmethod
    async def mark_reachable_in(conn: aiosqlite.Connection, rows: Sequence[tuple[int, str]]) -> None:
        """vk_users.can_message = 1 for (vk_id, now) pairs, inside the caller's transaction."""
        await conn.executemany(
            "INSERT INTO vk_users(vk_id, can_message, unreachable_code, updated_at) VALUES (?, 1, NULL, ?) "
            "ON CONFLICT(vk_id) DO UPDATE SET can_message = 1, unreachable_code = NULL, "
            "updated_at = excluded.updated_at "
            "WHERE vk_users.can_message IS NOT 1 OR vk_users.unreachable_code IS NOT NULL",
            rows,
        )

    @staticmethod
    async def mark_unreachable_in(conn: aiosqlite.Connection,
                                  rows: Sequence[tuple[int, int | None, str]]) -> None:
        """vk_users.can_message = 0 with the error code, inside the caller's transaction."""
        await conn.executemany(
            "INSERT INTO vk_users(vk_id, can_message, unreachable_code, updated_at) VALUES (?, 0, ?, ?) "
            "ON CONFLICT(vk_id) DO UPDATE SET can_message = 0, "
            "unreachable_code = excluded.unreachable_code, updated_at = excluded.updated_at",
            rows,
        )
