"""Imports held for a deputy's confirmation (`import_confirmations`)."""

from __future__ import annotations

import json
from typing import Any

from bot.messaging.events import Identity, Messenger
from bot.stores.imports import ImportConfirmation
from storage._util import dumps, iso
from storage.sql import Connection, Database, Row, insert_id


def _confirmation(r: Row) -> ImportConfirmation:
    actor = Identity(messenger=Messenger(r["actor_messenger"]), external_id=r["actor_id"])
    return ImportConfirmation(id=r["id"], org_id=r["org_id"], actor=actor, kind=r["kind"],
                              file_name=r["file_name"], source=r["source"], size=r["size"],
                              preview=json.loads(r["preview"]), status=r["status"])


class ConfirmationRepo:
    """Held imports in SQLite; each leaves 'open' once (applied, cancelled or superseded)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def hold(self, *, org_id: str | None, actor: Identity, kind: str, file_name: str, source: str,
                   size: int, preview: dict[str, Any]) -> int:
        """Keep an import for confirmation; the account's earlier open one is superseded. Returns its id."""
        async with self._db.transaction() as conn:
            now = iso()
            await conn.execute(
                "UPDATE import_confirmations SET status = 'superseded', closed_at = ? "
                "WHERE actor_messenger = ? AND actor_id = ? AND status = 'open'",
                (now, actor.messenger.value, actor.external_id))
            new_id = await insert_id(
                conn, "INSERT INTO import_confirmations(org_id, actor_messenger, actor_id, kind, file_name, source, "
                "size, preview, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (org_id, actor.messenger.value, actor.external_id, kind, file_name, source, size, dumps(preview),
                 now))
            return new_id or 0

    async def get(self, confirmation_id: int) -> ImportConfirmation | None:
        """One held import (any status)."""
        async with self._db.read() as conn, conn.execute(
            "SELECT * FROM import_confirmations WHERE id = ?", (confirmation_id,)
        ) as cur:
            row = await cur.fetchone()
        return _confirmation(row) if row else None

    @staticmethod
    async def close_in(conn: Connection, confirmation_id: int, actor: Identity, status: str) -> bool:
        """Close an open held import of this account ('applied', 'cancelled'); False if it was not open."""
        cur = await conn.execute(
            "UPDATE import_confirmations SET status = ?, closed_at = ? WHERE id = ? AND actor_messenger = ? "
            "AND actor_id = ? AND status = 'open'",
            (status, iso(), confirmation_id, actor.messenger.value, actor.external_id))
        return cur.rowcount == 1

    async def close(self, confirmation_id: int, actor: Identity, status: str) -> bool:
        """`close_in` in its own transaction."""
        async with self._db.transaction() as conn:
            return await self.close_in(conn, confirmation_id, actor, status)
