"""Webhook mode: the public URL subscribed with the secret, the secret header checked, updates stored
before the 200 and handled from the inbox."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from benchmarks.ports import free_port
from max_emulator import MaxEmulator
from max_emulator.client import MaxEmulatorControl
from tests.max.conftest import DIRECTOR, TOKEN, max_only_settings, start_max_app, stop_app

SECRET = "hook_Secret-1"


async def test_webhook_mode_answers_and_checks_the_secret(tmp_path: Path, max_emu: MaxEmulator,
                                                          max_ctl: MaxEmulatorControl) -> None:
    """The bot subscribes its public URL with the secret; the director's «сводка» arrives by webhook and is
    answered; a POST without the secret is refused and changes nothing."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/max/webhook"
    settings = max_only_settings(tmp_path, max_emu, mode="webhook", webhook_port=port, webhook_secret=SECRET,
                                 public_url=url)
    app, task = await start_max_app(settings, max_ctl, listening=False)
    try:
        # The bot subscribes right after it starts listening; held until then (not a count of retries).
        await max_ctl.wait_subscribed(timeout=30)
        async with aiohttp.ClientSession(headers={"Authorization": TOKEN}) as http:
            async with http.get(f"{max_emu.base_url}/subscriptions") as response:
                subscribed = (await response.json())["subscriptions"]
            assert [s["url"] for s in subscribed] == [url]
            said = await max_ctl.say(DIRECTOR, "сводка")
            [reply] = await max_ctl.wait_sent(said["chat_id"], 1)
            assert reply["text"].startswith("Сводка:")
            forged = {"update_type": "message_created", "timestamp": 1, "message": {}}
            async with http.post(url, json=forged) as response:
                assert response.status == 403
            async with http.post(url, json=forged, headers={"X-Max-Bot-Api-Secret": "wrong-secret"}) as response:
                assert response.status == 403
        # The reply may be sent before the emulator has read the bot's 200 to the last delivery: wait
        # until no delivery is in flight, then count.
        await max_ctl.wait_webhooks()
        stats = await max_ctl.stats()
        assert stats["webhook_deliveries"] >= 2 and stats["webhook_failures"] == 0
        assert "GET /updates" not in stats["requests"]
    finally:
        await stop_app(app, task)
