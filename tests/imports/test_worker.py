"""The file is read in a worker process; too wide or too big tables are refused before anything else."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import select
import signal
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator

import pytest

from bot.config import parse_settings
from bot.imports import worker
from bot.imports.reader import ImportRefused, Limits
from bot.imports.table import TableKind
from bot.imports.worker import ProcessParser, ThreadParser, parse_file
from tests.conftest import ROOT
from tests.imports.tables import TITLE, csv_bytes, xlsx

WANT = (TableKind.PERSON, TableKind.ORGANIZATION)


async def test_the_worker_reads_the_same_table_as_the_bot_would() -> None:
    """Rows, row numbers, empty cells and dates come back from the worker process unchanged."""
    data = xlsx([[TITLE], ["ФИО", "Сообщений в групповых чатах", "Звонков", "Дата"],
                 ["Иванова А. П.", 5, None, dt.date(2026, 11, 20)], ["=Петров", "7", 1, None]])
    here = parse_file(data, Limits(), {}, WANT, "w.xlsx")
    there = await ProcessParser().parse(data, Limits(), {}, WANT, "w.xlsx")
    assert there == here and there.rows[1].values["full_name"] == "=Петров"
    assert [r.row_no for r in there.rows] == [3, 4]
    pids = [p.pid for p in worker._POOL.get()._processes.values()]
    assert pids and os.getpid() not in pids
    assert await ThreadParser().parse(data, Limits(), {}, WANT, "w.xlsx") == here


async def test_a_refusal_in_the_worker_reaches_the_bot_in_russian() -> None:
    """A PDF is refused by the worker with the usual Russian reason."""
    with pytest.raises(ImportRefused, match="это не таблица"):
        await ProcessParser().parse(b"%PDF-1.4 junk", Limits(), {}, WANT, "a.pdf")


@pytest.mark.parametrize(("columns", "refused"), [(200, False), (201, True)])
async def test_two_hundred_columns_are_the_limit(columns: int, refused: bool) -> None:
    """200 filled columns are read; 201 are refused; trailing empty columns do not count."""
    header = ["ФИО", "Сообщений в групповых чатах", *(f"Поле {n}" for n in range(columns - 2)), "", ""]
    data = csv_bytes([header, ["Иванова А. П.", 1, *(["x"] * (columns - 2)), "", ""]])
    if refused:
        with pytest.raises(ImportRefused, match="201 столбец, а можно до 200"):
            await ProcessParser().parse(data, Limits(), {}, WANT, "w.csv")
    else:
        assert len((await ProcessParser().parse(data, Limits(), {}, WANT, "w.csv")).rows) == 1


async def test_max_cells_counts_rows_times_columns() -> None:
    """Rows × columns over max_cells is refused in CSV and in a workbook, with both numbers."""
    rows = [["ФИО", "Сообщений в групповых чатах", "Звонков"], *([f"Иванова{n}", 1, 2] for n in range(40))]
    for data, name, size in ((csv_bytes(rows), "w.csv", "строки × столбцы"),
                             (xlsx(rows), "w.xlsx", "41 строка × 3 столбца")):
        with pytest.raises(ImportRefused, match=f"слишком много ячеек \\({size} — больше 100\\)"):
            await ProcessParser().parse(data, Limits(max_cells=100), {}, WANT, name)
        assert len((await ProcessParser().parse(data, Limits(max_cells=123), {}, WANT, name)).rows) == 40


def test_max_cells_is_a_setting_with_the_documented_default(tmp_path: os.PathLike[str]) -> None:
    """[imports] max_cells defaults to 2,000,000 and config.example.toml names it."""
    example = tomllib.loads((ROOT / "config.example.toml").read_text("utf-8"))
    assert example["imports"]["max_cells"] == 2_000_000
    assert parse_settings({}, tmp_path).imports.max_cells == 2_000_000  # type: ignore[arg-type]
    assert parse_settings({"imports": {"max_cells": 10}}, tmp_path).imports.max_cells == 10  # type: ignore[arg-type]


_BOT = """
import asyncio, sys
from bot.imports import worker
from bot.imports.reader import Limits
from bot.imports.table import TableKind
from tests.imports.tables import TITLE, xlsx

data = xlsx([[TITLE], ["ФИО", "Сообщений в групповых чатах"], ["Иванова А. П.", 5]])
asyncio.run(worker.ProcessParser().parse(data, Limits(), {}, (TableKind.PERSON,), "w.xlsx"))
print(*worker._POOL.get()._processes, flush=True)
sys.stdin.read()
"""


def test_a_killed_bot_leaves_no_worker_behind() -> None:
    """SIGKILL of the bot's process (nothing shuts the pool down) ends its reading worker too."""
    bot = subprocess.Popen([sys.executable, "-c", _BOT], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           text=True)
    try:
        assert bot.stdout is not None
        pids = [int(p) for p in bot.stdout.readline().split()]
        assert pids and bot.pid not in pids
        handles = [os.pidfd_open(pid) for pid in pids]
        bot.send_signal(signal.SIGKILL)
        bot.wait(30)
        # A pidfd becomes readable when its process ends: waiting on it is waiting for the end, not polling.
        try:
            ended, _, _ = select.select(handles, [], [], 30)
        finally:
            for handle in handles:
                os.close(handle)
        assert sorted(ended) == sorted(handles), "the reading worker outlived the killed bot"
    finally:
        bot.kill()
        bot.wait(30)
        if bot.stdin is not None:
            bot.stdin.close()
        if bot.stdout is not None:
            bot.stdout.close()


def test_rows_found_ahead_wait_in_a_bounded_queue_and_stop_with_the_file() -> None:
    """A bot that takes no chunks leaves at most AHEAD_CHUNKS of them waiting (the next one found
    waits to be put); a stopped file's finder ends there instead of going through the rest."""
    taken: list[int] = []
    blocked = threading.Event()

    def chunks() -> Iterator[list[tuple[object, ...]]]:
        for number in range(10 * worker.AHEAD_CHUNKS):
            taken.append(number)
            if len(taken) == worker.AHEAD_CHUNKS + 1:
                blocked.set()
            yield [(number,)]

    ahead = worker._Ahead(chunks())
    assert blocked.wait(10)
    ahead.stop()
    ahead.thread.join(10)
    assert not ahead.thread.is_alive()
    assert len(taken) == worker.AHEAD_CHUNKS + 1
    first = ahead.next()
    assert first is not None and pickle.loads(first[0]) == [(0,)]


def test_rows_found_ahead_come_in_order_to_the_end() -> None:
    ahead = worker._Ahead(iter([[(n,)] for n in range(3 * worker.AHEAD_CHUNKS)]))
    got = []
    while (chunk := ahead.next()) is not None:
        got += pickle.loads(chunk[0])
    assert got == [(n,) for n in range(3 * worker.AHEAD_CHUNKS)]
