"""Webhooks: exclusive with long polling, the secret header, and MAX's retry schedule on the
emulator's clock (advanced, never slept)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from emulator_common.http import LoopbackServer
from max_emulator import MaxEmulator
from max_emulator.control import Control
from max_emulator.webhooks import GIVE_UP_AFTER_S, retry_delay
from tests.max_emulator.support import ANNA, PETR, Call


@dataclass
class Receiver:
    """A bot's webhook endpoint on loopback: records each POST, answers `status`."""

    url: str = ""
    status: int = 200
    received: asyncio.Queue[tuple[dict[str, Any], dict[str, str]]] = field(
        default_factory=asyncio.Queue
    )
    count: int = 0

    async def next(self) -> tuple[dict[str, Any], dict[str, str]]:
        return await asyncio.wait_for(self.received.get(), 10)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()

    async def handle(request: web.Request) -> web.Response:
        state.count += 1
        await state.received.put((await request.json(), dict(request.headers)))
        return web.Response(status=state.status)

    app = web.Application()
    app.router.add_post("/hook", handle)
    server = LoopbackServer(app)
    state.url = await server.start() + "/hook"
    try:
        yield state
    finally:
        await server.stop()


async def settle(emu: MaxEmulator) -> None:
    """Wait (bounded) until no delivery is due at the emulator's current time."""
    assert await emu.state.webhooks.wait_idle(10)


async def test_subscription_moves_updates_to_the_webhook(
    api: Call, ctl: Control, receiver: Receiver
) -> None:
    """Queued and new updates are POSTed with the secret header; polling answers 405 meanwhile."""
    ctl.start(ANNA, {})
    subscribed = await api("POST", "/subscriptions", {"url": receiver.url, "secret": "s3cret_key"})
    assert subscribed.body == {"success": True}
    update, headers = await receiver.next()
    assert update["update_type"] == "bot_started"
    assert headers["X-Max-Bot-Api-Secret"] == "s3cret_key"
    ctl.say({"user_id": ANNA, "text": "Привет"})
    update, _ = await receiver.next()
    assert update["update_type"] == "message_created"
    polling = await api("GET", "/updates", timeout=0)
    assert polling.status == 405
    listed = await api("GET", "/subscriptions")
    assert [s["url"] for s in listed.body["subscriptions"]] == [receiver.url]


async def test_unsubscribe_returns_to_polling(api: Call, ctl: Control, receiver: Receiver) -> None:
    """After DELETE /subscriptions updates queue for long polling again."""
    await api("POST", "/subscriptions", {"url": receiver.url})
    assert (await api("DELETE", "/subscriptions", url=receiver.url)).body == {"success": True}
    ctl.start(ANNA, {})
    polled = await api("GET", "/updates", timeout=0)
    assert [u["update_type"] for u in polled.body["updates"]] == ["bot_started"]
    assert (await api("GET", "/subscriptions")).body == {"subscriptions": []}


async def test_update_types_filter(api: Call, ctl: Control, receiver: Receiver) -> None:
    """A subscription with update_types gets only those."""
    await api("POST", "/subscriptions", {"url": receiver.url, "update_types": ["message_created"]})
    ctl.start(ANNA, {})
    ctl.say({"user_id": ANNA, "text": "Привет"})
    update, _ = await receiver.next()
    assert update["update_type"] == "message_created"


async def test_only_loopback_urls_and_valid_secrets(api: Call) -> None:
    """A URL off this machine and a malformed secret are refused with 400 naming the field."""
    outside = await api("POST", "/subscriptions", {"url": "https://bot.example.org/hook"})
    assert outside.status == 400 and outside.body["message"].startswith("url:")
    bad_secret = await api(
        "POST", "/subscriptions", {"url": "http://127.0.0.1:1/h", "secret": "a b"}
    )
    assert bad_secret.status == 400 and bad_secret.body["message"].startswith("secret:")


async def test_retry_schedule_on_the_clock(
    api: Call, ctl: Control, emu: MaxEmulator, receiver: Receiver
) -> None:
    """Failures are retried after 60 s, then 150 s (× 2.5), nothing earlier; a 200 ends it."""
    assert [retry_delay(n) for n in (1, 2, 3)] == [60.0, 150.0, 375.0]
    ctl.set_clock({"frozen": True})
    receiver.status = 500
    await api("POST", "/subscriptions", {"url": receiver.url})
    ctl.start(ANNA, {})
    await receiver.next()
    await settle(emu)
    ctl.set_clock({"advance_s": 59})
    await settle(emu)
    assert receiver.count == 1
    ctl.set_clock({"advance_s": 1})
    await receiver.next()
    await settle(emu)
    ctl.set_clock({"advance_s": 149})
    await settle(emu)
    assert receiver.count == 2
    receiver.status = 200
    ctl.set_clock({"advance_s": 1})
    update, _ = await receiver.next()
    await settle(emu)
    assert update["update_type"] == "bot_started"
    stats = emu.state.stats
    assert (stats.webhook_deliveries, stats.webhook_failures, receiver.count) == (1, 0, 3)


async def test_dropped_after_eight_hours(
    api: Call, ctl: Control, emu: MaxEmulator, receiver: Receiver
) -> None:
    """An update that keeps failing is dropped 8 h after it happened and counted."""
    ctl.set_clock({"frozen": True})
    receiver.status = 503
    await api("POST", "/subscriptions", {"url": receiver.url})
    ctl.start(ANNA, {})
    await receiver.next()
    await settle(emu)
    elapsed = 0.0
    failures = 1
    while emu.state.webhooks.pending:
        step = retry_delay(failures)
        ctl.set_clock({"advance_s": step})
        elapsed += step
        failures += 1
        await settle(emu)
    assert elapsed <= GIVE_UP_AFTER_S
    assert emu.state.stats.webhook_failures == 1 and emu.state.stats.webhook_deliveries == 0
    # 60, 150, 375, 937.5, 2,343.75, 5,859.4 and 14,648.4 s: seven retries fit in 8 h.
    assert receiver.count == 8 == failures


async def test_webhook_fail_rate(
    api: Call, ctl: Control, emu: MaxEmulator, receiver: Receiver
) -> None:
    """With webhook_fail_rate 1 attempts fail without reaching the endpoint."""
    ctl.set_clock({"frozen": True})
    ctl.set_faults({"webhook_fail_rate": 1.0})
    await api("POST", "/subscriptions", {"url": receiver.url})
    ctl.start(PETR, {})
    await settle(emu)
    assert receiver.count == 0 and emu.state.stats.webhook_attempts >= 1
    assert emu.state.webhooks.pending[0].failures == 1
