"""Reading a file in a separate worker process: a huge or hostile file costs the worker's
memory and CPU, never the bot's, and the bot keeps answering others meanwhile."""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol

from bot.imports.bulk import collector_paused
from bot.imports.reader import ImportRefused, Limits, check_size
from bot.imports.table import ParsedTable, TableKind, parse_table

_BROKEN = ("не получилось прочитать файл: его разбор занял слишком много памяти или прервался; "
           "сохраните только нужный лист и отправьте снова")


def parse_file(data: bytes, limits: Limits, aliases: Mapping[str, Sequence[str]],
               want: Sequence[TableKind], file_name: str) -> ParsedTable:
    """The table in the file (the work itself, in whichever process runs it)."""
    with collector_paused():
        check_size(len(data), limits)
        return parse_table(data, limits, aliases, want=want, file_name=file_name)


class TableParser(Protocol):
    """Turns a file's bytes into its table."""

    async def parse(self, data: bytes, limits: Limits, aliases: Mapping[str, Sequence[str]],
                    want: Sequence[TableKind], file_name: str) -> ParsedTable: ...


class ThreadParser:
    """The old way: parsing in a thread of the bot's own process (its memory is the bot's)."""

    async def parse(self, data: bytes, limits: Limits, aliases: Mapping[str, Sequence[str]],
                    want: Sequence[TableKind], file_name: str) -> ParsedTable:
        """Parse in a thread."""
        return await asyncio.to_thread(parse_file, data, limits, dict(aliases), tuple(want), file_name)


class _Pool:
    """One worker process per bot process, started on the first file and kept for the next ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def get(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # spawn, not fork: the worker starts clean instead of copying the bot's memory and threads.
                self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            return self._pool

    def drop(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


_POOL = _Pool()


class ProcessParser:
    """Parsing in the worker process; a worker that dies (out of memory, a crash) refuses the file."""

    async def parse(self, data: bytes, limits: Limits, aliases: Mapping[str, Sequence[str]],
                    want: Sequence[TableKind], file_name: str) -> ParsedTable:
        """Parse in the worker; its answer is unpickled off the event loop (the pool's own thread)."""
        pool = _POOL.get()
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(pool, parse_file, data, limits, dict(aliases), tuple(want), file_name)
        except BrokenProcessPool:
            _POOL.drop(pool)
            raise ImportRefused(_BROKEN) from None


def shutdown_worker() -> None:
    """Stop the worker process (the bot's close, the end of a CLI command)."""
    _POOL.shutdown()
