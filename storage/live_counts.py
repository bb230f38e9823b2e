"""Live counts: messages bound roster people wrote in group chats the bot reads.

Counts only: no message text, no ids of people outside the roster are ever stored.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.models import Period
from storage.sql import Database


class LiveCountsRepo:
    """The `live_counts` table (person_id, period_start, messages)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def count_message(self, vk_id: int, period_by_org: Mapping[str, str], *, max_account: bool = False) -> int:
        """One more message for every active person bound to `vk_id`, in their school's period.

        `period_by_org` maps each school to the start of its current period (schools may
        sit in different time zones). Returns how many roster people were counted (0 for
        a stranger, whose id is not stored anywhere).
        """
        counted = 0
        async with self._db.transaction() as conn:
            for org_id, period_start in period_by_org.items():
                # `vk_id` is a MAX user id when `max_account`: then the people's max_id column matches it.
                column = "max_id" if max_account else "vk_id"
                cur = await conn.execute(
                    "INSERT INTO live_counts(person_id, period_start, messages) "  # noqa: S608 - fixed column
                    f"SELECT id, ?, 1 FROM people WHERE {column} = ? AND org_id = ? AND active = 1 "
                    "ON CONFLICT(person_id, period_start) DO UPDATE SET messages = live_counts.messages + 1",
                    (period_start, vk_id, org_id),
                )
                counted += max(cur.rowcount, 0)
        return counted

    async def messages(self, person_id: int, period: Period) -> int | None:
        """The person's count for the period; None when the bot saw nothing of theirs."""
        async with self._db.read() as conn, conn.execute(
            "SELECT messages FROM live_counts WHERE person_id = ? AND period_start = ?",
            (person_id, period.start.isoformat()),
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else None

    async def for_org(self, org_id: str, period: Period) -> dict[int, int]:
        """person id → count, for the school's people seen in the period."""
        async with self._db.read() as conn, conn.execute(
            "SELECT c.person_id, c.messages FROM live_counts c JOIN people p ON p.id = c.person_id "
            "WHERE p.org_id = ? AND c.period_start = ?",
            (org_id, period.start.isoformat()),
        ) as cur:
            return {int(r[0]): int(r[1]) for r in await cur.fetchall()}
