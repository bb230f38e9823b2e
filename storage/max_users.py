"""What one MAX bot knows about writing to MAX accounts (table `reach`, migration 0029; see storage/reach.py)."""

from __future__ import annotations

from collections.abc import Sequence

from storage._util import iso
from storage.reach import SINGLE_BOT
from storage.sql import Database


class MaxUsersRepo:
    """Whether a MAX account may be written to by one bot, kept from bot_started / bot_stopped and 403 answers.

    `bots` are the bots whose rows count, in order: the bot itself (which writes its own), then, for the
    default bot, SINGLE_BOT (the rows carried over from before bots had names)."""

    def __init__(self, db: Database, bots: Sequence[str] = (SINGLE_BOT,)) -> None:
        self._db = db
        self.bots = tuple(bots) or (SINGLE_BOT,)

    @property
    def bot(self) -> str:
        """The bot whose knowledge this is."""
        return self.bots[0]

    async def mark(self, user_id: int, can_write: bool, reason: str | None = None) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO reach(messenger, bot, account, can_write, reason, updated_at) "
                "VALUES ('max', ?, ?, ?, ?, ?) "
                "ON CONFLICT(messenger, bot, account) DO UPDATE SET can_write = excluded.can_write, "
                "reason = excluded.reason, updated_at = excluded.updated_at",
                (self.bot, user_id, int(can_write), reason, iso()),
            )

    async def _known(self, user_id: int) -> tuple[bool, str | None] | None:
        """(can write, reason) from the first of `bots` that has a row; None when none has."""
        marks = ", ".join("?" * len(self.bots))
        async with self._db.read() as conn, conn.execute(
                f"SELECT bot, can_write, reason FROM reach WHERE messenger = 'max' AND account = ? "  # noqa: S608
                f"AND bot IN ({marks})", (user_id, *self.bots)) as cur:
            rows = {r[0]: (bool(r[1]), r[2]) for r in await cur.fetchall()}
        return next((rows[b] for b in self.bots if b in rows), None)

    async def can_write(self, user_id: int) -> bool | None:
        """True / False as last learnt; None when the bot has heard nothing of this account."""
        known = await self._known(user_id)
        return None if known is None else known[0]

    async def reason(self, user_id: int) -> str | None:
        known = await self._known(user_id)
        return None if known is None else known[1]
