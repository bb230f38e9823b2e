"""Several workers on one PostgreSQL database (`run --workers N`, or N `run` processes on several machines).

What each worker does besides answering: it claims outbox rows under a lease (`storage.claims`), sweeps
the outbox every `sweep` seconds (a wave another worker stored, rows a dead worker held), runs the
scheduler and reads each community's updates only while it holds that role's advisory lock
(`bot.ops.leader`), and sends at its share of each token's rate.

The rate share: 95 % of each token's requests per second divided by the count of workers whose heartbeat
is fresh (all of it when alone), counted again every `refresh` seconds. Error bound: a worker that joins sends nothing for
2 × `refresh` (the others have counted it by then), so the sum never goes above the limit; a worker
that died without a word leaves the others at the smaller share until its heartbeat is 15 s old
(under-use, never over-use); a worker that stops cleanly leaves the registry at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.ops.leader import RETRY, still_holding, while_held
from bot.ops.workers import FRESH
from bot.ports import Clock, SystemClock
from bot.ratelimit import RateLimiter

log = logging.getLogger(__name__)


# Workers' limiters each space their own requests, but the requests of two processes reach VK with
# independent delays (a busy machine): a shared token is used to 95 %, leaving room for that jitter.
SHARED_HEADROOM = 0.95


class LiveWorkers(Protocol):
    """`storage.workers.WorkersRepo.alive`."""

    async def alive(self, now: dt.datetime, within: dt.timedelta) -> Sequence[Any]: ...


def max_role(token: str) -> str:
    """The lock name of one MAX bot's polling: a digest of its token (stable, and no secret in it)."""
    return "max:" + hashlib.sha256(token.encode()).hexdigest()[:16]


@dataclass
class Cluster:
    """This worker's part in a deployment of several workers on the PostgreSQL database at `url`."""

    url: str
    worker_id: str
    workers: LiveWorkers
    retry: float = RETRY
    sweep: float = 1.0
    lease: float = 60.0
    refresh: float = 1.0
    clock: Clock = field(default_factory=SystemClock)
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep
    # (limiter, the token's whole budget) of every token this worker sends with.
    shared: list[tuple[RateLimiter, float]] = field(default_factory=list)

    def attach(self, app: Any) -> None:
        """Make the assembled app a worker of the cluster: claiming outbox rows, roles under locks."""
        from storage.claims import InboxClaims, OutboxClaims

        for sender in self.senders(app):
            sender.claims = OutboxClaims(app.db, self.worker_id, lease=self.lease)
        for runtime in self.max_runtimes(app):
            runtime.poller.claims = InboxClaims(app.db, self.worker_id, lease=self.lease)
            runtime.poller.still_ours = still_holding
            runtime.shared_webhook = True
        # A reader of a community's updates acts on a fetched batch only while it still holds that role.
        for poller in [app.poller, *(community.poller for community in app.communities)]:
            poller.still_ours = still_holding
        # Every token's budget is shared: the first community's, each further community's, each MAX bot's.
        limiters = [app.api.limiter, *(community.api.limiter for community in app.communities)]
        if app.max_sending is not None:
            limiters.append(app.max_sending.client.budget.overall)
        limiters += [runtime.client.budget.overall for runtime in app.max_bots]
        self.shared = [(limiter, float(limiter.rps)) for limiter in limiters]
        app.cluster = self

    @staticmethod
    def senders(app: Any) -> list[Any]:
        """The app's outbox senders: VK's and MAX's first bots' and every further community's and bot's."""
        first = [app.outbound, *([app.max_sending.outbound] if app.max_sending is not None else [])]
        further = [community.outbound for community in app.communities]
        further += [runtime.outbound for runtime in app.max_bots if runtime.outbound is not None]
        return first + further

    @staticmethod
    def max_runtimes(app: Any) -> list[Any]:
        """The app's MAX bots: the first (when MAX runs) and the further ones."""
        return ([app.max] if app.max is not None else []) + list(app.max_bots)

    async def role(self, name: str, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work` while this worker holds the role `name` (e.g. 'scheduler', 'vk:<group id>')."""
        from storage.leases import AdvisoryLock

        await while_held(AdvisoryLock(self.url, name), work, retry=self.retry, sleep=self.sleep)

    async def scheduled(self, start: Callable[[], Awaitable[None]], stop: Callable[[], Awaitable[None]]) -> None:
        """The scheduler runs in exactly one worker: the holder of the 'scheduler' lock."""
        async def run() -> None:
            await start()
            try:
                await asyncio.Event().wait()
            finally:
                await stop()

        await self.role("scheduler", run)

    def background(self, app: Any) -> list[Coroutine[Any, Any, None]]:
        """What runs beside the roles: the outbox sweep and the rate share."""
        inboxes = [runtime.poller.drain_inbox for runtime in self.max_runtimes(app)]
        return [self.sweep_forever([*(s.sweep for s in self.senders(app)), *inboxes]), self.share_forever()]

    async def sweep_forever(self, sweeps: Sequence[Callable[[], Awaitable[object]]]) -> None:
        """Every `sweep` s, send what the outbox holds and handle what the inbox holds that no live worker
        is working on (another worker's wave, a dead worker's rows once its lease ended). Each sweep loops on
        its own: one community's wave (a drain of minutes) holds up neither another community's nor an inbox."""
        async with asyncio.TaskGroup() as group:
            for sweep in sweeps:
                group.create_task(self._sweep_one(sweep))

    async def _sweep_one(self, sweep: Callable[[], Awaitable[object]]) -> None:
        while True:
            try:
                await sweep()
            except Exception:
                log.warning("не удалось разобрать очередь; повторю", exc_info=True)
            await self.sleep(self.sweep)

    async def share_forever(self) -> None:
        """Hold back for two counts (so every worker counted this one), then keep this worker's share."""
        for limiter, _ in self.shared:
            limiter.pause(2 * self.refresh)
        while True:
            try:
                await self.share_once()
            except Exception as exc:
                log.warning("не удалось сосчитать работающие процессы: %s", exc)
            await self.sleep(self.refresh)

    async def share_once(self) -> int:
        """Set every shared limiter to its token's budget over the count of live workers; that count."""
        count = max(1, len(await self.workers.alive(self.clock.now(), FRESH)))
        for limiter, whole in self.shared:
            share = whole if count == 1 else whole * SHARED_HEADROOM / count
            if limiter.rps != share:
                limiter.set_rps(share)
        return count
