"""Received files fetched over HTTP with a cap: the bytes, too large, and a failed request."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.downloads import fetch
from bot.ports import FileTooLarge, RetryLater

BODY = b"x" * 300_000


@pytest.fixture
async def server() -> AsyncIterator[str]:
    """A local file host on 127.0.0.1: /f serves BODY, anything else is 404."""

    async def serve(request: web.Request) -> web.Response:
        return web.Response(body=BODY)

    app = web.Application()
    app.router.add_get("/f", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_fetch_reads_the_file_within_the_cap(server: str) -> None:
    """The whole file when it fits; FileTooLarge as soon as its bytes run over the cap."""
    assert await fetch(f"{server}/f", len(BODY)) == BODY
    with pytest.raises(FileTooLarge):
        await fetch(f"{server}/f", 1000)


async def test_fetch_failures_are_typed(server: str) -> None:
    """A 404, a closed port and a reference that is no URL: RetryLater, never an aiohttp error."""
    for url in (f"{server}/missing", "http://127.0.0.1:9/f", "doc123_456"):
        with pytest.raises(RetryLater):
            await fetch(url, 10**6)
