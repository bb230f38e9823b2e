"""Dialog steps of every messenger in one table, with expiry (`bot.messaging.state.StateStore`)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from bot.messaging.state import StateKey, StateValue
from storage._util import dumps, iso
from storage.sql import Database

_KEY = "messenger = ? AND bot_id = ? AND chat_id = ? AND user_id = ? AND feature = ?"


def _key(key: StateKey) -> tuple[str, int, int, int, str]:
    return (key.messenger.value, key.bot_id, key.chat_id, key.user_id, key.feature)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ConversationStateRepo:
    """SQLite `StateStore`: a row per (messenger, bot, chat, user, feature); expired rows read as absent."""

    def __init__(self, db: Database, now: Callable[[], dt.datetime] = _utc_now) -> None:
        self._db = db
        self._now = now

    async def get(self, key: StateKey) -> StateValue | None:
        async with self._db.read() as conn, conn.execute(
            f"SELECT state, data, expires_at FROM conversation_state WHERE {_KEY} "  # noqa: S608 - constant
            "AND (expires_at IS NULL OR expires_at > ?)", (*_key(key), iso(self._now()))
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        expires = dt.datetime.fromisoformat(row[2]) if row[2] else None
        return StateValue(state=row[0], data=json.loads(row[1]), expires_at=expires)

    async def set(self, key: StateKey, state: str, data: dict[str, Any] | None = None, *,
                  ttl: dt.timedelta | None = None) -> StateValue:
        now = self._now()
        expires = now + ttl if ttl is not None else None
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO conversation_state(messenger, bot_id, chat_id, user_id, feature, state, data, "
                "expires_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(messenger, bot_id, chat_id, user_id, feature) DO UPDATE SET state = excluded.state, "
                "data = excluded.data, expires_at = excluded.expires_at, updated_at = excluded.updated_at",
                (*_key(key), state, dumps(data or {}), iso(expires) if expires else None, iso(now)),
            )
        stored = dt.datetime.fromisoformat(iso(expires)) if expires else None
        return StateValue(state=state, data=dict(data or {}), expires_at=stored)

    async def delete(self, key: StateKey) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(f"DELETE FROM conversation_state WHERE {_KEY}", _key(key))  # noqa: S608 - constant

    async def purge_expired(self) -> int:
        async with self._db.transaction() as conn:
            cur = await conn.execute("DELETE FROM conversation_state WHERE expires_at <= ?", (iso(self._now()),))
            return cur.rowcount
