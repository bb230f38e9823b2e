"""One worker at a time runs a role (the scheduler, the reader of a community's updates): it runs while
its worker holds the role's lock; a standby tries every `retry` seconds and takes over when the holder died."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Protocol

log = logging.getLogger(__name__)

# How often a standby tries the lock and a holder checks it still has it (seconds).
RETRY = 5.0


class Lease(Protocol):
    """`storage.leases.AdvisoryLock`."""

    name: str

    async def try_acquire(self) -> bool: ...

    async def still_held(self) -> bool: ...

    async def release(self) -> None: ...


class _Holding:
    """The lease a role's work runs under, and whether the work found it lost."""

    def __init__(self, lease: Lease) -> None:
        self.lease = lease
        self.lost = False

    async def check(self) -> bool:
        if not await self.lease.still_held():
            self.lost = True
        return not self.lost


_HOLDING: ContextVar[_Holding | None] = ContextVar("sferum_role_holding", default=None)


async def still_holding() -> bool:
    """Inside a role's work: whether this worker still holds the role's lock (True outside any role).

    A reader of updates asks it before it acts on a batch it fetched: a worker whose lock's session ended
    (a network cut) while it waited for the batch leaves the batch to the new holder instead of handling it
    at the same moment. Its work then returns, and `while_held` waits for the lock again."""
    holding = _HOLDING.get()
    return holding is None or await holding.check()


async def while_held(lease: Lease, work: Callable[[], Awaitable[None]], *, retry: float = RETRY,
                     sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> None:
    """Run `work` whenever this worker holds `lease`, until `work` returns (or this is cancelled).

    A standby tries the lock every `retry` s; the holder checks it every `retry` s, and a lost lock
    (the database connection ended) stops `work` at once, then the standby loop starts again.
    """
    try:
        while True:
            if not await lease.try_acquire():
                await sleep(retry)
                continue
            log.info("этот процесс теперь выполняет роль %s", lease.name)
            holding = _Holding(lease)
            token = _HOLDING.set(holding)
            try:
                task = asyncio.ensure_future(work())  # the work's task sees `holding` (`still_holding`)
            finally:
                _HOLDING.reset(token)
            try:
                while True:
                    done, _ = await asyncio.wait({task}, timeout=retry)
                    if done and holding.lost:
                        log.warning("блокировка роли %s потеряна: роль остановлена, жду её снова", lease.name)
                        break
                    if done:
                        task.result()
                        return
                    if not await lease.still_held():
                        log.warning("блокировка роли %s потеряна: роль остановлена, жду её снова", lease.name)
                        break
            finally:
                if not task.done():
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
    finally:
        await lease.release()
