"""What the bot knows about writing to MAX accounts (table max_users, migration 0016)."""

from __future__ import annotations

from storage._util import iso
from storage.sql import Database


class MaxUsersRepo:
    """Whether a MAX account may be written to, kept from bot_started / bot_stopped and 403 answers."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def mark(self, user_id: int, can_write: bool, reason: str | None = None) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO max_users(user_id, can_write, reason, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(user_id) DO UPDATE SET can_write = excluded.can_write, reason = excluded.reason, "
                "updated_at = excluded.updated_at",
                (user_id, int(can_write), reason, iso()),
            )

    async def can_write(self, user_id: int) -> bool | None:
        """True / False as last learnt; None when the bot has heard nothing of this account."""
        async with self._db.read() as conn, conn.execute(
                "SELECT can_write FROM max_users WHERE user_id = ?", (user_id,)) as cur:
            row = await cur.fetchone()
        return None if row is None else bool(row[0])

    async def reason(self, user_id: int) -> str | None:
        async with self._db.read() as conn, conn.execute(
                "SELECT reason FROM max_users WHERE user_id = ?", (user_id,)) as cur:
            row = await cur.fetchone()
        return None if row is None else row[0]
