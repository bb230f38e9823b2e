"""What the bot knows of writing to each account, per bot: roster people joined with `reach` (0029).

A row is (messenger, bot, account): `can_write` 1 (the bot may write) or 0 (it may not: `code` says why in
VK, `reason` in MAX); no row is unknown. VK learns it from sends (storage/outbox.py), from message_allow /
message_deny events, from messages that came in and from isMessagesFromGroupAllowed checks (here); MAX from
bot_started / bot_stopped / dialog_removed, messages and 403 answers (`MaxUsersRepo`).

Readers name the bots whose rows count, in order (`bots`): the bot itself first, then, for the default bot
of a messenger, SINGLE_BOT, under which the rows learnt before bots had names were carried over. The first
bot whose row exists wins: a bot's own, newer knowledge overrides what was carried over.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain.records import MaxReachRow, ReachRow
from storage._util import iso
from storage.people import ORG_CHUNK
from storage.sql import Connection, Database

# The single form's bot (bot.config_bots.SINGLE_BOT), under which rows learnt before bots had names are kept.
SINGLE_BOT = "main"
# The roles of a school's people (district officials belong to no school).
_SCHOOL_ROLES = ("teacher", "staff", "deputy", "director")
# Codes an isMessagesFromGroupAllowed «yes» does not clear: they are about the intent
# window and quota, not about the person's permission.
_INTENT_CODES = (943, 944)
# VK's «the person did not allow messages», when nothing more precise is known.
_NOT_ALLOWED = 901
# Rows per multi-row INSERT: 3 parameters each stays far below both backends' limits.
_PER_STATEMENT = 500


def _pair(bots: Sequence[str]) -> tuple[str, str]:
    """The bot whose rows come first and the one read when it has none (itself when there is none)."""
    if not bots:
        return SINGLE_BOT, SINGLE_BOT
    return bots[0], bots[1] if len(bots) > 1 else bots[0]


def _joins(messenger: str, column: str) -> str:
    """Two LEFT JOINs of `reach` on the account in `column`: `a` the bot's own row, `b` the fallback's."""
    return (f"LEFT JOIN reach a ON a.messenger = '{messenger}' AND a.bot = ? AND a.account = {column} "
            f"LEFT JOIN reach b ON b.messenger = '{messenger}' AND b.bot = ? AND b.account = {column} ")


# The columns of the row that counts: the bot's own when it exists, else the fallback's.
_CAN = "CASE WHEN a.account IS NOT NULL THEN a.can_write ELSE b.can_write END"
_CODE = "CASE WHEN a.account IS NOT NULL THEN a.code ELSE b.code END"
_REASON = "CASE WHEN a.account IS NOT NULL THEN a.reason ELSE b.reason END"


async def mark_reachable_in(conn: Connection, bot: str, rows: Sequence[tuple[int, str]]) -> None:
    """VK accounts `bot` may write to, as (vk_id, now) pairs, inside the caller's transaction (one statement
    per 500 accounts, since it runs after every execute; an account named twice is written once, with the
    last time)."""
    latest = list({vk_id: (vk_id, at) for vk_id, at in rows}.values())
    for start in range(0, len(latest), _PER_STATEMENT):
        part = latest[start:start + _PER_STATEMENT]
        await conn.execute(
            "INSERT INTO reach(messenger, bot, account, can_write, code, updated_at) VALUES "  # noqa: S608
            + ", ".join(["('vk', ?, ?, 1, NULL, ?)"] * len(part))
            + " ON CONFLICT(messenger, bot, account) DO UPDATE SET can_write = 1, code = NULL, "
            "updated_at = excluded.updated_at WHERE reach.can_write <> 1 OR reach.code IS NOT NULL",
            tuple(value for vk_id, at in part for value in (bot, vk_id, at)))


async def mark_unreachable_in(conn: Connection, bot: str, rows: Sequence[tuple[int, int | None, str]]) -> None:
    """VK accounts `bot` may not write to, as (vk_id, error code, now), inside the caller's transaction."""
    await conn.executemany(
        "INSERT INTO reach(messenger, bot, account, can_write, code, updated_at) VALUES ('vk', ?, ?, 0, ?, ?) "
        "ON CONFLICT(messenger, bot, account) DO UPDATE SET can_write = 0, code = excluded.code, "
        "updated_at = excluded.updated_at",
        [(bot, vk_id, code, at) for vk_id, code, at in rows],
    )


def _reach_row(r: Sequence[Any]) -> ReachRow:
    """(id, full_name, role, vk_id, can_write, code) as a `ReachRow`."""
    return ReachRow(person_id=r[0], full_name=r[1], role=r[2], vk_id=r[3],
                    can_message=None if r[4] is None else bool(r[4]),
                    code=(r[5] if r[5] is not None else _NOT_ALLOWED) if r[4] == 0 else None)


