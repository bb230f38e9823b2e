"""`sferum-bot run --workers N` on PostgreSQL: N worker processes under one parent.

Each worker is `sferum-bot run` with the same arguments and `--workers 1`. SIGTERM or SIGINT to the
parent stops them all (each finishes cleanly); a worker that dies is reported and started again after a
pause that grows while it keeps dying (up to a minute). Worker k serves its /metrics on [metrics] port + k - 1
(one port cannot serve several processes). The workers share the work through the database, so a worker
started by hand on another machine joins them the same way.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence

log = logging.getLogger(__name__)

# A worker that ran this long before dying counts as healthy: its restart pause starts over.
HEALTHY_S = 60.0
MAX_PAUSE_S = 60.0
METRICS_PORT_ENV = "SFERUM_METRICS__PORT"


def worker_argv(argv: Sequence[str]) -> list[str]:
    """The command line of one worker: the parent's `run …` arguments with `--workers 1`."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--workers":
            skip = True
            continue
        if arg.startswith("--workers="):
            continue
        out.append(arg)
    return [sys.executable, "-m", "bot", *out, "--workers", "1"]


class Supervisor:
    """Start `count` workers, restart the ones that die, stop them all on a signal."""

    def __init__(self, command: Sequence[str], count: int, *, first_pause: float = 1.0,
                 metrics_port: int | None = None) -> None:
        self.command = list(command)
        self.count = count
        self.first_pause = first_pause
        self.metrics_port = metrics_port
        self.stopping = asyncio.Event()
        self.procs: dict[int, asyncio.subprocess.Process] = {}
        self.restarts = 0

    def stop(self) -> None:
        """Stop every worker (SIGTERM) and do not start them again."""
        self.stopping.set()
        for proc in self.procs.values():
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)

    async def run(self) -> int:
        """Until stopped: keep every worker running; the exit code (0 when all stopped cleanly)."""
        codes = await asyncio.gather(*(self._keep(slot) for slot in range(1, self.count + 1)))
        return 0 if all(code in (0, -signal.SIGTERM) for code in codes) else 1

    async def _keep(self, slot: int) -> int:
        pause = self.first_pause
        loop = asyncio.get_running_loop()
        while True:
            env = None
            if self.metrics_port is not None:
                env = {**os.environ, METRICS_PORT_ENV: str(self.metrics_port + slot - 1)}
            proc = await asyncio.create_subprocess_exec(*self.command, env=env)
            self.procs[slot] = proc
            log.info("обработчик %d запущен (процесс %d)", slot, proc.pid)
            if self.stopping.is_set():
                proc.send_signal(signal.SIGTERM)
            started = loop.time()
            code = await proc.wait()
            if self.stopping.is_set():
                return code
            log.error("обработчик %d (процесс %d) завершился с кодом %s; перезапускаю через %.0f с",
                      slot, proc.pid, code, pause)
            self.restarts += 1
            pause = self.first_pause if loop.time() - started > HEALTHY_S else pause
            try:
                await asyncio.wait_for(self.stopping.wait(), timeout=pause)
                return code
            except TimeoutError:
                pause = min(MAX_PAUSE_S, pause * 2)


def supervise(argv: Sequence[str], count: int, metrics_port: int | None = None) -> int:
    """Run `count` workers until SIGTERM or SIGINT; the exit code."""
    async def main() -> int:
        supervisor = Supervisor(worker_argv(argv), count, metrics_port=metrics_port)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, supervisor.stop)
        return await supervisor.run()

    return asyncio.run(main())
