"""Rows streamed from the worker process: the bot converts a per-person table's first rows while the worker
finds the next ones; anything that needs the whole table waits for it; a stream that breaks refuses the file."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from bot.config import Settings
from bot.domain.models import Person
from bot.imports import worker
from bot.imports.reader import ImportRefused, Limits
from bot.imports.table import TableKind
from bot.imports.worker import MAX_OPEN, ProcessParser, StreamedRows, ThreadParser, parse_file
from bot.services.imports import ImportService
from storage.db import Database
from storage.imports import ImportsSql
from storage.stats import StatsRepo
from tests.imports.conftest import FixedClock
from tests.imports.tables import TITLE, xlsx

WANT = (TableKind.PERSON, TableKind.ORGANIZATION)
HEADER = ["ФИО", "Сообщений в групповых чатах", "Звонков"]
PEOPLE: list[list[object]] = [["Иванова Анна Петровна", 5, 1], ["Петров И. С.", "3", None], ["Семенова О.В.", 0, 2],
          ["Сидоров П.", 1, 1], ["Петрова Мария", 2, 0], ["ИВАНОВА АННА ПЕТРОВНА", 4, 4], ["Итого", 15, 8]]


def _kept() -> int:
    """How many files' rows the worker process keeps (run there)."""
    return len(worker._OPEN)


def _table(rows: list[list[object]] = PEOPLE) -> bytes:
    return xlsx([[TITLE], [], HEADER, *rows])


async def _in_worker_now() -> int:
    return await asyncio.wrap_future(worker._POOL.get().submit(_kept))


async def test_rows_arrive_chunk_by_chunk_and_the_whole_waits() -> None:
    """Streamed: the table comes back with its first chunk; the rest arrive as they are read, in order, the
    same rows as read in the bot's own process; counting or indexing them first is a mistake, not a guess."""
    data = _table()
    table = await ProcessParser(chunk_rows=2).parse(data, Limits(), {}, WANT, "w.xlsx", streamed=True)
    rows = table.rows
    assert isinstance(rows, StreamedRows)
    with pytest.raises(RuntimeError, match="complete"):
        len(rows)
    sizes = [len(chunk) async for chunk in rows.achunks()]
    assert sizes == [2, 2, 2]
    assert table == parse_file(data, Limits(), {}, WANT, "w.xlsx")
    assert [r.row_no for r in rows] == [4, 5, 6, 7, 8, 9] and len(rows) == 6
    assert [len(chunk) async for chunk in rows.achunks()] == [2, 2, 2]  # read again from what came
    assert await _in_worker_now() == 0


async def test_a_stream_closed_half_way_is_dropped_by_the_worker() -> None:
    """An import that stops after the first rows tells the worker to drop the rest of the file."""
    table = await ProcessParser(chunk_rows=2).parse(_table(), Limits(), {}, WANT, "w.xlsx", streamed=True)
    assert isinstance(table.rows, StreamedRows)
    async for _ in table.rows.achunks():
        break
    await table.rows.aclose()
    assert await _in_worker_now() == 0
    with pytest.raises(RuntimeError, match="not read to the end"):
        len(table.rows)


async def test_rows_cut_short_never_pass_for_the_whole_table() -> None:
    """Closed before the next chunk was asked for, or after a chunk failed: counting the rows is refused
    instead of giving the count of those that came."""
    table = await ProcessParser(chunk_rows=2).parse(_table(), Limits(), {}, WANT, "w.xlsx", streamed=True)
    assert isinstance(table.rows, StreamedRows)
    await table.rows.aclose()
    with pytest.raises(RuntimeError, match="not read to the end"):
        len(table.rows)
    refused = await ProcessParser(chunk_rows=2).parse(_table(), Limits(max_rows=3), {}, WANT, "w.xlsx",
                                                      streamed=True)
    assert isinstance(refused.rows, StreamedRows)
    with pytest.raises(ImportRefused):
        await refused.rows.complete()
    with pytest.raises(RuntimeError, match="not read to the end"):
        list(refused.rows)


