"""The audit log of admin actions (allowed and refused)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from bot.messaging.events import Identity, Messenger
from storage._util import dumps, iso
from storage.sql import Connection, Database


class AuditEntry(BaseModel):
    id: int
    at: str
    actor_vk_id: int | None
    actor_max_id: int | None = None
    org_id: str | None
    action: str
    target: str | None
    outcome: str
    details: str


class AuditRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    @staticmethod
    async def write_in(conn: Connection, *, org_id: str | None, action: str, outcome: str,
                       actor_vk_id: int | None = None, actor: Identity | None = None, target: str | None = None,
                       actor_person_id: int | None = None, details: dict[str, Any] | None = None) -> None:
        """Write one entry inside the caller's transaction.

        The actor is `actor` (an account on any messenger) or, the older way, `actor_vk_id`.
        """
        max_id = None
        if actor is not None:
            actor_vk_id = actor.external_id if actor.messenger is Messenger.VK else actor_vk_id
            max_id = actor.external_id if actor.messenger is Messenger.MAX else None
        await conn.execute(
            "INSERT INTO audit_log(at, actor_vk_id, actor_max_id, actor_person_id, org_id, action, target, outcome, "
            "details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (iso(), actor_vk_id, max_id, actor_person_id, org_id, action, target, outcome, dumps(details or {})),
        )

    async def write(self, **kwargs: Any) -> None:
        """Write one entry in its own transaction."""
        async with self._db.transaction() as conn:
            await self.write_in(conn, **kwargs)

    async def recent(self, limit: int = 100, action: str | None = None) -> list[AuditEntry]:
        async with self._db.read() as conn:
            if action is None:
                cur = await conn.execute("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", (limit,))
            else:
                cur = await conn.execute(
                    "SELECT * FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT ?", (action, limit))
            rows = await cur.fetchall()
            await cur.close()
        return [AuditEntry(id=r["id"], at=r["at"], actor_vk_id=r["actor_vk_id"],
                           actor_max_id=r["actor_max_id"], org_id=r["org_id"],
                           action=r["action"], target=r["target"], outcome=r["outcome"],
                           details=r["details"]) for r in rows]
