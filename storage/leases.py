"""PostgreSQL session advisory locks that decide which single worker runs a role (the scheduler, the
reader of one VK community's or one MAX bot's updates).

Each lock lives on a connection of its own: the server frees it the moment that connection ends, so a
killed worker's roles are free at once; TCP keepalives (on both sides) end the session of a machine that
vanished within about 20 s. The key is two int4s from stable names: hashtext('sferum-bot') and hashtext(name).
"""

from __future__ import annotations

import logging
from contextlib import suppress
from typing import Any

import psycopg
from psycopg import AsyncConnection

log = logging.getLogger(__name__)

NAMESPACE = "sferum-bot"


class AdvisoryLock:
    """`pg_try_advisory_lock(hashtext('sferum-bot'), hashtext(name))` held on a connection of its own."""

    def __init__(self, url: str, name: str, *, connect_timeout: int = 10) -> None:
        self.url = url
        self.name = name
        self._connect_timeout = connect_timeout
        self._conn: AsyncConnection[Any] | None = None

    async def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; False when another session does (or the server is unreachable)."""
        try:
            if self._conn is None or self._conn.closed:
                # A dead peer is noticed after idle + interval × count = 20 s without an answer: by this
                # worker (libpq's keepalives) and by the server (its own, set for this session in `options`),
                # which then ends the session and frees the lock for a standby.
                self._conn = await AsyncConnection.connect(
                    self.url, autocommit=True, connect_timeout=self._connect_timeout,
                    keepalives=1, keepalives_idle=5, keepalives_interval=5, keepalives_count=3,
                    options="-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3")
            cur = await self._conn.execute("SELECT pg_try_advisory_lock(hashtext(%s), hashtext(%s))",
                                           (NAMESPACE, self.name))
            row = await cur.fetchone()
        except psycopg.Error as exc:
            log.warning("PostgreSQL: не удалось взять блокировку %s: %s", self.name, exc)
            await self._drop()
            return False
        held = bool(row and row[0])
        if not held:
            await self._drop()  # a standby keeps no connection open between tries
        return held

    async def still_held(self) -> bool:
        """Whether the session holding the lock is still alive (a lost connection has lost the lock)."""
        if self._conn is None or self._conn.closed:
            return False
        try:
            await self._conn.execute("SELECT 1")
        except psycopg.Error:
            await self._drop()
            return False
        return True

    async def release(self) -> None:
        """Give the lock up (ending the session frees it too)."""
        if self._conn is not None and not self._conn.closed:
            with suppress(psycopg.Error):
                await self._conn.execute("SELECT pg_advisory_unlock(hashtext(%s), hashtext(%s))",
                                         (NAMESPACE, self.name))
        await self._drop()

    async def _drop(self) -> None:
        if self._conn is not None:
            with suppress(psycopg.Error):
                await self._conn.close()
        self._conn = None