async def test_a_table_too_long_is_refused_by_the_chunk_that_passes_the_limit() -> None:
    """max_rows holds for streamed rows too: the chunk past it brings the usual Russian refusal."""
    table = await ProcessParser(chunk_rows=2).parse(_table(), Limits(max_rows=3), {}, WANT, "w.xlsx",
                                                    streamed=True)
    assert isinstance(table.rows, StreamedRows)
    with pytest.raises(ImportRefused, match="в таблице больше 3 строк"):
        async for _ in table.rows.achunks():
            pass
    with pytest.raises(ImportRefused, match="в таблице больше 3 строк"):
        await ProcessParser(chunk_rows=2).parse(_table(), Limits(max_rows=3), {}, WANT, "w.xlsx")


async def test_a_worker_killed_mid_stream_refuses_the_file_and_the_next_file_is_read() -> None:
    """The worker dies between two chunks: the file is refused in Russian; a new worker reads the next one."""
    table = await ProcessParser(chunk_rows=2).parse(_table(), Limits(), {}, WANT, "w.xlsx", streamed=True)
    assert isinstance(table.rows, StreamedRows)
    for process in worker._POOL.get()._processes.values():
        assert process.pid is not None
        os.kill(process.pid, signal.SIGKILL)
    with pytest.raises(ImportRefused, match="не получилось прочитать файл"):
        async for _ in table.rows.achunks():
            pass
    again = await ProcessParser(chunk_rows=2).parse(_table(), Limits(), {}, WANT, "w.xlsx")
    assert len(again.rows) == 6


async def test_the_oldest_of_too_many_open_files_is_dropped() -> None:
    """The worker keeps the rows of at most MAX_OPEN files; an abandoned older one gives way, and asking for
    its rows then says to send the file again."""
    parser = ProcessParser(chunk_rows=2)
    tables = [await parser.parse(_table(), Limits(), {}, WANT, "w.xlsx", streamed=True) for _ in range(MAX_OPEN + 1)]
    first = tables[0].rows
    assert isinstance(first, StreamedRows)
    with pytest.raises(ImportRefused, match="отправьте его снова"):
        async for _ in first.achunks():
            pass
    for table in tables[1:]:
        assert isinstance(table.rows, StreamedRows)
        await table.rows.complete()
        assert len(table.rows) == 6
    assert await _in_worker_now() == 0


WITH_SCHOOL: list[list[object]] = [["ОО", *HEADER], *(["МОУ Гимназия", *r] for r in PEOPLE)]


@pytest.mark.parametrize("table_rows", [PEOPLE, WITH_SCHOOL],
                         ids=["one school", "a school column"])
async def test_an_import_read_in_small_chunks_is_the_same_as_read_whole(
        db: Database, settings: Settings, staff: dict[str, Person], table_rows: list[list[object]]) -> None:
    """The same per-person file gives the same figures, problems and kept-aside rows whether its rows
    come streamed two at a time from the worker or read whole in the bot's own process (the school column
    of a one-school deployment is read whole first: it says once that the file is the school's)."""
    data = xlsx([[TITLE], [], *table_rows]) if table_rows is not PEOPLE else _table()
    results = []
    for parser in (ThreadParser(), ProcessParser(chunk_rows=2)):
        svc = ImportService(ImportsSql(db), settings, clock=FixedClock(), parser=parser)
        result = await svc.import_stats(data, "week.xlsx")
        stats = [(s.person_id, s.group_messages, s.calls)
                 for s in await StatsRepo(db).person_stats("school1", result.period)]
        results.append((result.rows_read, result.rows_imported, result.pending,
                        [(p.row, p.reason) for p in result.problems], stats))
    assert results[0] == results[1]
    assert results[1][1] == 3 and results[1][2] == 2
