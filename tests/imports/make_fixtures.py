"""Regenerate the files in tests/fixtures/tables: `python -m tests.imports.make_fixtures`."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

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
from tests.imports.xls_writer import xls

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tables"

# A two-row header under a title, a numbering row, a blank row and a closing «Итого».
MESSY = [
    [TITLE],
    [],
    ["№", "ФИО", "Активность за неделю", None, None, "ЭЖД"],
    [None, None, "Сообщений в групповых чатах", "Звонков", "Создал(а) групповой чат", "Связал(а) аккаунт ЭЖД"],
    [1, 2, 3, 4, 5, 6],
    [1, "Иванова Анна Петровна", 12, 1, "да", "да"],
    [],
    [2, "ПЕТРОВ И. С.", "2 ", 0, "нет", ""],
    [3, "Сидоров П.", "12,0", "", 1, "✓"],
    ["Итого", None, 26, 1, None, None],
]
FLAT = [[TITLE], [], PERSON_HEADER, *PERSON_ROWS, ["Итого", None, None, 26, 1]]


def _lying_zip() -> bytes:
    """An xlsx-looking zip whose central directory claims a 300 MB sheet."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<worksheet/>" * 10)
    data = bytearray(out.getvalue())
    start = data.rfind(b"PK\x01\x02")  # the last central directory entry: the sheet
    struct.pack_into("<I", data, start + 24, 300 * 1024 * 1024)
    return bytes(data)


def build() -> dict[str, bytes]:
    """Every fixture by file name."""
    encrypted = bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 500 + "EncryptedPackage".encode("utf-16-le")
    return {
        "person_messy.xlsx": xlsx({"Титул": [[TITLE]], "Мониторинг": MESSY},
                                  merged={"Мониторинг": ["A1:F1", "A3:A4", "B3:B4", "C3:E3"]}),
        "person_messy.ods": ods(MESSY),
        "person_flat.xls": xls(FLAT, "Мониторинг"),
        "person_utf8_semicolon.csv": csv_bytes(FLAT, ";", "utf-8"),
        "person_utf8bom_comma.csv": csv_bytes(FLAT, ",", "utf-8-sig"),
        "person_cp1251_tab.csv": csv_bytes(FLAT, "\t", "cp1251"),
        "person_cp1251_semicolon.csv": csv_bytes(FLAT, ";", "cp1251"),
        "organizations.xlsx": xlsx([["Мониторинг по району за период с 14.11.2026 по 20.11.2026"], ORG_HEADER,
                                    *ORG_ROWS, ["Всего", None, None, 900, 60]]),
        "roster.xlsx": xlsx([["Список сотрудников"], ROSTER_HEADER, *ROSTER_ROWS]),
        "roster_cp1251.csv": csv_bytes([ROSTER_HEADER, *ROSTER_ROWS], ";", "cp1251"),
        "encrypted.xlsx": encrypted,
        "not_a_table.pdf": b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n",
        "zip_bomb.xlsx": _lying_zip(),
        "empty.csv": b"",
    }


def main() -> None:
    """Write the fixtures."""
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for name, data in build().items():
        (FIXTURES / name).write_bytes(data)


if __name__ == "__main__":
    main()
