"""Consents to the processing of personal data: who accepted which text, and when."""

from __future__ import annotations

import datetime as dt
from typing import Any

from storage._util import iso
from storage.sql import Database


class ConsentRepo:
    """The `privacy_consents` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def accepted(self, vk_id: int, text_version: str, messenger: str = "vk") -> bool:
        """Whether this account (of `messenger`) accepted this version of the text."""
        async with self._db.read() as conn, conn.execute(
            "SELECT 1 FROM privacy_consents WHERE messenger = ? AND vk_id = ? AND text_version = ?",
            (messenger, vk_id, text_version),
        ) as cur:
            return await cur.fetchone() is not None

    async def record(self, vk_id: int, org_id: str | None, text_version: str, at: dt.datetime,
                     messenger: str = "vk") -> bool:
        """Record an acceptance; False when this version was accepted already (the first time stays)."""
        async with self._db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO privacy_consents(messenger, vk_id, org_id, text_version, accepted_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(messenger, vk_id, text_version) DO NOTHING",
                (messenger, vk_id, org_id, text_version, iso(at)),
            )
            return bool(cur.rowcount)

    async def of(self, vk_id: int, messenger: str = "vk") -> list[dict[str, Any]]:
        """Every acceptance of this account (of `messenger`), oldest first."""
        async with self._db.read() as conn, conn.execute(
            "SELECT vk_id, org_id, text_version, accepted_at FROM privacy_consents WHERE messenger = ? "
            "AND vk_id = ? ORDER BY accepted_at", (messenger, vk_id)
        ) as cur:
            return [dict(zip(("vk_id", "org_id", "text_version", "accepted_at"), r, strict=True))
                    for r in await cur.fetchall()]
