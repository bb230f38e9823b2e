"""Who in a school the community can write to: roster people joined with `vk_users`.

`vk_users.can_message` is 1 (allowed), 0 (not: the code says why) or NULL (unknown).
It is learnt from sends (storage/outbox.py), from message_allow / message_deny events
and from messages.isMessagesFromGroupAllowed checks (here).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.records import MaxReachRow, ReachRow
from storage._util import iso
from storage.sql import Database

# The roles of a school's people (district officials belong to no school).
_SCHOOL_ROLES = ("teacher", "staff", "deputy", "director")
# Codes an isMessagesFromGroupAllowed «yes» does not clear: they are about the intent
# window and quota, not about the person's permission.
_INTENT_CODES = (943, 944)


class ReachRepo:
    """Reads of reachability per school and its updates from events and checks."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def people(self, org_id: str, person_ids: Sequence[int] | None = None) -> list[ReachRow]:
        """The school's active people (all, or those of `person_ids`) with their reachability."""
        sql = (
            "SELECT p.id, p.full_name, p.role, p.vk_id, u.can_message, u.unreachable_code "
            "FROM people p LEFT JOIN vk_users u ON u.vk_id = p.vk_id "
            "WHERE p.org_id = ? AND p.active = 1 AND p.role IN (?, ?, ?, ?) "
            "ORDER BY p.full_name, p.id"
        )
        async with self._db.read() as conn, conn.execute(sql, (org_id, *_SCHOOL_ROLES)) as cur:
            rows = await cur.fetchall()
        wanted = set(person_ids) if person_ids is not None else None
        return [
            ReachRow(person_id=r[0], full_name=r[1], role=r[2], vk_id=r[3],
                     can_message=None if r[4] is None else bool(r[4]),
                     code=(r[5] if r[5] is not None else 901) if r[4] == 0 else None)
            for r in rows if wanted is None or r[0] in wanted
        ]

    async def to_check(self, org_id: str, *, everyone: bool = False) -> list[int]:
        """VK ids of the school's bound people whose reachability is unknown or negative."""
        sql = (
            "SELECT DISTINCT p.vk_id FROM people p LEFT JOIN vk_users u ON u.vk_id = p.vk_id "
            "WHERE p.org_id = ? AND p.active = 1 AND p.vk_id IS NOT NULL "
            "AND (? = 1 OR u.can_message IS DISTINCT FROM 1) ORDER BY p.vk_id"
        )
        async with self._db.read() as conn, conn.execute(sql, (org_id, int(everyone))) as cur:
            return [int(r[0]) for r in await cur.fetchall()]

    async def apply_checks(self, results: Sequence[tuple[int, bool]]) -> None:
        """Record isMessagesFromGroupAllowed answers as (vk_id, allowed), in one transaction."""
        now = iso()
        allowed = [(vk_id, now) for vk_id, ok in results if ok]
        refused = [(vk_id, now) for vk_id, ok in results if not ok]
        async with self._db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO vk_users(vk_id, can_message, updated_at) VALUES (?, 1, ?) "
                "ON CONFLICT(vk_id) DO UPDATE SET "
                "can_message = CASE WHEN vk_users.unreachable_code IN (?, ?) THEN vk_users.can_message ELSE 1 END, "
                "unreachable_code = CASE WHEN vk_users.unreachable_code IN (?, ?) "
                "THEN vk_users.unreachable_code ELSE NULL END, "
                "updated_at = excluded.updated_at",
                [(vk_id, at, *_INTENT_CODES, *_INTENT_CODES) for vk_id, at in allowed],
            )
            # «Not allowed» keeps a recorded 902 (the person forbade messages); otherwise 901.
            await conn.executemany(
                "INSERT INTO vk_users(vk_id, can_message, unreachable_code, updated_at) VALUES (?, 0, 901, ?) "
                "ON CONFLICT(vk_id) DO UPDATE SET can_message = 0, "
                "unreachable_code = CASE WHEN vk_users.unreachable_code = 902 THEN 902 ELSE 901 END, "
                "updated_at = excluded.updated_at",
                refused,
            )

    async def allow(self, vk_id: int) -> None:
        """message_allow: the person allowed the community's messages."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO vk_users(vk_id, can_message, updated_at) VALUES (?, 1, ?) "
                "ON CONFLICT(vk_id) DO UPDATE SET can_message = 1, unreachable_code = NULL, "
                "updated_at = excluded.updated_at",
                (vk_id, iso()),
            )

    async def deny(self, vk_id: int) -> None:
        """message_deny: the person forbade the community's messages (as VK's 902)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO vk_users(vk_id, can_message, unreachable_code, updated_at) VALUES (?, 0, 902, ?) "
                "ON CONFLICT(vk_id) DO UPDATE SET can_message = 0, unreachable_code = 902, "
                "updated_at = excluded.updated_at",
                (vk_id, iso()),
            )

    async def max_people(self, org_id: str) -> list[MaxReachRow]:
        """The school's active people with their MAX account and what max_users says of it."""
        sql = (
            "SELECT p.id, p.full_name, p.max_id, u.can_write, u.reason "
            "FROM people p LEFT JOIN max_users u ON u.user_id = p.max_id "
            "WHERE p.org_id = ? AND p.active = 1 AND p.role IN (?, ?, ?, ?) ORDER BY p.full_name, p.id"
        )
        async with self._db.read() as conn, conn.execute(sql, (org_id, *_SCHOOL_ROLES)) as cur:
            rows = await cur.fetchall()
        return [MaxReachRow(person_id=r[0], full_name=r[1], max_id=r[2],
                            can_write=None if r[3] is None else bool(r[3]), reason=r[4]) for r in rows]
