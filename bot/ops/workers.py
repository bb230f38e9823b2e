"""This process in the workers registry: registered at start, a heartbeat every 5 s, gone on a clean exit;
and the refusal of `restore` (and `init`) while any worker beat in the last 15 s."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from bot import __version__
from bot.ports import Clock, SystemClock

log = logging.getLogger(__name__)

HEARTBEAT = dt.timedelta(seconds=5)
# A worker that has not beaten for this long is taken for dead (three missed heartbeats).
FRESH = dt.timedelta(seconds=15)


class WorkerInfo(Protocol):
    host: str
    pid: int
    heartbeat_at: dt.datetime


class WorkersStore(Protocol):
    """`storage.workers.WorkersRepo`."""

    async def register(self, worker_id: str, host: str, pid: int, roles: Sequence[str], version: str,
                       now: dt.datetime) -> None: ...

    async def heartbeat(self, worker_id: str, now: dt.datetime) -> bool: ...

    async def deregister(self, worker_id: str) -> None: ...


class Registration:
    """This process's row in `workers`; `beat_forever` runs beside the bot until cancelled."""

    def __init__(self, store: WorkersStore, *, clock: Clock | None = None, roles: Sequence[str] = (),
                 host: str | None = None, pid: int | None = None, interval: float = HEARTBEAT.total_seconds(),
                 sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> None:
        self._store = store
        self._clock = clock or SystemClock()
        self.roles = list(roles)
        self.host = host or socket.gethostname()
        self.pid = pid if pid is not None else os.getpid()
        self._interval = interval
        self._sleep = sleep
        self.id = f"{self.host}:{self.pid}:{self._clock.now():%Y%m%dT%H%M%S}"

    async def register(self) -> None:
        """Add this process to the registry."""
        await self._store.register(self.id, self.host, self.pid, self.roles, __version__, self._clock.now())

    async def beat(self) -> None:
        """One heartbeat; a row someone removed is written again."""
        if not await self._store.heartbeat(self.id, self._clock.now()):
            await self.register()

    async def beat_forever(self) -> None:
        """A heartbeat every interval; a failed write is logged and tried at the next beat."""
        while True:
            await self._sleep(self._interval)
            try:
                await self.beat()
            except Exception as exc:
                log.warning("не удалось отметиться в реестре обработчиков: %s", exc)

    async def deregister(self) -> None:
        """A clean exit: out of the registry."""
        await self._store.deregister(self.id)


def busy_message(workers: Sequence[WorkerInfo], now: dt.datetime, action: str) -> str | None:
    """Why `action` (e.g. «восстановление») must wait: the live workers by host and pid; None when there are none."""
    if not workers:
        return None
    first = workers[0]
    ago = max(0, int((now - first.heartbeat_at).total_seconds()))
    more = f" и ещё {len(workers) - 1}" if len(workers) > 1 else ""
    return (f"с этой базой работает бот: процесс {first.pid} на машине {first.host} (отмечался {ago} с назад)"
            f"{more}. Остановите все его процессы (systemctl stop sferum-bot.target, systemctl stop sferum-bot "
            f"или docker compose stop bot), подождите 15 секунд и повторите {action}")
