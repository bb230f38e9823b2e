"""Binding requests: a VK or MAX account asks to be a roster person; a deputy (on either messenger) decides."""

from __future__ import annotations

from bot.domain.records import BindingRequest
from bot.messaging.events import Identity, Messenger
from storage._util import iso
from storage.audit import AuditRepo
from storage.reach import mark_reachable_in
from storage.sql import Database, insert_id

_COLS = "id, vk_id, org_id, typed_name, person_id, status, messenger"
# The people column that holds an account of each messenger.
ACCOUNT_COLUMN = {"vk": "vk_id", "max": "max_id"}


def _req(r: tuple[object, ...]) -> BindingRequest:
    return BindingRequest(id=r[0], vk_id=r[1], org_id=r[2], typed_name=r[3], person_id=r[4], status=r[5],
                          messenger=r[6])


class IdentityRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create_request(self, vk_id: int, org_id: str | None, typed_name: str,
                             person_id: int | None, messenger: str = "vk") -> BindingRequest:
        """A new pending request; an earlier pending one from the same account is cancelled."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE binding_requests SET status = 'cancelled', decided_at = ? "
                "WHERE vk_id = ? AND messenger = ? AND status = 'pending'", (iso(), vk_id, messenger))
            new_id = await insert_id(
                conn, "INSERT INTO binding_requests(vk_id, org_id, typed_name, person_id, created_at, messenger) "
                "VALUES (?, ?, ?, ?, ?, ?)", (vk_id, org_id, typed_name, person_id, iso(), messenger))
            return BindingRequest(id=new_id or 0, vk_id=vk_id, org_id=org_id,
                                  typed_name=typed_name, person_id=person_id, status="pending",
                                  messenger=messenger)

    async def get(self, request_id: int) -> BindingRequest | None:
        async with self._db.read() as conn, conn.execute(
            f"SELECT {_COLS} FROM binding_requests WHERE id = ?", (request_id,)  # noqa: S608 - fixed columns
        ) as cur:
            row = await cur.fetchone()
        return _req(tuple(row)) if row else None

    async def pending_for(self, vk_id: int, messenger: str = "vk") -> BindingRequest | None:
        async with self._db.read() as conn, conn.execute(
            f"SELECT {_COLS} FROM binding_requests WHERE vk_id = ? AND messenger = ? "  # noqa: S608
            "AND status = 'pending' ORDER BY id DESC LIMIT 1", (vk_id, messenger)
        ) as cur:
            row = await cur.fetchone()
        return _req(tuple(row)) if row else None

    async def decide(self, request_id: int, approve: bool, decided_by: int, org_id: str | None, *,
                     decided_by_vk: bool = True) -> bool:
        """Approve (binding the account) or reject a pending request, audited, in one transaction.

        Returns False when the request was no longer pending (decided twice, cancelled).
        """
        async with self._db.transaction() as conn:
            async with conn.execute(
                "SELECT vk_id, person_id, messenger FROM binding_requests WHERE id = ? AND status = 'pending'",
                (request_id,)) as cur:
                row = await cur.fetchone()
            if row is None:
                return False
            vk_id, person_id, messenger = row
            column = ACCOUNT_COLUMN[messenger]
            decider = Identity(messenger=Messenger.VK if decided_by_vk else Messenger.MAX, external_id=decided_by)
            await conn.execute(
                "UPDATE binding_requests SET status = ?, decided_by = ?, decided_by_messenger = ?, decided_at = ? "
                "WHERE id = ?",
                ("approved" if approve else "rejected", decided_by, decider.messenger.value, iso(), request_id))
            if approve and person_id is not None:
                # The account moves to this person: nobody else in the school keeps it.
                await conn.execute(f"UPDATE people SET {column} = NULL WHERE {column} = ? "  # noqa: S608 - fixed
                                   "AND org_id IS NOT DISTINCT FROM ?", (vk_id, org_id))
                await conn.execute(f"UPDATE people SET {column} = ?, updated_at = ? WHERE id = ?",  # noqa: S608
                                   (vk_id, iso(), person_id))
            # The decider's account is the audit line's actor (actor_vk_id or actor_max_id), which forget clears.
            await AuditRepo.write_in(conn, actor=decider, org_id=org_id,
                                     action="approve_binding" if approve else "reject_binding",
                                     outcome="ok", target=str(request_id),
                                     details={column: vk_id, "person_id": person_id})
            return True

    async def note_user(self, vk_id: int, first_name: str | None = None, last_name: str | None = None,
                        *, wrote: bool = False, bot: str = "main") -> None:
        """Remember a VK account; one that wrote to community `bot` can be messaged through it."""
        now = iso()
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO vk_users(vk_id, first_name, last_name, last_message_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(vk_id) DO UPDATE SET "
                "first_name = COALESCE(excluded.first_name, vk_users.first_name), "
                "last_name = COALESCE(excluded.last_name, vk_users.last_name), "
                "last_message_at = COALESCE(excluded.last_message_at, vk_users.last_message_at), "
                "updated_at = excluded.updated_at",
                (vk_id, first_name, last_name, now if wrote else None, now),
            )
            if wrote:
                await mark_reachable_in(conn, bot, [(vk_id, now)])
