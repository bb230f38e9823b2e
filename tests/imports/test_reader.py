"""Reading every format, and refusing what is not a safe, non-empty table."""

from __future__ import annotations

import io
import zipfile

import pytest

from bot.imports.reader import OLE_MAGIC, ImportRefused, Limits, read_sheets, sniff_delimiter
from bot.imports.table import TableKind, parse_table
from tests.imports.tables import PERSON_HEADER, PERSON_ROWS, csv_bytes, ods, xlsx

ROWS = [PERSON_HEADER, *PERSON_ROWS]


@pytest.mark.parametrize("data", [
    pytest.param(xlsx(ROWS), id="xlsx"),
    pytest.param(ods(ROWS), id="ods"),
    pytest.param(csv_bytes(ROWS, ";", "utf-8"), id="csv-utf8-semicolon"),
    pytest.param(csv_bytes(ROWS, ",", "utf-8-sig"), id="csv-bom-comma"),
    pytest.param(csv_bytes(ROWS, "\t", "cp1251"), id="csv-cp1251-tab"),
    pytest.param(csv_bytes(ROWS, ";", "cp1251"), id="csv-cp1251-semicolon"),
    pytest.param(csv_bytes(ROWS, "\t", "utf-16"), id="csv-utf16-tab"),
])
def test_every_format_reads_the_same_table(data: bytes) -> None:
    """xlsx, ods and CSV in each encoding and delimiter give the same names and figures."""
    table = parse_table(data, Limits())
    assert table.kind is TableKind.PERSON
    assert [r.full_name for r in table.rows] == ["Иванова Анна Петровна", "ПЕТРОВ ИГОРЬ СЕРГЕЕВИЧ",
                                                 "Семёнова О. В."]
    assert [r.row_no for r in table.rows] == [2, 3, 4]
    assert str(table.rows[1].values["group_messages"]).strip() in ("2", "2.0")


def test_delimiter_sniffing_ignores_a_title_line() -> None:
    """A title line without delimiters does not fool the sniffer."""
    lines = ["Мониторинг за неделю, школа 1", "ФИО;Звонков;Сообщений", "Иванова, Анна;1;2", "Петров;0;5"]
    assert sniff_delimiter(lines) == ";"


def test_refuses_what_is_not_a_table() -> None:
    """A PDF, a picture, a Word file and random bytes are refused with a hint at the formats."""
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    for data in (b"%PDF-1.7 ...", b"\x89PNG\r\n\x1a\n....", docx.getvalue(), bytes(range(256)) * 8):
        with pytest.raises(ImportRefused, match="не таблица|повреждён"):
            read_sheets(data, Limits())


def test_refuses_prose() -> None:
    """A text file with no recognizable header is refused and says what it found."""
    with pytest.raises(ImportRefused, match="заголовками.*найдены столбцы: Привет"):
        parse_table("Привет!\nКак дела?\n".encode(), Limits())


def test_refuses_an_encrypted_workbook() -> None:
    """A password-protected xlsx is an OLE container with an EncryptedPackage stream."""
    data = OLE_MAGIC + b"\x00" * 200 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 300
    with pytest.raises(ImportRefused, match="паролем"):
        read_sheets(data, Limits())


def test_refuses_an_old_word_file() -> None:
    """A .doc is an OLE container with a WordDocument stream: not a table."""
    with pytest.raises(ImportRefused, match="не таблица"):
        read_sheets(OLE_MAGIC + b"\x00" * 200 + "WordDocument".encode("utf-16-le") + b"\x00" * 300, Limits())


def test_an_ole_file_named_xlsx_is_encrypted() -> None:
    """Office keeps a password-protected xlsx in an OLE container: by its name it is encrypted."""
    data = OLE_MAGIC + b"\x00" * 1000
    with pytest.raises(ImportRefused, match="зашифрован"):
        read_sheets(data, Limits(), "Статистика.XLSX")
    with pytest.raises(ImportRefused, match="повреждён"):
        read_sheets(data, Limits(), "old.xls")


def test_refuses_a_broken_xls() -> None:
    """An OLE file calamine cannot read is refused, not crashed on."""
    with pytest.raises(ImportRefused, match="повреждён"):
        read_sheets(OLE_MAGIC + b"\x00" * 1000, Limits())


@pytest.mark.parametrize("data", [b"", b"   \r\n;;;\r\n", xlsx([[None]]), ods([[]])])
def test_refuses_an_empty_file(data: bytes) -> None:
    """Zero bytes, blank lines and a workbook without cells are refused as empty."""
    with pytest.raises(ImportRefused, match="пуст"):
        read_sheets(data, Limits())


def test_refuses_a_header_without_data() -> None:
    """A header with no rows under it is refused."""
    with pytest.raises(ImportRefused, match="нет ни одной строки"):
        parse_table(csv_bytes([PERSON_HEADER, [], ["Итого", "", "", 0]]), Limits())


