"""Reading a file in a separate worker process: a huge or hostile file costs the worker's
memory and CPU, never the bot's, and the bot keeps answering others meanwhile."""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import pickle
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol

from bot.imports.bulk import collector_paused
from bot.imports.reader import ImportRefused, Limits, check_size
from bot.imports.table import DataRow, ParsedTable, TableKind, parse_table

# Rows travel back in pickled chunks of this many: the bot unpickles one at a time and lets
# others' replies through between them (one pickle.loads of 200,000 rows holds the GIL for a second).
CHUNK_ROWS = 2000
_BROKEN = ("не получилось прочитать файл: его разбор занял слишком много памяти или прервался; "
           "сохраните только нужный лист и отправьте снова")


def parse_file(data: bytes, limits: Limits, aliases: Mapping[str, Sequence[str]],
               want: Sequence[TableKind], file_name: str) -> ParsedTable:
    """The table in the file (the work itself, in whichever process runs it)."""
    with collector_paused():
        check_size(len(data), limits)
        return parse_table(data, limits, aliases, want=want, file_name=file_name)


def parse_file_in_chunks(data: bytes, limits: Limits, aliases: Mapping[str, Sequence[str]],
                         want: Sequence[TableKind], file_name: str) -> tuple[ParsedTable, list[bytes]]:
    """`parse_file` with the rows taken out of the table and pickled in chunks (run in the worker)."""
    table = parse_file(data, limits, aliases, want, file_name)
    names = tuple(table.columns)
    # Plain tuples pickle and unpickle several times faster than DataRow objects.
    plain = [(row.row_no, tuple(row.values.get(name) for name in names)) for row in table.rows]
    chunks = [pickle.dumps(plain[i:i + CHUNK_ROWS], pickle.HIGHEST_PROTOCOL) for i in range(0, len(plain), CHUNK_ROWS)]
    return dataclasses.replace(table, rows=[]), chunks


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
        """Parse in the worker; its rows come back chunk by chunk, with the event loop free between chunks."""
        pool = _POOL.get()
        loop = asyncio.get_running_loop()
        try:
            table, chunks = await loop.run_in_executor(pool, parse_file_in_chunks, data, limits, dict(aliases),
                                                       tuple(want), file_name)
        except BrokenProcessPool:
            _POOL.drop(pool)
            raise ImportRefused(_BROKEN) from None
        rows = table.rows
        names = tuple(table.columns)
        chunks.reverse()
        while chunks:
            plain = pickle.loads(chunks.pop())  # noqa: S301 - our own worker's pickles
            rows.extend(DataRow(row_no, dict(zip(names, values, strict=True))) for row_no, values in plain)
            await asyncio.sleep(0)
        return table


def warm_worker() -> None:
    """Start the worker process now, so that the first file does not wait for it (the bot's start)."""
    _POOL.get().submit(int)


def shutdown_worker() -> None:
    """Stop the worker process (the bot's close, the end of a CLI command)."""
    _POOL.shutdown()
