"""Webhook delivery: each update POSTed to every subscription that wants it, with MAX's retries.

Any answer other than 200 within 30 s is a failure; the next attempt comes 60 s later, then
150 s, 375 s … (× 2.5) on the emulator's clock, so tests advance the clock instead of sleeping.
An update still undelivered 8 h after it happened is dropped and counted in `webhook_failures`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from emulator_common.clock import Clock
from emulator_common.waiting import Wakeup
from max_emulator.world import Faults, Stats, Subscription

log = logging.getLogger("max_emulator.webhooks")

SECRET_HEADER = "X-Max-Bot-Api-Secret"
FIRST_RETRY_S = 60.0
RETRY_FACTOR = 2.5
GIVE_UP_AFTER_S = 8 * 3600.0
ANSWER_TIMEOUT_S = 30.0


def retry_delay(failures: int) -> float:
    """Seconds before the next attempt after `failures` failed ones (60, 150, 375 …)."""
    return FIRST_RETRY_S * RETRY_FACTOR ** (failures - 1)


@dataclass
class Delivery:
    update: dict[str, Any]
    url: str
    happened: float
    next_at: float
    failures: int = 0


class WebhookHost(Protocol):
    """What delivery reads of the emulator (max_emulator.core.MaxCore): its clock, subscriptions,
    counters, injected faults and random source."""

    clock: Clock
    subscriptions: dict[str, Subscription]
    stats: Stats
    faults: Faults
    rng: random.Random


class WebhookDeliverer:
    """Pending deliveries and the background task that makes them."""

    def __init__(self, core: WebhookHost) -> None:
        self.core = core
        self.pending: list[Delivery] = []
        self.wakeup = Wakeup()
        self.idle = Wakeup()
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._closing = False

    def add(self, update: dict[str, Any]) -> None:
        now = self.core.clock.now()
        for subscription in self.core.subscriptions.values():
            if subscription.wants(update["update_type"]):
                self.pending.append(Delivery(update, subscription.url, now, now))
        self.wakeup.fire()

    def forget_url(self, url: str) -> None:
        self.pending = [d for d in self.pending if d.url != url]

    def clear(self) -> None:
        self.pending = []
        self.wakeup.fire()

    def start(self) -> None:
        self._closing = False
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        self._closing = True
        self.wakeup.fire()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=ANSWER_TIMEOUT_S))
        while not self._closing:
            clock = self.core.clock
            due = [d for d in self.pending if d.next_at <= clock.now()]
            for delivery in due:
                if delivery in self.pending:
                    try:
                        await self._attempt(delivery)
                    except Exception:  # an emulator bug must not stop every later delivery
                        log.exception("webhook delivery crashed")
                        self.pending.remove(delivery)
            if due:
                continue
            if not self.pending:
                self.idle.fire()
            wait = 1.0
            if self.pending and not clock.frozen:
                soonest = min(d.next_at for d in self.pending)
                wait = min(wait, max(0.0, soonest - clock.now()))
            await self.wakeup.wait(wait)

    async def _attempt(self, delivery: Delivery) -> None:
        core = self.core
        core.stats.webhook_attempts += 1
        ok = False
        subscription = core.subscriptions.get(delivery.url)
        if subscription is None:
            self.pending.remove(delivery)
            return
        if core.faults.webhook_fail_rate and core.rng.random() < core.faults.webhook_fail_rate:
            ok = False
        else:
            headers = {"Content-Type": "application/json"}
            if subscription.secret:
                headers[SECRET_HEADER] = subscription.secret
            body = json.dumps(delivery.update, ensure_ascii=False).encode()
            try:
                assert self._session is not None
                async with self._session.post(delivery.url, data=body, headers=headers) as answer:
                    ok = answer.status == 200
                    await answer.read()
            except (aiohttp.ClientError, TimeoutError, OSError) as error:
                log.debug("webhook delivery to %s failed: %s", delivery.url, error)
        if delivery not in self.pending:
            return
        if ok:
            self.pending.remove(delivery)
            core.stats.webhook_deliveries += 1
            return
        delivery.failures += 1
        delivery.next_at = core.clock.now() + retry_delay(delivery.failures)
        if delivery.next_at > delivery.happened + GIVE_UP_AFTER_S:
            self.pending.remove(delivery)
            core.stats.webhook_failures += 1

    async def wait_idle(self, wait: float) -> bool:
        """Wait up to `wait` real seconds until nothing is due now; return whether so."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            now = self.core.clock.now()
            if not any(d.next_at <= now for d in self.pending):
                return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            await self.idle.wait(min(remaining, 0.05))
