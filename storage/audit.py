"""The audit log of admin actions (allowed and refused)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from storage._util import dumps, iso
from storage.sql import Connection, Database


class AuditEntry(BaseModel):
    id: int
    at: str
    actor_vk_id: int | None
    org_id: str | None
    action: str
    target: str | None
    outcome: str
    details: str


class AuditRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    @staticmethod
    async def write_in(conn: Connection, *, actor_vk_id: int | None, org_id: str | None,
                       action: str, outcome: str, target: str | None = None,
                       actor_person_id: int | None = None, details: dict[str, Any] | None = None) -> None:
        """Write one entry inside the caller's transaction."""
        await conn.execute(
            "INSERT INTO audit_log(at, actor_vk_id, actor_person_id, org_id, action, target, outcome, details) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (iso(), actor_vk_id, actor_person_id, org_id, action, target, outcome, dumps(details or {})),
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
        return [AuditEntry(id=r["id"], at=r["at"], actor_vk_id=r["actor_vk_id"], org_id=r["org_id"],
                           action=r["action"], target=r["target"], outcome=r["outcome"],
                           details=r["details"]) for r in rows]
