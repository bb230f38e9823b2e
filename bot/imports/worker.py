"""Reading a file in a separate worker process: a huge or hostile file costs the worker's
memory and CPU, never the bot's, and the bot keeps answering others meanwhile."""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import pickle
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol, overload

from bot.imports.bulk import collector_paused
from bot.imports.reader import ImportRefused, Limits, check_size
from bot.imports.table import (
    DataRow,
    ParsedTable,
    PlainRow,
    RowsView,
    TableKind,
    parse_table,
    plain_chunks,
)

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
                         want: Sequence[TableKind], file_name: str) -> tuple[ParsedTable, list[bytes], int]:
    """`parse_file` with the rows taken out of the table and pickled in chunks (run in the worker)."""
    table = parse_file(data, limits, aliases, want, file_name)
    names = tuple(table.columns)
    # Plain tuples pickle and unpickle several times faster than DataRow objects.
    plain = [row for chunk in plain_chunks(table.rows, names) for row in chunk]
    chunks = [pickle.dumps(plain[i:i + CHUNK_ROWS], pickle.HIGHEST_PROTOCOL) for i in range(0, len(plain), CHUNK_ROWS)]
    return dataclasses.replace(table, rows=[]), chunks, len(plain)


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
            table, chunks, count = await loop.run_in_executor(pool, parse_file_in_chunks, data, limits, dict(aliases),
                                                       tuple(want), file_name)
        except BrokenProcessPool:
            _POOL.drop(pool)
            raise ImportRefused(_BROKEN) from None
        return dataclasses.replace(table, rows=ChunkedRows(tuple(table.columns), chunks, count))


class ChunkedRows(RowsView):
    """The worker's rows kept as it sent them (pickled chunks of plain tuples, a few times
    smaller than the rows), made into DataRows a chunk at a time while they are read: the
    whole table never sits in the bot's memory as objects."""

    def __init__(self, names: tuple[str, ...], chunks: list[bytes], count: int) -> None:
        self.names = names
        self._chunks = chunks
        self._len = count
        # Every chunk but the last holds CHUNK_ROWS rows.
        self._sizes = [CHUNK_ROWS] * (len(chunks) - 1) + [count - CHUNK_ROWS * (len(chunks) - 1)] if chunks else []

    def _load(self, index: int) -> list[PlainRow]:
        return pickle.loads(self._chunks[index])  # type: ignore[no-any-return]  # noqa: S301 - our own worker's pickles

    def plain_chunks(self) -> Iterator[list[PlainRow]]:
        """The rows chunk by chunk as the worker sent them: plain tuples, no DataRow made."""
        for index in range(len(self._chunks)):
            yield self._load(index)

    def _rows(self, index: int) -> list[DataRow]:
        names = self.names
        return [DataRow(row_no, dict(zip(names, values, strict=True))) for row_no, values in self._load(index)]

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[DataRow]:
        for index in range(len(self._chunks)):
            yield from self._rows(index)

    @overload
    def __getitem__(self, index: int) -> DataRow: ...
    @overload
    def __getitem__(self, index: slice) -> list[DataRow]: ...

    def __getitem__(self, index: int | slice) -> DataRow | list[DataRow]:
        if isinstance(index, slice):
            return list(self)[index]
        if index < 0:
            index += self._len
        for chunk, size in enumerate(self._sizes):
            if index < size:
                return self._rows(chunk)[index]
            index -= size
        raise IndexError(index)


def _ready() -> bool:
    """Nothing: sent to the worker at start, so that it imports this module (and the reader,
    python-calamine, pydantic …) then, not when the first file comes."""
    return True


def warm_worker() -> Future[bool]:
    """Start the worker process now, so that the first file does not wait for it (the bot's start)."""
    return _POOL.get().submit(_ready)


def shutdown_worker() -> None:
    """Stop the worker process (the bot's close, the end of a CLI command)."""
    _POOL.shutdown()
