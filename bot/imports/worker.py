"""Reading a file in a separate worker process: a huge or hostile file costs the worker's
memory and CPU, never the bot's, and the bot keeps answering others meanwhile."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import multiprocessing
import multiprocessing.connection
import os
import pickle
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from typing import Any, Protocol, TypeVar, overload

try:
    import fcntl
except ImportError:  # not on Windows
    fcntl = None  # type: ignore[assignment]

from bot.collector import collector_paused
from bot.imports.reader import ImportRefused, Limits, check_size
from bot.imports.table import (
    DataRow,
    ParsedTable,
    PlainRow,
    RowsView,
    TableKind,
    parse_table,
    parse_table_in_chunks,
)

# Rows travel back in pickled chunks of this many, each asked for while the bot reads the one before:
# the worker finds the next rows while the bot converts these, and the bot unpickles one chunk at a
# time and lets others' replies through between them (one pickle.loads of 200,000 rows holds the GIL
# for a second).
CHUNK_ROWS = 5000
# Files whose rows the worker still holds for the bot; the oldest beyond this many is dropped (its
# import was abandoned, or too many files are read at once).
MAX_OPEN = 4
_BROKEN = ("не получилось прочитать файл: его разбор занял слишком много памяти или прервался; "
           "сохраните только нужный лист и отправьте снова")
_DROPPED = ("не получилось дочитать файл: одновременно загружается слишком много файлов; "
            "отправьте его снова через минуту")
T = TypeVar("T")


def parse_file(data: bytes, limits: Limits, aliases: Mapping[str, Sequence[str]],
               want: Sequence[TableKind], file_name: str) -> ParsedTable:
    """The table in the file (the work itself, in whichever process runs it)."""
    with collector_paused():
        check_size(len(data), limits)
        return parse_table(data, limits, aliases, want=want, file_name=file_name)


# --- in the worker process: a file's rows, found ahead and kept until the bot has taken them all -----
#: How many found chunks (about 0.5 MB each, pickled) may wait for the bot before the finding pauses.
AHEAD_CHUNKS = 8


class _Ahead:
    """One file's chunks, pickled by a thread of the worker as fast as it finds them: the bot's asking for
    the next one no longer waits for it to be found (the worker would otherwise sit idle between the bot's
    questions, and each chunk would cost a question's way there and back on top of its finding)."""

    def __init__(self, chunks: Iterator[list[PlainRow]]) -> None:
        self._chunks = chunks
        # Bounded: a bot that takes the chunks slowly (or a file it dropped) must not make the worker
        # hold the whole file pickled beside its rows.
        self._ready: queue.Queue[tuple[bytes, int] | BaseException | None] = queue.Queue(AHEAD_CHUNKS)
        self._stopped = False
        #: The thread finding the chunks (it ends at the last one, or when stopped).
        self.thread = threading.Thread(target=self._find, name="rows-ahead", daemon=True)
        self.thread.start()

    def _put(self, item: tuple[bytes, int] | BaseException | None) -> bool:
        """Hand `item` to the bot, waiting while AHEAD_CHUNKS wait unread; False once stopped."""
        while not self._stopped:
            try:
                self._ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _find(self) -> None:
        try:
            with collector_paused():
                for chunk in self._chunks:
                    # Plain tuples pickle and unpickle several times faster than DataRow objects.
                    if not self._put((pickle.dumps(chunk, pickle.HIGHEST_PROTOCOL), len(chunk))):
                        return
        except BaseException as exc:  # noqa: BLE001 - handed to the bot with the chunk that failed
            self._put(exc)
            return
        self._put(None)

    def next(self) -> tuple[bytes, int] | None:
        """The next chunk (waiting until it is found), None at the end; a failed chunk raises its error."""
        got = self._ready.get()
        if isinstance(got, BaseException):
            raise got
        return got

    def stop(self) -> None:
        """Find no more chunks (the ones found already are let go with this object)."""
        self._stopped = True


_OPEN: dict[int, _Ahead] = {}


def open_rows(token: int, data: bytes, limits: Limits, aliases: Mapping[str, Sequence[str]],
              want: Sequence[TableKind], file_name: str, chunk_rows: int = CHUNK_ROWS,
              ) -> tuple[ParsedTable, tuple[bytes, int] | None]:
    """Read the file and find its header; keep its rows under `token` for `next_rows`, found ahead by a
    thread. Returns the table without its rows and the first chunk (`next_rows`)."""
    with collector_paused():
        check_size(len(data), limits)
        table, chunks = parse_table_in_chunks(data, limits, aliases, want=want, file_name=file_name,
                                              chunk_rows=chunk_rows)
    while len(_OPEN) >= MAX_OPEN:
        _OPEN.pop(next(iter(_OPEN))).stop()
    _OPEN[token] = _Ahead(chunks)
    return dataclasses.replace(table, rows=[]), next_rows(token)


def next_rows(token: int) -> tuple[bytes, int] | None:
    """The next chunk of the rows kept under `token`, pickled, and how many rows it holds; None at the end."""
    ahead = _OPEN.get(token)
    if ahead is None:
        raise ImportRefused(_DROPPED)
    try:
        chunk = ahead.next()
    except BaseException:
        _OPEN.pop(token, None)
        raise
    if chunk is None:
        _OPEN.pop(token, None)
    return chunk


def close_rows(token: int) -> None:
    """Forget the rows kept under `token` (the bot will not ask for more)."""
    ahead = _OPEN.pop(token, None)
    if ahead is not None:
        ahead.stop()


class TableParser(Protocol):
    """Turns a file's bytes into its table."""

    async def parse(self, data: bytes, limits: Limits, aliases: Mapping[str, Sequence[str]],
                    want: Sequence[TableKind], file_name: str, *, streamed: bool = False) -> ParsedTable:
        """The table; `streamed`: its rows may still be arriving (`RowsView.achunks`, `complete`)."""
        ...


class ThreadParser:
    """The old way: parsing in a thread of the bot's own process (its memory is the bot's)."""

    async def parse(self, data: bytes, limits: Limits, aliases: Mapping[str, Sequence[str]],
                    want: Sequence[TableKind], file_name: str, *, streamed: bool = False) -> ParsedTable:
        """Parse in a thread (every row is read before this returns)."""
        return await asyncio.to_thread(parse_file, data, limits, dict(aliases), tuple(want), file_name)


def _exit_with_parent() -> None:
    """In the worker: end when the bot's process ends, however it ended."""
    # A killed bot (SIGKILL, out of memory) never shuts the pool down, and the worker holds both ends of its
    # own call queue, so it would wait for work forever; the parent's sentinel becomes readable when it dies.
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    sentinel = parent.sentinel

    def watch() -> None:
        multiprocessing.connection.wait([sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


# The pipe the worker's answers come back by, widened to hold a whole chunk (about 0.5 MB) where the system
# allows (Linux, up to /proc/sys/fs/pipe-max-size, 1 MB by default).
_RESULT_PIPE_BYTES = 1 << 20


def _widen_results(pool: ProcessPoolExecutor) -> None:
    """Let a chunk pass the worker's answer pipe in one write and one read. Through the usual 64 KB
    pipe it goes in eight pieces, and on each side the thread moving them must win Python's lock back
    from a thread busy with the rows (up to 5 ms each): half the time of the rows' journey."""
    reader = getattr(getattr(pool, "_result_queue", None), "_reader", None)
    setpipe = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if reader is None or setpipe is None:
        return
    with suppress(OSError, ValueError):
        fcntl.fcntl(reader.fileno(), setpipe, _RESULT_PIPE_BYTES)


class _Pool:
    """One worker process per bot process, started on the first file and kept for the next ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def get(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # spawn, not fork: the worker starts clean instead of copying the bot's memory and threads.
                self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_exit_with_parent)
                _widen_results(self._pool)
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


_TOKENS = itertools.count(1)


async def _in_worker(pool: ProcessPoolExecutor, fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in the worker process; a worker that died (out of memory, a crash) refuses the file."""
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
    except BrokenProcessPool:
        _POOL.drop(pool)
        raise ImportRefused(_BROKEN) from None


class ProcessParser:
    """Parsing in the worker process; a worker that dies (out of memory, a crash) refuses the file."""

    def __init__(self, chunk_rows: int = CHUNK_ROWS) -> None:
        self._chunk_rows = chunk_rows

    async def parse(self, data: bytes, limits: Limits, aliases: Mapping[str, Sequence[str]],
                    want: Sequence[TableKind], file_name: str, *, streamed: bool = False) -> ParsedTable:
        """Parse in the worker; its rows come back chunk by chunk, with the event loop free between chunks.
        `streamed`: return once the header is found, the rows following as they are read (`StreamedRows`)."""
        pool = _POOL.get()
        token = next(_TOKENS)
        table, first = await _in_worker(pool, open_rows, token, data, limits, dict(aliases), tuple(want),
                                        file_name, self._chunk_rows)
        rows = StreamedRows(tuple(table.columns), pool, token, first)
        if not streamed:
            await rows.complete()
        return dataclasses.replace(table, rows=rows)


class StreamedRows(RowsView):
    """The rows the worker finds, kept as it sends them (pickled chunks of plain tuples, a few times
    smaller than the rows) and made into DataRows a chunk at a time while they are read: the whole
    table never sits in the bot's memory as objects. While the worker is still finding rows, only
    `achunks` reads them (each next chunk asked for before the one in hand is given out) and
    `complete` waits for the rest; the other ways to look at them need every row here."""

    def __init__(self, names: tuple[str, ...], pool: ProcessPoolExecutor, token: int,
                 first: tuple[bytes, int] | None) -> None:
        self.names = names
        self._pool = pool
        self._token = token
        self._chunks: list[bytes] = []
        self._sizes: list[int] = []
        self._len = 0
        self._done = first is None
        # Stopped before the end (a failed or abandoned chunk, `aclose`): the rows here are not all of them.
        self._cut = False
        self._next: asyncio.Future[tuple[bytes, int] | None] | None = None
        if first is not None:
            self._add(first)

    def _add(self, chunk: tuple[bytes, int]) -> None:
        self._chunks.append(chunk[0])
        self._sizes.append(chunk[1])
        self._len += chunk[1]

    def _ask(self) -> None:
        """Ask the worker for the next chunk (once) without waiting for it."""
        if self._next is None and not self._done:
            self._next = asyncio.ensure_future(_in_worker(self._pool, next_rows, self._token))

    async def _receive(self) -> None:
        """The next chunk into the list, or the end of the rows."""
        self._ask()
        assert self._next is not None
        try:
            got = await self._next
        except BaseException:
            # A failed or abandoned chunk cannot be asked for again: these rows are over.
            self._done = self._cut = True
            raise
        finally:
            self._next = None
        if got is None:
            self._done = True
        else:
            self._add(got)

    async def achunks(self) -> AsyncIterator[list[PlainRow]]:
        """The rows chunk by chunk as plain tuples, waiting for those the worker is still finding."""
        index = 0
        while True:
            if index == len(self._chunks):
                if self._done:
                    return
                await self._receive()
                continue
            if index == len(self._chunks) - 1:
                self._ask()  # the worker finds the next rows while these are read
            yield self._load(index)
            index += 1

    async def complete(self) -> None:
        """Wait until the worker has sent every row."""
        while not self._done:
            await self._receive()

    async def aclose(self) -> None:
        """Tell the worker to drop the rows nobody asked for (an import that stopped half way)."""
        if self._done:
            return
        self._done = self._cut = True
        if self._next is not None:
            self._next.cancel()
        with suppress(RuntimeError, BrokenProcessPool):
            self._pool.submit(close_rows, self._token)

    def _whole(self) -> None:
        if self._cut:
            raise RuntimeError("the rows were not read to the end")
        if not self._done or self._next is not None:
            raise RuntimeError("the rows are still being read: await complete() first")

    def _load(self, index: int) -> list[PlainRow]:
        return pickle.loads(self._chunks[index])  # type: ignore[no-any-return]  # noqa: S301 - our own worker's pickles

    def plain_chunks(self) -> Iterator[list[PlainRow]]:
        """The rows chunk by chunk as the worker sent them: plain tuples, no DataRow made."""
        self._whole()
        for index in range(len(self._chunks)):
            yield self._load(index)

    def _rows(self, index: int) -> list[DataRow]:
        names = self.names
        return [DataRow(row_no, dict(zip(names, values, strict=True))) for row_no, values in self._load(index)]

    def __len__(self) -> int:
        self._whole()
        return self._len

    def __iter__(self) -> Iterator[DataRow]:
        self._whole()
        for index in range(len(self._chunks)):
            yield from self._rows(index)

    @overload
    def __getitem__(self, index: int) -> DataRow: ...
    @overload
    def __getitem__(self, index: slice) -> list[DataRow]: ...

    def __getitem__(self, index: int | slice) -> DataRow | list[DataRow]:
        if isinstance(index, slice):
            return list(self)[index]
        self._whole()
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
