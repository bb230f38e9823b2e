"""Rows looked up in the roster while the file is still being read (`read_person_rows(index=…)`) are
matched exactly as rows looked up afterwards; a file of strangers stops the early lookups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import parse_settings
from bot.imports import table as table_module
from bot.imports.matching import RosterIndex
from bot.imports.reader import ImportRefused, Limits
from bot.imports.report import Problem
from bot.imports.table import TableKind, parse_table
from bot.services.imports.orgs import OrgScope
from bot.services.imports.resolver import ScreenNames
from bot.services.imports.stats import (
    Early,
    _full_name,
    match_person_rows,
    read_person_rows,
    refuse_mostly_strangers,
)
from bot.stores.imports import PersonRef
from tests.imports.tables import TITLE, xlsx

HEADER = ["ФИО", "VK", "Сообщений в групповых чатах", "Звонков"]
REFS = [PersonRef(1, "school1", "Иванова Анна Петровна", 501, True), PersonRef(2, "school1", "Петров Игорь Сергеевич", None, True),
        PersonRef(3, "school1", "Сидоров Пётр Ильич", None, True), PersonRef(4, "school1", "Сидоров Павел Андреевич", None, True),
        PersonRef(5, "school1", "Семёнова Ольга Викторовна", None, True), PersonRef(6, "school1", "Кузнецова Мария", 777, True)]
ROWS: list[list[object]] = [["Иванова Анна Петровна", None, 5, 1], ["ПЕТРОВ ИГОРЬ СЕРГЕЕВИЧ", None, 3, 0], ["Сидоров П.", None, 1, 1],
        ["Семенова О. В.", None, 2, 2], ["Кто-то Другой", "id777", 4, 4], ["Незнакомый Человек", None, 1, 0],
        ["Петров И. С.", None, 7, 7], ["Сидоров Павел", None, 0, 0], ["Шуткина Ира", "durov", 1, 1],
        ["Запомненная Анна", None, 2, 0]]
EARLIER = [("school1", "Запомненная Анна", 5)]


def _scope(tmp_path: Path) -> OrgScope:
    return OrgScope(parse_settings({"schools": [{"id": "school1", "name": "Школа"}]}, tmp_path))


async def _resolve(screen: str) -> int | None:
    return {"durov": 501}.get(screen)


async def _matched(tmp_path: Path, rows: list[list[object]], *, early_lookups: bool) -> tuple[Any, ...]:
    table = parse_table(xlsx([[TITLE], HEADER, *rows]), Limits(), {}, (TableKind.PERSON,))
    problems: list[Problem] = []
    index = RosterIndex.build(REFS)
    early: list[Early] | None = [] if early_lookups else None
    parsed, _ = await read_person_rows(table, _scope(tmp_path), "school1", None, problems,
                                       index=index if early_lookups else None, early=early)
    found = await match_person_rows(parsed, REFS, EARLIER, ScreenNames(_resolve), problems, index=index, early=early)
    try:
        refuse_mostly_strangers(len(parsed), found)
        refusal = ""
    except ImportRefused as exc:
        refusal = str(exc)
    pending = [(p.row_no, p.name, p.reason, [c.id for c in p.candidates]) for p in found.pending]
    return (found.stats, pending, found.unmatched, found.matching, found.remembered, found.strangers,
            found.cut_short, [(p.row, p.reason) for p in problems], refusal, len(early or ()))


async def test_rows_looked_up_early_are_matched_as_rows_looked_up_after(tmp_path: Path) -> None:
    """Exact names, capitals, initials (one person, two people), a VK id, a screen name, a remembered
    choice, strangers and a person named twice: the same people, kept-aside rows, counts and problems."""
    after = await _matched(tmp_path, ROWS, early_lookups=False)
    early = await _matched(tmp_path, ROWS, early_lookups=True)
    assert early[:-1] == after[:-1]
    assert early[-1] == len(ROWS)  # every row was looked up while the file was read
    assert [pid for _, pid, _ in early[0]] == [1, 2, 5, 6, 4]
    assert early[4] == 1  # the remembered choice


async def test_a_file_of_strangers_stops_the_early_lookups_and_is_refused_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Mostly people of another school: early lookups stop after the first chunks show it, and the refusal
    (cut short, with the same examples) is the one matching afterwards gives."""
    monkeypatch.setattr(table_module, "PLAIN_CHUNK", 50)
    strangers: list[list[object]] = [[f"Чужой{n} Человек", None, 1, 0] for n in range(300)]
    rows = [*ROWS[:2], *strangers]
    after = await _matched(tmp_path, rows, early_lookups=False)
    early = await _matched(tmp_path, rows, early_lookups=True)
    assert early[:-1] == after[:-1]
    assert early[6] is True and "больше половины не нашлись" in str(early[8])
    assert 100 <= early[-1] < len(rows)


@pytest.mark.parametrize("count", [0, 3, len(ROWS)])
async def test_matching_takes_the_early_lookups_it_has_and_looks_up_the_rest(tmp_path: Path, count: int) -> None:
    """`early` may cover only the first rows: matching looks the others up itself, with the same outcome."""
    table = parse_table(xlsx([[TITLE], HEADER, *ROWS]), Limits(), {}, (TableKind.PERSON,))
    index = RosterIndex.build(REFS)
    outcomes = []
    for partial in (False, True):
        problems: list[Problem] = []
        parsed, _ = await read_person_rows(table, _scope(tmp_path), "school1", None, problems)
        early: list[Early] | None = None
        if partial:
            early = [index.quick(row[1], row[5], row[2]) or index.match(row[1], row[5], row[2])
                     for row in parsed[:count]]
        found = await match_person_rows(parsed, REFS, EARLIER, ScreenNames(_resolve), problems, index=index,
                                        early=early)
        outcomes.append((found.stats, [p.row_no for p in found.pending], [(p.row, p.reason) for p in problems]))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("cell", ["Иванова Анна Петровна", "  Иванова Анна Петровна", "Иванова Анна Петровна ",
                                  "Иванова  Анна Петровна", "Иванова\xa0Анна Петровна", "Иванова\tАнна\nПетровна",
                                  "Иванова Анна\u200b Петровна", "Иванова\u2009Анна Петровна", "Ли", " "])
async def test_a_name_cell_taken_as_it_is_reads_as_the_full_name_does(tmp_path: Path, cell: str) -> None:
    """The ФИО cell kept as it is when its spaces are already single ones gives the name `_full_name` gives:
    odd spaces, tabs, line breaks and zero-width spaces are still tidied."""
    table = parse_table(xlsx([[TITLE], HEADER, [cell, "id501", 1, 0]]), Limits(), {}, (TableKind.PERSON,))
    raw = next(iter(table.rows)).values["full_name"]
    parsed, _ = await read_person_rows(table, _scope(tmp_path), "school1", None, [])
    assert parsed[0][5] == (_full_name((raw,), 0, ()) or "VK 501")
