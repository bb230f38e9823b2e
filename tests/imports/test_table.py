"""Finding the table in a messy file: titles, two-row headers, totals, several sheets."""

from __future__ import annotations

import pytest

from bot.imports import table as table_module
from bot.imports.headers import norm_header
from bot.imports.period import find_period
from bot.imports.reader import Limits
from bot.imports.table import TableKind, parse_table
from tests.imports.tables import (
    ORG_HEADER,
    ORG_ROWS,
    PERSON_HEADER,
    PERSON_ROWS,
    ROSTER_HEADER,
    ROSTER_ROWS,
    TITLE,
    csv_bytes,
    ods,
    xlsx,
)


def test_title_rows_blank_rows_and_totals_are_not_data() -> None:
    """Rows above the header, blank rows, the «1 2 3» numbering row and «Итого» are skipped."""
    rows = [[TITLE], [], [None, "Школа № 1"], PERSON_HEADER, [1, 2, 3, 4, 5, 6, 7, 8],
            PERSON_ROWS[0], [], PERSON_ROWS[1], ["Итого", None, None, 14, 1], ["ВСЕГО:", None, None, 14]]
    table = parse_table(xlsx(rows), Limits())
    assert table.header_row == 4
    assert [r.row_no for r in table.rows] == [6, 8]
    assert find_period(table.titles) is not None


def test_totals_in_the_name_column_and_surnames_like_totals() -> None:
    """«Итого» after a row count is a total; «Итогова Анна» is a person."""
    rows = [["№", "ФИО", "Звонков"], [1, "Итогова Анна", 1], [2, "Всеволодов Иван", 0], [2, "Итого:", 1],
            [None, "ВСЕГО по школе", 1]]
    assert [r.full_name for r in parse_table(csv_bytes(rows), Limits()).rows] == ["Итогова Анна",
                                                                                   "Всеволодов Иван"]


def test_two_row_header_with_merged_cells() -> None:
    """«Активность» merged over three columns above «Сообщений», «Звонков», «ЭЖД»."""
    rows = [
        ["ФИО", "Активность в Сферуме за неделю", None, None],
        [None, "сообщений в групповых чатах", "звонков", "привязка ЭЖД"],
        ["Иванова Анна Петровна", 5, 1, "да"],
    ]
    table = parse_table(xlsx(rows, merged={"Лист1": ["A1:A2", "B1:D1"]}), Limits())
    assert table.kind is TableKind.PERSON
    assert table.columns == {"full_name": 0, "group_messages": 1, "calls": 2, "ejd_linked": 3}
    assert table.header_row == 2
    assert [r.row_no for r in table.rows] == [3]


def test_two_row_header_where_the_upper_row_names_the_field() -> None:
    """«Звонки» over «за неделю»: the two rows read together."""
    rows = [["ФИО", "Звонки", "Сообщения"], [None, "за неделю", "в групповых чатах"], ["Иванова А.П.", 1, 4]]
    table = parse_table(csv_bytes(rows), Limits())
    assert table.columns == {"full_name": 0, "calls": 1, "group_messages": 2}
    assert table.rows[0].row_no == 3


def test_a_school_merged_down_its_rows_fills_each_row() -> None:
    """«Школа» merged over three rows belongs to each; a merged figure is not copied."""
    rows = [["Школа", "ФИО", "Звонков"], ["МБОУ СОШ № 1", "Иванова", 2], [None, "Петров", None], [None, "Сидоров", 1]]
    table = parse_table(xlsx(rows, merged={"Лист1": ["A2:A4", "C2:C3"]}), Limits())
    assert [r.get_text("org") for r in table.rows] == ["МБОУ СОШ № 1"] * 3
    assert [r.get_text("calls") for r in table.rows] == ["2", "", "1"]