def test_refuses_a_file_over_the_size_limit() -> None:
    """A file larger than max_file_mb is refused before it is parsed."""
    with pytest.raises(ImportRefused, match="слишком большой"):
        read_sheets(b"x" * 2000, Limits(max_file_mb=0.001))


@pytest.mark.parametrize("make", [xlsx, lambda rows: csv_bytes(rows)])
def test_refuses_too_many_rows(make: object) -> None:
    """More data rows than max_rows is refused (xlsx and CSV)."""
    rows = [PERSON_HEADER] + [[i, f"Человек {i}", "учитель", 1] for i in range(300)]
    with pytest.raises(ImportRefused, match="больше 50 строк"):
        parse_table(make(rows), Limits(max_rows=50))  # type: ignore[operator]


def _bomb(declared_honestly: bool) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (3 * 1024 * 1024))
    data = out.getvalue()
    if declared_honestly:
        return data
    # Lie in the central directory: claim the big entry is 10 bytes long.
    archive = zipfile.ZipFile(io.BytesIO(data))
    info = archive.getinfo("xl/worksheets/sheet1.xml")
    cd_size = (3 * 1024 * 1024).to_bytes(4, "little")
    return data.replace(cd_size, (10).to_bytes(4, "little")) if info else data


@pytest.mark.parametrize("honest", [True, False])
def test_refuses_a_zip_bomb(honest: bool) -> None:
    """A zip that expands beyond max_unzipped_mb is refused, even when its headers lie."""
    with pytest.raises(ImportRefused, match="распаков|повреждён"):
        read_sheets(_bomb(honest), Limits(max_unzipped_mb=1))


def test_declared_sizes_are_checked_before_reading() -> None:
    """The honest bomb is refused by its declared sizes alone (the message names the limit)."""
    with pytest.raises(ImportRefused, match="больше 1 МБ"):
        read_sheets(_bomb(True), Limits(max_unzipped_mb=1))


def test_refuses_a_broken_csv_quote() -> None:
    """A CSV with a NUL byte inside is not a table."""
    with pytest.raises(ImportRefused):
        read_sheets(b"\x00\x00\x00", Limits())


def test_html_saved_as_xls() -> None:
    """An HTML page named «.xls» (as school systems export) is read, colspan as a merged header."""
    page = ("<html><body><p>Мониторинг за период с 14.11.2026 по 20.11.2026</p><table>"
            "<tr><th rowspan=2>ФИО</th><th colspan=2>Активность</th></tr>"
            "<tr><th>Сообщений в групповых чатах</th><th>Звонков</th></tr>"
            "<tr><td>Иванова&nbsp;Анна</td><td>5</td><td>1</td></tr></table></body></html>")
    table = parse_table(page.encode("cp1251"), Limits())
    assert table.kind is TableKind.PERSON
    assert [(r.row_no, r.full_name, r.values["group_messages"]) for r in table.rows] == [(3, "Иванова Анна", "5")]
    assert "Мониторинг за период с 14.11.2026 по 20.11.2026" in table.titles


def test_csv_with_an_excel_separator_hint() -> None:
    """«sep=,» on the first line sets the delimiter and line numbers still count it."""
    data = "sep=,\nФИО,Звонков\nИванова; Анна,2\n".encode()
    table = parse_table(data, Limits())
    assert [(r.row_no, r.full_name) for r in table.rows] == [(3, "Иванова; Анна")]


@pytest.mark.parametrize("seed", range(40))
def test_sheet_rows_converted_lazily_are_calamines_whole_sheet(seed: int) -> None:
    """`SheetRows` (a row converted when it or a later one is first asked for) gives what
    `to_python(skip_empty_area=False)` gives, blank leading rows and columns included, by index,
    slice, iteration and length; a sheet with nothing in it has no rows."""
    import random

    import openpyxl
    import python_calamine

    from bot.imports.reader import SheetRows

    rng = random.Random(seed)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    top, left = rng.randint(1, 4), rng.randint(1, 4)
    for _ in range(rng.randint(0, 14)):
        sheet.cell(rng.randint(top, top + 6), rng.randint(left, left + 5)).value = rng.choice(
            ["x", 5, 2.5, True, " ", "Итого"])
    data = io.BytesIO()
    book.save(data)

    def read() -> python_calamine.CalamineSheet:
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data.getvalue())).get_sheet_by_index(0)

    whole = read().to_python(skip_empty_area=False)
    rows = SheetRows(read(), "Лист1")
    assert len(rows) == len(whole)
    if whole:
        assert rows[-1] == whole[-1] and rows.width == len(whole[0])
    assert rows[1:3] == whole[1:3]
    assert list(rows) == whole
