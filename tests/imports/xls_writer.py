"""A tiny writer of legacy .xls files (BIFF8 in an OLE compound file) for test fixtures.

Only what a reader needs: one sheet, text (LABEL) and number (NUMBER) cells. Written
from the published MS-XLS / MS-CFB layouts so that the tests can feed calamine a real xls.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence

_SECTOR = 512
_END, _FREE, _FATSECT, _NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def _record(kind: int, body: bytes) -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def _bof(dt: int) -> bytes:
    return _record(0x0809, struct.pack("<HHHHII", 0x0600, dt, 0x0DBB, 0x07CC, 0, 6))


def _xf(parent: int, style: bool) -> bytes:
    # XF: font 0, format 0 (General); a cell XF points at the style XF 0.
    flags = 0xFFF5 if style else (parent << 4)
    return _record(0x00E0, struct.pack("<HHH", 0, 0, flags) + b"\x20\x00" + b"\x00" * 12)


def _font() -> bytes:
    name = "Arial".encode("utf-16-le")
    return _record(0x0031, struct.pack("<HHHHHBBBB", 200, 0, 0x7FFF, 400, 0, 0, 0, 0, 0)
                   + struct.pack("<BB", 5, 1) + name)


def _workbook_stream(sheet_name: str, rows: Sequence[Sequence[object]]) -> bytes:
    cells = []
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                cells.append(_record(0x0203, struct.pack("<HHHd", r, c, 15, float(value))))
            else:
                text = str(value).encode("utf-16-le")
                cells.append(_record(0x0204, struct.pack("<HHHHB", r, c, 15, len(text) // 2, 1) + text))
    width = max((len(r) for r in rows), default=0)
    sheet = (_bof(0x0010) + _record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, width, 0))
             + b"".join(cells) + _record(0x000A, b""))
    name = sheet_name.encode("utf-16-le")
    globals_head = (_bof(0x0005) + _record(0x0042, struct.pack("<H", 1200))
                    + b"".join(_font() for _ in range(5))
                    + b"".join(_xf(0, True) for _ in range(15)) + _xf(0, False))
    # Padding keeps the stream above 4096 bytes, so it lives in ordinary sectors, not the mini stream.
    padding = _record(0x00EF, b"\x00" * 4200)
    boundsheet_len = 4 + 4 + 2 + 2 + len(name)
    sheet_offset = len(globals_head) + len(padding) + boundsheet_len + 4
    boundsheet = _record(0x0085, struct.pack("<IBBBB", sheet_offset, 0, 0, len(name) // 2, 1) + name)
    return globals_head + padding + boundsheet + _record(0x000A, b"") + sheet


def _dir_entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
    raw = (name + "\x00").encode("utf-16-le") if name else b""
    return (raw.ljust(64, b"\x00") + struct.pack("<HBB", len(raw), kind, 1)
            + struct.pack("<III", _NOSTREAM, _NOSTREAM, child) + b"\x00" * 16 + struct.pack("<I", 0)
            + b"\x00" * 16 + struct.pack("<IQ", start, size))


def xls(rows: Sequence[Sequence[object]], sheet_name: str = "Лист1") -> bytes:
    """A one-sheet .xls workbook holding `rows`."""
    stream = _workbook_stream(sheet_name, rows)
    n = math.ceil(len(stream) / _SECTOR)
    if n + 2 > _SECTOR // 4:
        raise ValueError("too big for this tiny writer")
    fat = [_FATSECT, _END] + [2 + i + 1 for i in range(n - 1)] + [_END]
    fat += [_FREE] * (_SECTOR // 4 - len(fat))
    directory = (_dir_entry("Root Entry", 5, 1, _END, 0) + _dir_entry("Workbook", 2, _NOSTREAM, 2, len(stream))
                 + _dir_entry("", 0, _NOSTREAM, 0, 0) * 2)
    header = (bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 16
              + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6) + b"\x00" * 6
              + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 0x1000, _END, 0, _END, 0)
              + struct.pack("<I", 0) + struct.pack("<I", _FREE) * 108)
    return (header + struct.pack(f"<{_SECTOR // 4}I", *fat) + directory
            + stream.ljust(n * _SECTOR, b"\x00"))
