"""The emulators' shared command-line run: serve until SIGINT/SIGTERM, fail in one Russian line."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from typing import Any, Protocol


class Servable(Protocol):
    """What both emulators offer the command line."""

    @property
    def port(self) -> int: ...

    def seed_users(self, users: list[dict[str, Any]]) -> Any: ...

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None: ...

    async def stop(self) -> None: ...


async def serve_until_signal(emulator: Servable, host: str, port: int,
                             seed_users: list[dict[str, Any]] | None) -> None:
    """Seed, start, print the ready line (flushed: scripts wait for it), then serve until a signal."""
    if seed_users:
        emulator.seed_users(seed_users)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await emulator.start(host=host, port=port)
    print(f"emulator listening on http://{host}:{emulator.port}", flush=True)
    try:
        await stop.wait()
    finally:
        await emulator.stop()


def reason(error: Exception) -> str:
    """Why an emulator could not start, in Russian."""
    if isinstance(error, OSError):
        return f"адрес или порт недоступен ({error.strerror or error})"
    return str(error)


def run(make: Callable[[], Servable], host: str, port: int, *, seed: str | None,
        seed_users: list[dict[str, Any]] | None, seed_command: str,
        errors: tuple[type[Exception], ...], failure: str) -> int:
    """Run an emulator until SIGINT/SIGTERM; the exit code (2: unknown seed, 1: could not start)."""
    if seed and seed_users is None:
        print(f"Ошибка: набор людей --seed {seed!r} здесь недоступен: запустите `{seed_command}`",
              file=sys.stderr, flush=True)
        return 2
    logging.basicConfig(level=logging.WARNING)
    caught: tuple[type[Exception], ...] = (OSError, *errors)
    try:
        asyncio.run(serve_until_signal(make(), host, port, seed_users))
    except caught as error:
        print(f"Ошибка: {failure}: {reason(error)}", file=sys.stderr, flush=True)
        return 1
    return 0
