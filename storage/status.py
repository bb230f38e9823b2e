"""Read-only figures for `sferum-bot status`."""

from __future__ import annotations

from pydantic import BaseModel

from storage.sql import Database


class StoreStatus(BaseModel):
    last_event_at: str | None
    inbox_pending: int
    outbox_pending: int
    outbox_failed: int
    last_imports: dict[str, str]


class StatusRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def read(self) -> StoreStatus:
        """The last event, the inbox and outbox backlog, the last import per school."""
        async with self._db.read() as conn:
            async with conn.execute("SELECT max(received_at) FROM inbox") as cur:
                last_event = (await cur.fetchone() or (None,))[0]
            async with conn.execute("SELECT count(*) FROM inbox WHERE status = 'pending'") as cur:
                inbox_pending = (await cur.fetchone() or (0,))[0]
            async with conn.execute(
                "SELECT status, count(*) FROM outbox WHERE status IN ('pending', 'failed') GROUP BY status"
            ) as cur:
                outbox = {r[0]: r[1] for r in await cur.fetchall()}
            async with conn.execute(
                "SELECT org_id, max(imported_at) FROM imports WHERE org_id IS NOT NULL GROUP BY org_id"
            ) as cur:
                imports = {r[0]: r[1] for r in await cur.fetchall()}
        return StoreStatus(
            last_event_at=last_event, inbox_pending=inbox_pending,
            outbox_pending=outbox.get("pending", 0), outbox_failed=outbox.get("failed", 0),
            last_imports=imports,
        )
