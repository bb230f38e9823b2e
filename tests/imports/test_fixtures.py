"""The committed sample files in tests/fixtures/tables read as they should."""

from __future__ import annotations

import pytest

from bot.imports.period import find_period
from bot.imports.reader import ImportRefused, Limits
from bot.imports.table import TableKind, parse_table
from tests.conftest import ROOT

TABLES = ROOT / "tests" / "fixtures" / "tables"
NAMES = ["Иванова Анна Петровна", "ПЕТРОВ ИГОРЬ СЕРГЕЕВИЧ", "Семёнова О. В."]


@pytest.mark.parametrize("name", ["person_messy.xlsx", "person_messy.ods"])
def test_messy_statistics(name: str) -> None:
    """Title, cover sheet, two-row merged header, numbering row, blank row and «Итого» are handled."""
    table = parse_table((TABLES / name).read_bytes(), Limits())
    assert table.kind is TableKind.PERSON
    assert {"full_name", "group_messages", "calls", "group_chats_created", "ejd_linked"} <= set(table.columns)
    assert [(r.row_no, r.full_name) for r in table.rows] == [
        (6, "Иванова Анна Петровна"), (8, "ПЕТРОВ И. С."), (9, "Сидоров П.")]
    assert str(find_period(table.titles)) == "14.11.2026–20.11.2026"


@pytest.mark.parametrize("name", ["person_flat.xls", "person_utf8_semicolon.csv", "person_utf8bom_comma.csv",
                                  "person_cp1251_tab.csv", "person_cp1251_semicolon.csv"])
def test_flat_statistics_in_every_format(name: str) -> None:
    """xls and every CSV variant give the same three people on rows 4–6."""
    table = parse_table((TABLES / name).read_bytes(), Limits())
    assert table.kind is TableKind.PERSON
    assert [(r.row_no, r.full_name) for r in table.rows] == list(zip([4, 5, 6], NAMES, strict=True))
    assert find_period(table.titles) is not None


def test_district_table() -> None:
    """The per-organization sample is told apart from the per-person ones."""
    table = parse_table((TABLES / "organizations.xlsx").read_bytes(), Limits())
    assert (table.kind, len(table.rows)) == (TableKind.ORGANIZATION, 2)


@pytest.mark.parametrize("name", ["roster.xlsx", "roster_cp1251.csv"])
def test_roster_samples(name: str) -> None:
    """The roster samples are recognized as rosters."""
    table = parse_table((TABLES / name).read_bytes(), Limits())
    assert (table.kind, len(table.rows)) == (TableKind.ROSTER, 5)


@pytest.mark.parametrize(("name", "reason"), [
    ("encrypted.xlsx", "паролем"), ("not_a_table.pdf", "не таблица"), ("zip_bomb.xlsx", "распаковки"),
    ("empty.csv", "пуст"),
])
def test_bad_samples_are_refused(name: str, reason: str) -> None:
    """Encrypted, not a table, a zip bomb and an empty file are refused with their reason."""
    with pytest.raises(ImportRefused, match=reason):
        parse_table((TABLES / name).read_bytes(), Limits())
