"""The outbox: every bulk message is stored before it is sent, and marked as its messenger answers.

A row is a neutral message (text, the neutral keyboard as JSON, attachments) for one target in one
messenger (`messenger` 'vk' or 'max'); each adapter drains its own rows by its own rules.
A VK row goes pending → sent | unreachable | failed and never back (VK drops a re-send with the
same `random_id`). A MAX row goes pending → sending (stored before the POST, with the fingerprint of
what is posted) → sent | unreachable | failed, or back to pending when MAX surely did not take it; a
row left 'sending' is looked for in its chat before it is sent again (`bot/max/outbound.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from pydantic import BaseModel, ConfigDict

from storage._util import iso
from storage.reach import mark_reachable_in, mark_unreachable_in
from storage.sql import Connection, Database, Row

_COLS = (
    "id, idem_key, org_id, kind, person_id, messenger, peer_id, message, keyboard, legacy_keyboard, "
    "attachment, intent, priority, random_id, status, attempts, error_code, error_msg, message_id, cmid, "
    "batch, fingerprint, mid, sending_at, created_at, sent_at"
)
# SQLite's default limit on host parameters is far above this; it keeps IN (...) lists small.
_IN_CHUNK = 500
USER_PEER_LIMIT = 2_000_000_000
_T = TypeVar("_T")


class NewOutboxMessage(BaseModel):
    """One message (or one chunk of a split message) to store in the outbox."""

    model_config = ConfigDict(frozen=True)

    idem_key: str
    peer_id: int
    messenger: str = "vk"
    random_id: int | None = None
    message: str = ""
    keyboard: str | None = None
    attachment: str | None = None
    intent: str | None = None
    org_id: str | None = None
    kind: str = "bulk"
    person_id: int | None = None
    priority: int = 1
    # The bot that sends the row (a name from [[vk.communities]] / [[max.bots]]; "main": the single form's).
    bot: str = "main"


class OutboxRow(BaseModel):
    """A stored outbox message with its delivery state."""

    model_config = ConfigDict(frozen=True)

    id: int
    idem_key: str
    org_id: str | None
    kind: str
    person_id: int | None
    messenger: str
    peer_id: int
    message: str
    keyboard: str | None
    legacy_keyboard: str | None
    attachment: str | None
    intent: str | None
    priority: int
    random_id: int | None
    status: str
    attempts: int
    error_code: int | None
    error_msg: str | None
    message_id: int | None
    cmid: int | None
    batch: str | None
    fingerprint: str | None
    mid: str | None
    sending_at: str | None
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


def _row(r: Row) -> OutboxRow:
    # Every field is a column of its own type: the sender reads thousands of rows per wave, and
    # validating each value again stalled the loop its rate limiter runs on.
    return OutboxRow.model_construct(**{k: r[k] for k in r.keys()})  # noqa: SIM118 - sqlite3.Row has no items()


def _chunks(values: Sequence[_T], size: int = _IN_CHUNK) -> Iterable[Sequence[_T]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


class OutboxRepo:
    """The outbox table and the VK reachability it learns from sends."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def enqueue(self, messages: Sequence[NewOutboxMessage]) -> int:
        """Store messages not stored yet (ON CONFLICT DO NOTHING by idem_key) in one transaction.

        Returns how many rows were new.
        """
        async with self._db.transaction() as conn:
            return await self.enqueue_in(conn, messages)

    @staticmethod
    async def enqueue_in(conn: Connection, messages: Sequence[NewOutboxMessage]) -> int:
        """`enqueue` inside the caller's transaction (a message stored with the state it reports)."""
        now = iso()
        rows = [(m.idem_key, m.org_id, m.kind, m.person_id, m.messenger, m.peer_id, m.message, m.keyboard,
                 m.attachment, m.intent, m.priority, m.random_id, now, m.bot) for m in messages]
        if conn.dialect == "postgres" and rows:
            # One statement over arrays (rows stored in the arrays' order): a regional wave's tens of
            # thousands of messages in one round trip instead of one statement each.
            cur = await conn.execute(
                "INSERT INTO outbox(idem_key, org_id, kind, person_id, messenger, peer_id, message, keyboard, "
                "attachment, intent, priority, random_id, created_at, bot) SELECT * FROM unnest(?::text[], "
                "?::text[], ?::text[], ?::bigint[], ?::text[], ?::bigint[], ?::text[], ?::text[], ?::text[], "
                "?::text[], ?::bigint[], ?::bigint[], ?::text[], ?::text[]) ON CONFLICT DO NOTHING",
                [list(column) for column in zip(*rows, strict=True)])
            return int(cur.rowcount)
        cur = await conn.executemany(
            "INSERT INTO outbox(idem_key, org_id, kind, person_id, messenger, peer_id, message, "
            "keyboard, attachment, intent, priority, random_id, created_at, bot) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", rows)
        return int(cur.rowcount)

    async def rearm_failed(self, keys: Sequence[str]) -> int:
        """Put rows that failed back to pending (a new explicit send of the same messages).

        Safe: their random_id is unchanged, so VK drops any that did arrive after all; a MAX row that
        was ever posted goes back to 'sending', so it is looked for in its chat before it is posted again.
        Unreachable rows stay as they are. Returns how many were re-armed.
        """
        count = 0
        async with self._db.transaction() as conn:
            for part in _chunks(keys):
                marks = ",".join("?" * len(part))
                cur = await conn.execute(
                    "UPDATE outbox SET status = CASE WHEN messenger = 'max' AND sending_at IS NOT NULL "  # noqa: S608
                    "THEN 'sending' ELSE 'pending' END, attempts = 0 "
                    f"WHERE status = 'failed' AND idem_key IN ({marks})",
                    tuple(part),
                )
                count += cur.rowcount
        return count

    async def pending(self, *, after_id: int = 0, limit: int = 1000, messenger: str = "vk",
                      statuses: Sequence[str] = ("pending",), bots: Sequence[str] = ()) -> list[OutboxRow]:
        """`messenger`'s rows in `statuses` (pending by default) with id > after_id, oldest first;
        with `bots`, only the rows these bots send."""
        marks = ",".join("?" * len(statuses))
        of_bots = f" AND bot IN ({','.join('?' * len(bots))})" if bots else ""
        async with self._db.read() as conn, conn.execute(
            f"SELECT {_COLS} FROM outbox WHERE status IN ({marks}) AND messenger = ?{of_bots} AND id > ? "  # noqa: S608
            "ORDER BY id LIMIT ?",
            (*statuses, messenger, *bots, after_id, limit),
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

    async def counts(self, messenger: str | None = None, bots: Sequence[str] = ()) -> dict[str, int]:
        """How many rows are in each status (the backlog is 'pending' and 'sending'), of one messenger or all
        (with `bots`, of these bots only)."""
        where, args = ("WHERE messenger = ? ", (messenger,)) if messenger else ("", ())
        if bots:
            where = f"{where or 'WHERE '}{'AND ' if messenger else ''}bot IN ({','.join('?' * len(bots))}) "
            args = (*args, *bots)
        async with self._db.read() as conn, conn.execute(
            f"SELECT status, COUNT(*) FROM outbox {where}GROUP BY status", args  # noqa: S608 - fixed text
        ) as cur:
            return {r[0]: int(r[1]) for r in await cur.fetchall()}

    async def start_batch(self, row_ids: Sequence[int], batch: str) -> None:
        """Count one more attempt for rows about to be sent, tagged with the batch (one statement per 500 rows:
        it runs before every execute)."""
        async with self._db.transaction() as conn:
            for part in _chunks(row_ids):
                await conn.execute(
                    "UPDATE outbox SET attempts = attempts + 1, batch = ? "  # noqa: S608 - placeholders only
                    f"WHERE status = 'pending' AND id IN ({','.join('?' * len(part))})",
                    (batch, *part))

    async def record(self, results: Sequence[SendResult], *, bot: str = "main") -> None:
        """Store the results of one batch in one transaction (and what they say of reaching each person
        through `bot`, the community that sent them).

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
            for part in _chunks(sent):
                # One statement for the batch's sent rows (a statement per row was most of the database's
                # work per execute); VALUES' columns are column1… on both backends.
                await conn.execute(
                    "UPDATE outbox SET status = 'sent', message_id = v.column1, cmid = v.column2, "  # noqa: S608
                    "sent_at = v.column3, error_code = NULL, error_msg = NULL FROM (VALUES "
                    + ", ".join(["(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT))"]
                                * len(part))
                    + ") AS v WHERE outbox.id = v.column4 AND outbox.status = 'pending'",
                    tuple(value for row in part for value in row))
            await conn.executemany(
                "UPDATE outbox SET status = ?, error_code = ?, error_msg = ? "
                "WHERE id = ? AND status = 'pending'",
                other,
            )
            await mark_reachable_in(conn, bot, reachable)
            await mark_unreachable_in(conn, bot, unreachable)

    async def mark_user(self, vk_id: int, error_code: int | None, *, bot: str = "main") -> None:
        """Record what a direct send through community `bot` learnt: reachable (None) or unreachable with a code."""
        if not 0 < vk_id < USER_PEER_LIMIT:
            return
        async with self._db.transaction() as conn:
            if error_code is None:
                await mark_reachable_in(conn, bot, [(vk_id, iso())])
            else:
                await mark_unreachable_in(conn, bot, [(vk_id, error_code, iso())])

    # -- MAX: no idempotency key, so each POST is recorded before it is made --------------------

    async def mark_sending(self, row_id: int, fingerprint: str, *, held: tuple[str, int] | None = None) -> bool:
        """Commit that the row is about to be posted (with the fingerprint of what is posted); one attempt more.

        False when the row is no longer pending or sending (another pass finished it), or, with `held`
        (worker id, least lease end in ms: `storage.claims.OutboxClaims.fence`), when the row is no longer
        claimed by that worker until then (its lease ran out; another worker may be sending it).
        """
        fenced = ""
        args: tuple[str | int, ...] = ()
        if held is not None:
            fenced, args = " AND claimed_by = ? AND lease_until >= ?", held
        async with self._db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE outbox SET status = 'sending', fingerprint = ?, sending_at = ?, attempts = attempts + 1 "  # noqa: S608
                f"WHERE id = ? AND status IN ('pending', 'sending'){fenced}",
                (fingerprint, iso(), row_id, *args),
            )
            return cur.rowcount == 1

    async def finish_max(self, row_id: int, status: str, *, message_id: int | None = None, mid: str | None = None,
                         error_code: int | None = None, error_msg: str | None = None) -> bool:
        """Record what became of a MAX row ('sent' with its mid, 'unreachable', 'failed', or 'pending':
        MAX surely did not take it); a row already finished is left alone. False if nothing changed
        (or the mid is already another row's: that message cannot have delivered this one)."""
        async with self._db.transaction() as conn:
            if mid is not None:
                async with conn.execute("SELECT 1 FROM outbox WHERE mid = ? AND id != ?", (mid, row_id)) as cur:
                    if await cur.fetchone() is not None:
                        return False
            cur = await conn.execute(
                "UPDATE outbox SET status = ?, message_id = ?, mid = ?, error_code = ?, error_msg = ?, "
                "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END "
                "WHERE id = ? AND status IN ('pending', 'sending')",
                (status, message_id, mid, error_code, error_msg, status, iso(), row_id),
            )
            return cur.rowcount == 1

    async def claimed_mids(self, mids: Sequence[str]) -> set[str]:
        """Which of these MAX message ids already deliver some outbox row."""
        found: set[str] = set()
        async with self._db.read() as conn:
            for part in _chunks(mids):
                marks = ",".join("?" * len(part))
                sql = f"SELECT mid FROM outbox WHERE mid IN ({marks})"  # noqa: S608 - placeholders only
                async with conn.execute(sql, tuple(part)) as cur:
                    found.update(str(r[0]) for r in await cur.fetchall())
        return found

    async def set_dialog(self, user_id: int, chat_id: int, bot: str = "main") -> None:
        """Remember the chat id of a person's dialog with the MAX bot `bot` (MAX names it in events and answers)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO max_dialogs(bot, user_id, chat_id, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(bot, user_id) DO UPDATE SET chat_id = excluded.chat_id, updated_at = excluded.updated_at "
                "WHERE max_dialogs.chat_id != excluded.chat_id",
                (bot, user_id, chat_id, iso()),
            )

    async def dialog_of(self, user_id: int, bot: str = "main") -> int | None:
        """The chat id of the person's dialog with the MAX bot `bot`, if MAX has named it."""
        async with self._db.read() as conn, conn.execute(
                "SELECT chat_id FROM max_dialogs WHERE bot = ? AND user_id = ?", (bot, user_id)) as cur:
            row = await cur.fetchone()
        return None if row is None else int(row[0])
