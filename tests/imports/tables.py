"""Builders of small test tables: xlsx (openpyxl), ods (written by hand), csv in any encoding."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape

import openpyxl

Rows = Sequence[Sequence[object]]


def xlsx(sheets: Mapping[str, Rows] | Rows, merged: Mapping[str, Sequence[str]] | None = None,
         as_text: bool = True) -> bytes:
    """An xlsx workbook; strings are written as text cells even when they start with «=»."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    data = sheets if isinstance(sheets, Mapping) else {"Лист1": sheets}
    for name, rows in data.items():
        sheet = book.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is None:
                    continue
                cell = sheet.cell(row=r, column=c, value=value)
                if as_text and isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"
        for ref in (merged or {}).get(name, ()):
            sheet.merge_cells(ref)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def _ods_cell(value: object) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, bool):
        return f'<table:table-cell office:value-type="boolean" office:boolean-value="{str(value).lower()}"/>'
    if isinstance(value, int | float):
        return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>")
    return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'


def ods(sheets: Mapping[str, Rows] | Rows) -> bytes:
    """A minimal OpenDocument spreadsheet."""
    data = sheets if isinstance(sheets, Mapping) else {"Лист1": sheets}
    tables = []
    for name, rows in data.items():
        body = "".join("<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>"
                       for row in rows)
        tables.append(f'<table:table table:name="{escape(name)}">{body}</table:table>')
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS} office:version="1.2">'
               f"<office:body><office:spreadsheet>{''.join(tables)}</office:spreadsheet></office:body>"
               "</office:document-content>")
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def csv_bytes(rows: Rows, delimiter: str = ";", encoding: str = "utf-8") -> bytes:
    """A CSV file in the given encoding (utf-8, utf-8-sig, cp1251, utf-16)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode(encoding)


TITLE = "Мониторинг использования ИКОП «Сферум» за период с 14.11.2026 по 20.11.2026"
PERSON_HEADER = ["№", "ФИО педагога", "Должность", "Сообщений в групповых чатах", "Звонков",
                 "Создал(а) групповой чат", "Связал(а) аккаунт ЭЖД", "Зарегистрирован(а)"]
PERSON_ROWS: list[list[object]] = [
    [1, "Иванова Анна Петровна", "учитель", 12, 1, "да", "Да", "+"],
    [2, "ПЕТРОВ ИГОРЬ СЕРГЕЕВИЧ", "учитель", "2 ", 0, "нет", "нет", "да"],
    [3, "Семёнова О. В.", "учитель", "12,0", "", 1, "ДА", "true"],
]
ROSTER_HEADER = ["ФИО", "Должность", "Классное руководство", "Ссылка на страницу"]
ROSTER_ROWS: list[list[object]] = [
    ["Иванова Анна Петровна", "учитель русского языка", "5а, 7б", "vk.com/id501"],
    ["Петров Игорь Сергеевич", "учитель математики", "", "502"],
    ["Семенова Ольга Викторовна", "педагог-организатор", "6 В", ""],
    ["Кузнецов Павел Андреевич", "зам. директора по УВР", "", "id504"],
    ["Смирнова Елена Ивановна", "библиотекарь", "", ""],
]
ORG_HEADER = ["Муниципалитет", "Наименование ОО", "ИНН", "Учеников всего", "Учителей всего",
              "Учителя, создавшие групповые чаты",
              "Учителя, написавшие в групповых чатах минимум 3 сообщения за неделю",
              "Учителя, написавшие в групповых чатах минимум 10 сообщений за неделю",
              "Учителя, совершившие минимум 1 звонок за неделю", "Учителя, связавшие аккаунты ЭЖД",
              "Ученики, связавшие аккаунты ЭЖД", "Статус профиля"]
ORG_ROWS: list[list[object]] = [
    ["Город", "МБОУ СОШ № 1", "0500000001", 600, 40, 30, 25, 10, 5, 35, 400, "Активен"],
    ["Город", "МБОУ СОШ № 5", "0500000005", 300, 20, 10, 5, 1, 0, 10, 100, "Не активен"],
]