def test_empty_leading_columns_and_rows() -> None:
    """A table that starts at C5 is found, and its row numbers are the spreadsheet's."""
    rows = [[], [], [], [], [None, None, *PERSON_HEADER], [None, None, *PERSON_ROWS[0]]]
    table = parse_table(ods(rows), Limits())
    assert table.header_row == 5
    assert table.rows[0].row_no == 6
    assert table.rows[0].full_name == "Иванова Анна Петровна"


def test_the_sheet_whose_header_matches_is_chosen() -> None:
    """A cover sheet and an instructions sheet are passed over for the data sheet."""
    data = xlsx({"Титул": [[TITLE]], "Инструкция": [["Заполните таблицу"]],
                 "Данные": [PERSON_HEADER, PERSON_ROWS[0]]})
    table = parse_table(data, Limits())
    assert table.sheet == "Данные"
    assert table.kind is TableKind.PERSON


def test_wanted_kind_picks_its_sheet() -> None:
    """With a roster sheet and a statistics sheet, each import takes its own."""
    data = xlsx({"Сотрудники": [ROSTER_HEADER, *ROSTER_ROWS], "Статистика": [PERSON_HEADER, *PERSON_ROWS]})
    assert parse_table(data, Limits(), want=(TableKind.ROSTER,)).sheet == "Сотрудники"
    assert parse_table(data, Limits(), want=(TableKind.PERSON,)).sheet == "Статистика"


def test_per_organization_table() -> None:
    """The district's table: one row per school with the indicators' headers."""
    table = parse_table(xlsx([ORG_HEADER, *ORG_ROWS, ["Итого", None, None, 900]]), Limits())
    assert table.kind is TableKind.ORGANIZATION
    assert len(table.rows) == 2
    assert {"org", "inn", "teachers_3plus", "teachers_10plus", "status"} <= set(table.columns)


def test_repeated_header_rows_are_skipped() -> None:
    """A table pasted page by page repeats its header; the repeats are not people."""
    rows = [PERSON_HEADER, PERSON_ROWS[0], PERSON_HEADER, PERSON_ROWS[1]]
    assert len(parse_table(csv_bytes(rows), Limits()).rows) == 2


def test_formula_like_text_stays_text() -> None:
    """A name starting with «=», «+», «-» or «@» is read as the text typed, never evaluated."""
    names = ["=1+1", "+Петров", "-Сидоров", "@Кузнецов"]
    rows = [["ФИО", "Звонков"], *[[n, 1] for n in names]]
    for data in (xlsx(rows), csv_bytes(rows)):
        assert [r.full_name for r in parse_table(data, Limits()).rows] == names


def test_csv_row_numbers_are_lines() -> None:
    """A quoted cell over two lines shifts the following rows' line numbers."""
    data = "ФИО;Звонков;Примечание\nИванова;1;\"две\nстроки\"\nПетров;2;\n".encode()
    table = parse_table(data, Limits())
    assert [r.row_no for r in table.rows] == [2, 4]


def test_full_name_from_three_columns() -> None:
    """Фамилия, Имя, Отчество in three columns make one full name."""
    rows = [["Фамилия", "Имя", "Отчество", "Звонков"], ["Иванова", "Анна", "Петровна", 1]]
    assert parse_table(csv_bytes(rows), Limits()).rows[0].full_name == "Иванова Анна Петровна"


@pytest.mark.parametrize("cell", ["Итого", "ИТОГО:", "итог", "Всего", "ВСЁГО", "всего:", "Итого по школе",
                                  "И-т-о-г-о", "«Итого»", "Итогова Анна", "Всеволодов Иван", "Горбатикова Анна",
                                  "Гусева Ольга", "итоги", "Bcего"])
def test_total_words_are_told_by_the_quick_test_as_by_normalizing(cell: str) -> None:
    """The quick letter tests before normalizing a first word never miss a total word."""
    assert table_module._total_word(cell) == (norm_header(cell.split()[0]) in table_module._TOTAL_WORDS)
