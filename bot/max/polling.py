"""Long polling for small installs and development: the webhook subscription removed first, each
batch of updates written to the inbox together with the new `marker`, then handled one by one.

A restart goes on from the marker kept in the database and first handles what the inbox still
holds, so an update is neither lost nor handled twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.max.bridge import UPDATE_TYPES
from bot.max.client import MaxClient
from bot.ports import PortFailure, RateLimited, RetryLater
from bot.ratelimit import Backoff
from storage.runtime import InboxEvent, InboxRepo

log = logging.getLogger(__name__)

MARKER_KEY = "max_marker"
PREFIX = "max:"

JSON = dict[str, Any]
Handle = Callable[[JSON], Awaitable[Any]]


def event_id(update: JSON, prefix: str = PREFIX) -> str:
    """MAX updates carry no id: a digest of the whole update stands for one (a replay is the same).
    `prefix` keeps a further bot's updates apart (`max.<name>:`)."""
    text = json.dumps(update, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return prefix + hashlib.sha256(text.encode()).hexdigest()[:32]


def order_key(update: JSON) -> str:
    """Who the update is about (one person's or one chat's updates are handled in order)."""
    for path in (("message", "sender", "user_id"), ("callback", "user", "user_id"), ("user", "user_id"),
                 ("chat_id",)):
        value: Any = update
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            return f"max:{value}"
    return "max:-"


async def unsubscribe_all(client: MaxClient) -> int:
    """Remove every webhook subscription (long polling does not work while one is active)."""
    found = await client.call("GET", "/subscriptions")
    removed = 0
    for item in found.get("subscriptions") or []:
        url = item.get("url") if isinstance(item, dict) else None
        if isinstance(url, str):
            await client.call("DELETE", "/subscriptions", params={"url": url})
            removed += 1
    return removed


class MaxPoller:
    """GET /updates into the inbox, and the inbox into `handle`."""

    def __init__(self, client: MaxClient, inbox: InboxRepo, handle: Handle, *, timeout: int = 30,
                 limit: int = 100, backoff: Backoff | None = None,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep, prefix: str = PREFIX) -> None:
        self.client = client
        # A further bot's updates and marker are kept apart under its own prefix (`max.<name>:`).
        self.prefix = prefix
        self.marker_key = MARKER_KEY if prefix == PREFIX else f"{prefix}{MARKER_KEY}"
        self.inbox = inbox
        self._handle = handle
        self.timeout = timeout
        self.limit = limit
        # 1 s, 2 s, 4 s … up to a minute, as the official TS client waits between failed polls.
        self.backoff = backoff or Backoff(base=1.0, cap=60.0)
        self._sleep = sleep
        self._stopping = False
        self.handled = 0
        # The update being handled: a stop does not cut it short (see `drain_inbox` and `settle`).
        self._current: asyncio.Task[None] | None = None
        # Several workers on PostgreSQL: `storage.claims.InboxClaims` of this worker (None: it alone handles).
        self.claims: Any = None
        # Several workers: whether this worker still polls this bot (`bot.ops.leader.still_holding`), asked
        # before a fetched batch is stored; None: it alone polls.
        self.still_ours: Callable[[], Awaitable[bool]] | None = None
        self._lost = False
        self._draining = asyncio.Lock()

    def stop(self) -> None:
        self._stopping = True

    async def marker(self) -> int | None:
        value = await self.inbox.get_value(self.marker_key)
        return int(value) if value else None

    async def run(self) -> None:
        """Unsubscribe, finish what the inbox holds, then poll until `stop()`."""
        await self._retrying(lambda: unsubscribe_all(self.client))
        await self.drain_inbox()
        self._lost = False
        while not self._stopping and not self._lost:
            await self.poll_once()

    async def _retrying(self, call: Callable[[], Awaitable[Any]]) -> Any:
        while True:
            try:
                result = await call()
                self.backoff.reset()
                return result
            except (RetryLater, RateLimited) as exc:
                delay = self.backoff.next_delay()
                log.warning("MAX недоступен (%s); повтор через %.1f с", exc, delay)
                await self._sleep(delay)

    async def poll_once(self) -> int:
        """One long poll: store the batch with its marker, then handle it; the number of updates."""
        marker = await self.marker()

        async def fetch() -> JSON:
            return await self.client.call("GET", "/updates", wait=self.timeout + 10,
                                          params={"marker": marker, "timeout": self.timeout, "limit": self.limit,
                                                  "types": ",".join(UPDATE_TYPES)})

        answer = await self._retrying(fetch)
        updates = [u for u in answer.get("updates") or [] if isinstance(u, dict)]
        new_marker = answer.get("marker")
        events = [(event_id(u, self.prefix), str(u.get("update_type")), order_key(u), u) for u in updates]
        if self.still_ours is not None and not await self.still_ours():
            # The lock was lost while waiting: the new holder polls from the stored marker (nothing is lost).
            log.warning("MAX: другой процесс теперь получает обновления бота; этот перестал")
            self._lost = True
            return 0
        await self.inbox.store(events, str(new_marker) if new_marker is not None else None, ts_key=self.marker_key)
        await self.drain_inbox()
        return len(updates)

    async def drain_inbox(self) -> None:
        """Handle every MAX update the inbox holds, oldest first; a failing handler fails only its update.

        Each update is handled in a task of its own, shielded: when polling is cancelled (a stop) the
        update in hand is still finished and marked handled (`settle` waits for it), instead of being
        cut off after its answer went out and handled again, answered twice, after the restart.
        With several workers (`claims` set) each takes the updates it claimed, a person's in order, until
        none is left that it may take.
        """
        async with self._draining:
            if self.claims is None:
                for item in await self.inbox.pending(prefix=self.prefix):
                    await self._run_one(item)
                return
            while items := await self.claims.claim(self.prefix):
                for item in items:
                    await self._run_one(item)

    async def _run_one(self, item: InboxEvent) -> None:
        self._current = asyncio.create_task(self._handle_one(item))
        await asyncio.shield(self._current)

    async def _handle_one(self, item: InboxEvent) -> None:
        await self.inbox.start(item.id)
        error: str | None = None
        try:
            await self._handle(item.body)
        except PortFailure as exc:
            error = f"{exc.__class__.__name__}: {exc}"[:200]
            log.warning("MAX: обновление %s не обработано: %s", item.event_id, error)
        except Exception as exc:
            error = exc.__class__.__name__
            log.error("ошибка в обработчике обновления MAX", exc_info=True)
        await self.inbox.finish(item.id, error)
        self.handled += 1

    async def settle(self) -> None:
        """Wait until the update in hand (if any) is handled: a clean stop finishes it."""
        if self._current is not None:
            await asyncio.gather(self._current, return_exceptions=True)

    async def abandon(self) -> None:
        """Cut the update in hand short, as a crash would (it stays in the inbox for the restart)."""
        if self._current is not None:
            self._current.cancel()
        await self.settle()
