"""Webhook mode (production): an aiohttp endpoint on a local port behind a reverse proxy with HTTPS on 443.

Each POST is checked for the `X-Max-Bot-Api-Secret` header, written to the inbox, and only then
answered 200; the updates are handled from the inbox afterwards (one at a time, in order), so an
update MAX delivered is never lost, and one it delivers again (its retries) is handled once.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.max.bridge import UPDATE_TYPES
from bot.max.client import MaxClient
from bot.max.polling import PREFIX, event_id, order_key
from storage.runtime import InboxRepo

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Max-Bot-Api-Secret"


async def subscribe(client: MaxClient, url: str, secret: str) -> None:
    """Subscribe `url` (other subscriptions of this bot are removed: one endpoint gets the updates)."""
    found = await client.call("GET", "/subscriptions")
    for item in found.get("subscriptions") or []:
        other = item.get("url") if isinstance(item, dict) else None
        if isinstance(other, str) and other != url:
            await client.call("DELETE", "/subscriptions", params={"url": other})
    await client.call("POST", "/subscriptions", body={"url": url, "update_types": list(UPDATE_TYPES),
                                                      "secret": secret})


class MaxWebhook:
    """The endpoint: stores updates, then wakes `drain` (which handles what the inbox holds)."""

    def __init__(self, inbox: InboxRepo, secret: str, path: str, drain: Callable[[], Awaitable[Any]], *,
                 prefix: str = PREFIX) -> None:
        self._inbox = inbox
        self._prefix = prefix
        self._secret = secret.encode()
        self.path = path
        self._drain = drain
        self._wakeup = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(self.path, self.receive)
        return app

    async def receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            log.warning("запрос на вебхук MAX без верного секрета с %s", request.remote)
            return web.Response(status=403, text="wrong secret")
        try:
            update = json.loads(await request.read())
        except ValueError:
            return web.Response(status=400, text="not json")
        if not isinstance(update, dict):
            return web.Response(status=400, text="not an update")
        # Stored before the 200: from here on the update survives a crash.
        await self._inbox.store([(event_id(update, self._prefix), str(update.get("update_type")), order_key(update), update)],
                                None)
        self._wakeup.set()
        return web.Response(text="ok")

    async def start(self, host: str, port: int, *, shared: bool = False) -> None:
        """Listen on host:port (before subscribing, so the first delivery finds the endpoint); `shared`:
        several workers on this machine listen on the same port and the system spreads requests among them."""
        self._runner = web.AppRunner(self.app())
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port, reuse_port=shared or None).start()

    async def handle_forever(self) -> None:
        """Handle what the inbox holds, then each stored update as it comes, until cancelled."""
        await self._drain()
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            await self._drain()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
