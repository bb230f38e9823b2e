"""Property tests for both importers on mutated real tables: shuffled and renamed headers,
random and huge cells, formulas, empty sheets, truncated files — never an exception other than
a refusal, the report in Russian, and a refused file leaves every table exactly as it was."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import parse_settings
from bot.imports.reader import ImportRefused
from bot.imports.report import RosterResult, render_roster, render_stats
from bot.messaging.events import Identity, Messenger
from bot.services.imports import ImportService
from storage.db import Database
from storage.imports import ImportsSql
from tests.conftest import ROOT
from tests.imports.conftest import FixedClock
from tests.imports.tables import (
    ORG_HEADER,
    ORG_ROWS,
    PERSON_HEADER,
    PERSON_ROWS,
    ROSTER_HEADER,
    ROSTER_ROWS,
    csv_bytes,
    ods,
    xlsx,
)

REAL = {"person": (PERSON_HEADER, PERSON_ROWS), "roster": (ROSTER_HEADER, ROSTER_ROWS),
        "organization": (ORG_HEADER, ORG_ROWS)}
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "tables").iterdir())
CELL = st.one_of(
    st.none(), st.text(max_size=15), st.integers(-(10**20), 10**20), st.floats(allow_nan=False),
    st.sampled_from(["=1+1", "=SUM(A1:A9)", "=HYPERLINK(\"vk.com\")", "#REF!", "1e309", "9" * 40, "-0",
                     "да", "нет", "✓", "Итого", "ФИО", "", " ", "\t", "12,5", "1 000", "vk.com/id1", "ё"]),
)
CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


def _xlsx_safe(value: object) -> object:
    # The file format cannot hold control characters; openpyxl refuses them.
    if isinstance(value, str):
        return "".join(ch for ch in value if ch >= " " or ch in "\t\n") or None
    return value


@st.composite
def mutated_table(draw: st.DrawFn) -> tuple[str, list[list[object]]]:
    """A real table of one kind with its headers and cells mutated."""
    kind = draw(st.sampled_from(sorted(REAL)))
    header, rows = REAL[kind]
    header = list(header)
    if draw(st.booleans()):
        header = draw(st.permutations(header))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(header) - 1))
        header[at] = draw(st.one_of(st.text(max_size=12), st.sampled_from(["", "ФИО", "Фамилия", "Должность",
                                                                           "Звонков", "№", "ИНН"])))
    if draw(st.booleans()):
        header = header[: draw(st.integers(0, len(header)))]
    body = [list(row) for row in rows]
    for _ in range(draw(st.integers(0, 8))):
        if not body:
            break
        r = draw(st.integers(0, len(body) - 1))
        if not body[r]:
            continue
        body[r][draw(st.integers(0, len(body[r]) - 1))] = draw(CELL)
    if draw(st.booleans()):
        body = body + draw(st.lists(st.lists(CELL, max_size=len(header) + 2), max_size=4))
    grid = ([] if draw(st.integers(0, 9)) == 0 else [header]) + body
    return kind, grid


def _encode(grid: list[list[object]], form: str, cut: int | None) -> tuple[bytes, str]:
    if form == "csv":
        data, name = csv_bytes(grid, ";", "utf-8"), "t.csv"
    elif form == "xlsx":
        data, name = xlsx([[_xlsx_safe(v) for v in row] for row in grid]), "t.xlsx"
    else:
        data, name = ods([[_xlsx_safe(v) for v in row] for row in grid]), "t.ods"
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    return data, name


async def dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    async with db.read() as conn:
        async with conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cur:
            tables = sorted(str(r[0]) for r in await cur.fetchall())
        for table in tables:
            async with conn.execute(f'SELECT * FROM "{table}"') as cur:  # noqa: S608 - names from sqlite_master
                found[table] = sorted((tuple(r) for r in await cur.fetchall()), key=repr)
    return found


def _russian(text: str) -> None:
    letters = re.findall(r"[^\W\d_]", text)
    assert text.strip()
    assert sum(1 for ch in letters if CYRILLIC.match(ch)) >= len(letters) / 3, text


async def _import(tmp_path: Path, data: bytes, name: str, how: str) -> bool:
    """Import one file; True if it was refused (after checking the refusal changed nothing)."""
    config = parse_settings({"schools": [{"id": "school1", "name": "МБОУ СОШ № 1", "deputy_vk_ids": [7]}]},
                            tmp_path)
    db = await Database.open(tmp_path / f"{abs(hash((data, how)))}.sqlite3")
    try:
        service = ImportService(ImportsSql(db), config, clock=FixedClock())
        await service.prepare()
        await service.import_roster(csv_bytes([ROSTER_HEADER, *ROSTER_ROWS]), "base.csv")
        before = await dump(db)
        try:
            if how == "roster":
                result: Any = await service.import_roster(data, name, imported_by=Identity(messenger=Messenger.VK, external_id=7))
            elif how == "stats":
                result = await service.import_stats(data, name, imported_by=Identity(messenger=Messenger.VK, external_id=7))
            else:
                result = await service.import_file(data, name, imported_by=Identity(messenger=Messenger.VK, external_id=7))
        except ImportRefused as refused:
            _russian(str(refused))
            after = await dump(db)
            # A refusal may be audited; nothing else changes.
            assert {t: r for t, r in after.items() if not t.startswith("audit")} == \
                   {t: r for t, r in before.items() if not t.startswith("audit")}
            return True
        _russian(render_roster(result) if isinstance(result, RosterResult) else render_stats(result))
        return False
    finally:
        await db.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=mutated_table(), form=st.sampled_from(["csv", "xlsx", "ods"]),
       cut=st.one_of(st.none(), st.integers(0, 5000)), how=st.sampled_from(["roster", "stats", "auto"]))
def test_mutated_real_tables(tmp_path: Path, table: tuple[str, list[list[object]]], form: str,
                             cut: int | None, how: str) -> None:
    """A mutated roster, person or organization table: imported with a Russian report, or refused
    in Russian with the database untouched."""
    _, grid = table
    data, name = _encode(grid, form, cut)
    asyncio.run(_import(tmp_path, data, name, how))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(0, len(FIXTURES) - 1), cut=st.integers(0, 100_000), junk=st.binary(max_size=64),
       how=st.sampled_from(["roster", "stats", "auto"]))
def test_damaged_fixture_files(tmp_path: Path, index: int, cut: int, junk: bytes, how: str) -> None:
    """The real fixture files, truncated and with junk spliced in: a report or a Russian refusal."""
    real = FIXTURES[index].read_bytes()
    at = cut % (len(real) + 1)
    data = real[:at] + junk + real[at + len(junk):]
    asyncio.run(_import(tmp_path, data, FIXTURES[index].name, how))


def test_empty_sheets_are_refused_in_russian(tmp_path: Path) -> None:
    """An empty workbook, an empty CSV and a sheet of blanks: a Russian refusal, nothing changed."""
    for data, name in ((xlsx([]), "e.xlsx"), (b"", "e.csv"), (xlsx([[None, None], [None]]), "b.xlsx"),
                       (ods([]), "e.ods")):
        for how in ("roster", "stats", "auto"):
            assert asyncio.run(_import(tmp_path, data, name, how)), (name, how)
