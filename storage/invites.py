"""Personal deep links into MAX (table invite_links, migration 0019): issued, then redeemed once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.domain.invites import InviteIssued, InviteOutcome, Redeemed
from storage._util import iso
from storage.audit import AuditRepo
from storage.people import _people
from storage.sql import Database


class InvitesRepo:
    """Issues personal links and redeems them, each in one transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def issue(self, links: Sequence[tuple[str, int]], org_id: str | None, issued_by: int | None,
                    now: dt.datetime, expires: dt.datetime) -> list[InviteIssued]:
        """Store (token, person_id) links; each person's earlier unused links stop working."""
        async with self._db.transaction() as conn:
            await conn.executemany(
                "UPDATE invite_links SET used_at = ?, outcome = 'replaced' WHERE person_id = ? AND used_at IS NULL",
                [(iso(now), person_id) for _, person_id in links])
            await conn.executemany(
                "INSERT INTO invite_links(token, person_id, org_id, issued_by, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(token, person_id, org_id, issued_by, iso(now), iso(expires)) for token, person_id in links])
            await AuditRepo.write_in(conn, actor_vk_id=None, actor_person_id=issued_by, org_id=org_id,
                                     action="invite_links", outcome="ok", details={"count": len(links)})
        return [InviteIssued(token=t, person_id=p, expires_at=expires) for t, p in links]

    async def redeem(self, token: str, max_id: int, now: dt.datetime) -> Redeemed:
        """Bind `max_id` to the link's person unless the link is unknown, used, expired or the
        binding would give one MAX account to two people (or a person two MAX accounts)."""
        async with self._db.transaction() as conn:
            async with conn.execute(
                    "SELECT person_id, expires_at, used_at, used_by, outcome FROM invite_links WHERE token = ?",
                    (token,)) as cur:
                row = await cur.fetchone()
            if row is None:
                return Redeemed(outcome=InviteOutcome.UNKNOWN)
            person_id, expires_at, used_at, used_by, outcome = row
            found = await _people(conn, "p.id = ?", (person_id,))
            person = found[0] if found else None
            if person is None or not person.active:
                return Redeemed(outcome=InviteOutcome.LEFT)
            if used_at is not None:
                if used_by == max_id and person.max_id == max_id:
                    return Redeemed(outcome=InviteOutcome.ALREADY, person=person)
                kind = InviteOutcome.REPLACED if outcome == "replaced" else InviteOutcome.USED
                return Redeemed(outcome=kind, person=person)
            if dt.datetime.fromisoformat(expires_at) <= now:
                return Redeemed(outcome=InviteOutcome.EXPIRED, person=person)
            if person.max_id is not None and person.max_id != max_id:
                return Redeemed(outcome=InviteOutcome.PERSON_TAKEN, person=person)
            others = [p for p in await _people(conn, "p.max_id = ? AND p.org_id IS NOT DISTINCT FROM ? AND p.id != ?",
                                               (max_id, person.org_id, person.id))]
            if any(p.active for p in others):
                return Redeemed(outcome=InviteOutcome.ACCOUNT_TAKEN, person=person)
            # A person who left keeps their history, not the account.
            await conn.execute("UPDATE people SET max_id = NULL WHERE max_id = ? AND org_id IS NOT DISTINCT FROM ? AND active = 0",
                               (max_id, person.org_id))
            await conn.execute("UPDATE people SET max_id = ?, updated_at = ? WHERE id = ?",
                               (max_id, iso(now), person.id))
            await conn.execute("UPDATE invite_links SET used_at = ?, used_by = ?, outcome = 'used' WHERE token = ?",
                               (iso(now), max_id, token))
            await AuditRepo.write_in(conn, actor_vk_id=None, actor_person_id=person.id, org_id=person.org_id,
                                     action="invite_redeemed", outcome="ok", target=str(person.id),
                                     details={"max_id": max_id})
            return Redeemed(outcome=InviteOutcome.BOUND, person=person.model_copy(update={"max_id": max_id}))
