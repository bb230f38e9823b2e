"""Reading staff rosters and weekly statistics tables (xlsx, xls, ods, csv).

Pure code: bytes in, parsed rows out. Nothing here touches the database or VK;
`worker.py` runs the reading in a separate process, and `bot/services/imports/`
matches the rows to people and stores them.
"""

from bot.imports.reader import ImportRefused, Limits, RawSheet, read_sheets
from bot.imports.table import ParsedTable, TableKind, parse_table

__all__ = [
    "ImportRefused",
    "Limits",
    "ParsedTable",
    "RawSheet",
    "TableKind",
    "parse_table",
    "read_sheets",
]
