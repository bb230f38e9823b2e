"""Property tests: random and mutated tables never crash the importer, and refusals change nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import parse_settings
from bot.imports.reader import ImportRefused, Limits
from bot.imports.table import parse_table
from bot.services.imports import ImportService
from storage.db import Database
from storage.imports import ImportsSql
from tests.imports.conftest import FixedClock, table_counts
from tests.imports.tables import PERSON_HEADER, PERSON_ROWS, ROSTER_HEADER, csv_bytes, xlsx

WORDS = ["ФИО", "Должность", "Звонков", "Сообщений", "Итого", "Всего", "да", "нет", "✓", "=1+1", "-", "+",
         "@x", "12,0", "12 ", "vk.com/id5", "vk.com/a_b", "Иванова А.П.", "ИВАНОВ", "5а, 7б", "учитель",
         "директор", "Школа", "ИНН", "Статус", "Активен", "", "\n", ";", '"', "\x00", "ё"]
CELL = st.one_of(st.none(), st.sampled_from(WORDS), st.integers(-5, 10**6),
                 st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12))
TABLE = st.lists(st.lists(CELL, max_size=8), max_size=12)


def _xlsx_cell(value: object) -> object:
    # openpyxl refuses control characters and NaN; the file format cannot hold them anyway.
    if isinstance(value, str):
        return "".join(ch for ch in value if ch >= " " or ch in "\t\n") or None
    if isinstance(value, float) and value != value:
        return None
    return value


@settings(max_examples=60, deadline=None)
@given(rows=TABLE, header=st.sampled_from([PERSON_HEADER, ROSTER_HEADER, []]))
def test_random_tables_parse_or_are_refused(rows: list[list[object]], header: list[str]) -> None:
    """Any grid of cells, as CSV or xlsx, either parses or raises ImportRefused — nothing else."""
    grid = ([header] if header else []) + rows
    for data in (csv_bytes(grid, ";", "utf-8"),
                 xlsx([[_xlsx_cell(v) for v in row] for row in grid])):
        try:
            table = parse_table(data, Limits(max_rows=50))
        except ImportRefused as exc:
            assert str(exc)
        else:
            assert all(r.row_no >= 1 for r in table.rows)


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=600), cut=st.integers(0, 4000))
def test_mutated_files_never_crash(data: bytes, cut: int) -> None:
    """Random bytes and truncated or corrupted real files either parse or are refused."""
    real = xlsx([PERSON_HEADER, *PERSON_ROWS])
    broken = real[:cut] + data + real[cut + len(data):]
    for blob in (data, broken, real[:cut]):
        try:
            parse_table(blob, Limits())
        except ImportRefused as exc:
            assert str(exc)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=TABLE, roster=st.booleans())
def test_refusals_change_nothing(tmp_path: Path, rows: list[list[object]], roster: bool) -> None:
    """Whatever the table, an import either succeeds or leaves every table exactly as it was."""
    async def scenario() -> None:
        config = parse_settings({"schools": [{"id": "school1", "name": "Школа", "deputy_vk_ids": [7]}]}, tmp_path)
        db = await Database.open(tmp_path / f"p{dt.datetime.now().timestamp()}.sqlite3")
        try:
            service = ImportService(ImportsSql(db), config, clock=FixedClock())
            await service.prepare()
            before = await table_counts(db)
            data = csv_bytes([ROSTER_HEADER if roster else PERSON_HEADER, *rows])
            try:
                if roster:
                    await service.import_roster(data, "x.csv")
                else:
                    await service.import_stats(data, "x.csv")
            except ImportRefused:
                assert await table_counts(db) == before
            else:
                assert (await table_counts(db))["imports"] == before["imports"] + 1
        finally:
            await db.close()

    asyncio.run(scenario())