class ReachRepo:
    """Reads of reachability per school and bot, and its updates from events and checks."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def people(self, org_id: str, person_ids: Sequence[int] | None = None, *,
                     bots: Sequence[str] = (SINGLE_BOT,)) -> list[ReachRow]:
        """The school's active people (all, or those of `person_ids`) with whether `bots` may write to them."""
        sql = (
            f"SELECT p.id, p.full_name, p.role, p.vk_id, {_CAN}, {_CODE} "  # noqa: S608 - fixed parts
            f"FROM people p {_joins('vk', 'p.vk_id')}"
            "WHERE p.org_id = ? AND p.active = 1 AND p.role IN (?, ?, ?, ?) "
            "ORDER BY p.full_name, p.id"
        )
        async with self._db.read() as conn, conn.execute(sql, (*_pair(bots), org_id, *_SCHOOL_ROLES)) as cur:
            rows = await cur.fetchall()
        wanted = set(person_ids) if person_ids is not None else None
        return [_reach_row(r) for r in rows if wanted is None or r[0] in wanted]

    async def people_of(self, org_ids: Sequence[str], *, bots: Sequence[str] = (SINGLE_BOT,)
                        ) -> dict[str, list[ReachRow]]:
        """`people` of several schools whose people `bots` write to (a regional wave): one query per
        `ORG_CHUNK` schools, each school's rows in `people`'s order."""
        found: dict[str, list[ReachRow]] = {org_id: [] for org_id in org_ids}
        wanted = list(found)
        async with self._db.read() as conn:
            for start in range(0, len(wanted), ORG_CHUNK):
                chunk = wanted[start:start + ORG_CHUNK]
                sql = (
                    f"SELECT p.org_id, p.id, p.full_name, p.role, p.vk_id, {_CAN}, {_CODE} "  # noqa: S608 - fixed parts
                    f"FROM people p {_joins('vk', 'p.vk_id')}"
                    f"WHERE p.org_id IN ({','.join('?' * len(chunk))}) AND p.active = 1 AND p.role IN (?, ?, ?, ?) "
                    "ORDER BY p.full_name, p.id"
                )
                async with conn.execute(sql, (*_pair(bots), *chunk, *_SCHOOL_ROLES)) as cur:
                    for r in await cur.fetchall():
                        found[r[0]].append(_reach_row(r[1:]))
        return found

    async def to_check(self, org_id: str, *, everyone: bool = False, bots: Sequence[str] = (SINGLE_BOT,)) -> list[int]:
        """VK ids of the school's bound people whose reachability through `bots` is unknown or negative."""
        sql = (
            f"SELECT DISTINCT p.vk_id FROM people p {_joins('vk', 'p.vk_id')}"  # noqa: S608 - fixed parts
            "WHERE p.org_id = ? AND p.active = 1 AND p.vk_id IS NOT NULL "
            f"AND (? = 1 OR ({_CAN}) IS DISTINCT FROM 1) ORDER BY p.vk_id"
        )
        async with self._db.read() as conn, conn.execute(sql, (*_pair(bots), org_id, int(everyone))) as cur:
            return [int(r[0]) for r in await cur.fetchall()]

    async def apply_checks(self, results: Sequence[tuple[int, bool]], *, bot: str = SINGLE_BOT) -> None:
        """Record isMessagesFromGroupAllowed answers of `bot` as (vk_id, allowed), in one transaction."""
        now = iso()
        async with self._db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO reach(messenger, bot, account, can_write, updated_at) VALUES ('vk', ?, ?, 1, ?) "
                "ON CONFLICT(messenger, bot, account) DO UPDATE SET "
                "can_write = CASE WHEN reach.code IN (?, ?) THEN reach.can_write ELSE 1 END, "
                "code = CASE WHEN reach.code IN (?, ?) THEN reach.code ELSE NULL END, "
                "updated_at = excluded.updated_at",
                [(bot, vk_id, now, *_INTENT_CODES, *_INTENT_CODES) for vk_id, ok in results if ok],
            )
            # «Not allowed» keeps a recorded 902 (the person forbade messages); otherwise 901.
            await conn.executemany(
                "INSERT INTO reach(messenger, bot, account, can_write, code, updated_at) VALUES ('vk', ?, ?, 0, ?, ?) "
                "ON CONFLICT(messenger, bot, account) DO UPDATE SET can_write = 0, "
                "code = CASE WHEN reach.code = 902 THEN 902 ELSE excluded.code END, "
                "updated_at = excluded.updated_at",
                [(bot, vk_id, _NOT_ALLOWED, now) for vk_id, ok in results if not ok],
            )

    async def allow(self, vk_id: int, *, bot: str = SINGLE_BOT) -> None:
        """message_allow: the person allowed the messages of community `bot`."""
        async with self._db.transaction() as conn:
            await mark_reachable_in(conn, bot, [(vk_id, iso())])

    async def wrote(self, vk_id: int, *, bot: str = SINGLE_BOT) -> None:
        """The person wrote to community `bot`: it may answer them."""
        await self.allow(vk_id, bot=bot)

    async def deny(self, vk_id: int, *, bot: str = SINGLE_BOT) -> None:
        """message_deny: the person forbade the messages of community `bot` (as VK's 902)."""
        async with self._db.transaction() as conn:
            await mark_unreachable_in(conn, bot, [(vk_id, 902, iso())])

    async def max_people(self, org_id: str, *, bots: Sequence[str] = (SINGLE_BOT,)) -> list[MaxReachRow]:
        """The school's active people with their MAX account and what MAX told `bots` of it."""
        sql = (
            f"SELECT p.id, p.full_name, p.max_id, {_CAN}, {_REASON} "  # noqa: S608 - fixed parts
            f"FROM people p {_joins('max', 'p.max_id')}"
            "WHERE p.org_id = ? AND p.active = 1 AND p.role IN (?, ?, ?, ?) ORDER BY p.full_name, p.id"
        )
        async with self._db.read() as conn, conn.execute(sql, (*_pair(bots), org_id, *_SCHOOL_ROLES)) as cur:
            rows = await cur.fetchall()
        return [MaxReachRow(person_id=r[0], full_name=r[1], max_id=r[2],
                            can_write=None if r[3] is None else bool(r[3]), reason=r[4]) for r in rows]
