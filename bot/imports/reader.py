"""Turn the bytes of a spreadsheet or CSV file into sheets of cells, refusing unsafe files.

The format is told from the content, not the file name: a zip with `xl/workbook.xml`
is xlsx, a zip with the OpenDocument mimetype is ods, an OLE container is xls (or an
encrypted Office file), anything else that decodes as text is CSV.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import cast, overload

import python_calamine

from bot.domain.reminders import plural

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
# An encrypted xlsx/ods is an OLE container with these streams (MS-OFFCRYPTO).
_ENCRYPTED_MARKERS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
# Word and PowerPoint files are OLE containers too.
_NOT_SHEET_STREAMS = ("WordDocument".encode("utf-16-le"), "PowerPoint Document".encode("utf-16-le"))
_MAX_ZIP_ENTRIES = 10_000
_MB = 1024 * 1024

Cell = str | float | int | bool | dt.date | dt.datetime | dt.time | dt.timedelta | None


class ImportRefused(Exception):
    """The file cannot be imported; the message says why, in Russian, and what to do."""


@dataclass(frozen=True)
class Limits:
    """Safety limits from `settings.imports`."""

    max_file_mb: float = 20
    max_rows: int = 200_000
    max_unzipped_mb: float = 200
    max_columns: int = 200
    max_cells: int = 2_000_000


class SheetRows(Sequence[list[Cell]]):
    """A workbook sheet's rows as `to_python(skip_empty_area=False)` gives them (every row as wide as the
    sheet, from its first row and column), each converted the first time it or a later one is asked for:
    the header is found, and the first rows go to the bot, before the whole sheet is made into objects."""

    _BATCH = 1000

    def __init__(self, sheet: python_calamine.CalamineSheet, name: str) -> None:
        end = sheet.end
        self._height = end[0] + 1 if end else 0
        self._width = end[1] + 1 if end else 0
        start = sheet.start
        # Calamine's iter_rows starts at the sheet's first row but at its first used column.
        self._pad: list[Cell] = [""] * start[1] if start and start[1] else []
        self._rows: list[list[Cell]] = []
        self._iter = iter(sheet.iter_rows())
        self._name = name

    @property
    def width(self) -> int:
        """How many cells each row has."""
        return self._width

    def _fill(self, upto: int) -> None:
        """Convert the rows up to index `upto` (a batch at a time)."""
        rows, pad = self._rows, self._pad
        want = min(self._height, max(upto + 1, len(rows) + self._BATCH))
        try:
            for row in itertools.islice(self._iter, want - len(rows)):
                cells = cast(list[Cell], row)
                rows.append(pad + cells if pad else cells)
        except Exception:  # calamine raises its own zoo of errors for broken files
            raise ImportRefused(f"лист «{self._name}» не читается: откройте файл и сохраните его заново") from None
        while len(rows) < want:  # never seen: calamine gave fewer rows than its range says
            rows.append([""] * self._width)

    def __len__(self) -> int:
        return self._height

    def __iter__(self) -> Iterator[list[Cell]]:
        rows, height = self._rows, self._height
        i = 0
        while i < height:
            if i >= len(rows):
                self._fill(i)
            yield rows[i]
            i += 1

    @overload
    def __getitem__(self, index: int) -> list[Cell]: ...
    @overload
    def __getitem__(self, index: slice) -> list[list[Cell]]: ...

    def __getitem__(self, index: int | slice) -> list[Cell] | list[list[Cell]]:
        if isinstance(index, slice):
            first, stop, step = index.indices(self._height)
            if stop > first:
                self._fill(stop - 1)
            return self._rows[first:stop:step]
        if index < 0:
            index += self._height
        if not 0 <= index < self._height:
            raise IndexError(index)
        if index >= len(self._rows):
            self._fill(index)
        return self._rows[index]


@dataclass
class RawSheet:
    """One sheet: rows of cells as read, row i is the spreadsheet's row i + 1 (CSV: line).

    `row_numbers[i]` is the 1-based row (or line) a person sees for `rows[i]`;
    `merged` lists merged ranges as ((row0, col0), (row1, col1)), 0-based, inclusive.
    """

    name: str
    rows: Sequence[list[Cell]]
    row_numbers: Sequence[int]
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    hidden: bool = False
    # Text around the table that is not in its cells (an HTML page's heading).
    notes: list[str] = field(default_factory=list)


def _mb(value: float) -> str:
    return f"{value:g} МБ"


def check_size(size: int, limits: Limits) -> None:
    """Refuse a file larger than the configured limit (or an empty one)."""
    if size == 0:
        raise ImportRefused("файл пустой: в нём нет ни одной строки")
    if size > limits.max_file_mb * _MB:
        raise ImportRefused(
            f"файл слишком большой ({size / _MB:.1f} МБ, можно до {_mb(limits.max_file_mb)}): "
            "сохраните только нужный лист или разбейте таблицу на части"
        )


def _check_zip(data: bytes, limits: Limits) -> zipfile.ZipFile:
    """Open the zip and refuse it if it expands beyond the limit (a zip bomb)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
        raise ImportRefused("файл повреждён: его не удалось открыть как таблицу") from None
    limit = limits.max_unzipped_mb * _MB
    too_big = ImportRefused(
        f"файл после распаковки занимает больше {_mb(limits.max_unzipped_mb)}: "
        "так не бывает у обычной таблицы, пересохраните её в Excel или LibreOffice"
    )
    if len(infos) > _MAX_ZIP_ENTRIES:
        raise too_big
    # The declared sizes first: cheap, and enough for an honest archive.
    if sum(info.file_size for info in infos) > limit:
        raise too_big
    # Then the real ones, streamed with a budget: a crafted archive may lie in its headers.
    total = 0
    try:
        for info in infos:
            with archive.open(info) as stream:
                while chunk := stream.read(_MB):
                    total += len(chunk)
                    if total > limit:
                        raise too_big
    except ImportRefused:
        raise
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        # RuntimeError: an entry with a password (zip-level encryption).
        raise ImportRefused("файл повреждён или защищён паролем: его не удалось распаковать") from None
    return archive


def detect_format(data: bytes, limits: Limits, file_name: str = "") -> str:
    """'xlsx', 'ods', 'xls' or 'csv'; ImportRefused for what is not a table or is encrypted.

    Office saves a password-protected xlsx (or ods) as an OLE container, so an «.xlsx»
    that is one is encrypted whatever its streams are called.
    """
    if data.startswith(ZIP_MAGIC):
        archive = _check_zip(data, limits)
        names = set(archive.namelist())
        if "xl/workbook.xml" in names:
            return "xlsx"
        try:
            if "mimetype" in names and archive.read("mimetype").strip() == ODS_MIME:
                return "ods"
            if "content.xml" in names and "META-INF/manifest.xml" in names:
                return "ods" if b"spreadsheet" in archive.read("META-INF/manifest.xml") else _not_table()
        except (zipfile.BadZipFile, zlib.error, OSError, ValueError, NotImplementedError, EOFError):
            raise ImportRefused("файл повреждён: его не удалось открыть как таблицу") from None
        _not_table()
    if data.startswith(OLE_MAGIC):
        zipped_name = file_name.lower().endswith((".xlsx", ".xlsm", ".ods"))
        if zipped_name or any(marker in data for marker in _ENCRYPTED_MARKERS):
            raise ImportRefused(
                "файл защищён паролем (зашифрован): снимите пароль (Файл → Сведения → Защитить книгу) "
                "и отправьте снова"
            )
        if any(marker in data[:1_000_000] for marker in _NOT_SHEET_STREAMS):
            _not_table()
        return "xls"
    head = data[:4096]
    if head.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"{\\rtf", b"Rar!", b"\x1f\x8b", b"7z")):
        _not_table()
    return "csv"


def _not_table() -> str:
    raise ImportRefused(
        "это не таблица: пришлите файл Excel (.xlsx, .xls), LibreOffice (.ods) или CSV"
    )


def read_sheets(data: bytes, limits: Limits, file_name: str = "") -> list[RawSheet]:
    """All sheets of the file as cells; ImportRefused for unsafe, broken or empty files."""
    check_size(len(data), limits)
    kind = detect_format(data, limits, file_name)
    sheets = _read_csv(data, limits) if kind == "csv" else _read_workbook(data, limits)
    if not any(any(_filled(c) for c in row) for sheet in sheets for row in sheet.rows):
        raise ImportRefused("файл пустой: в нём нет ни одной заполненной ячейки")
    return sheets


def _filled(cell: Cell) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


def too_many_rows(limits: Limits) -> ImportRefused:
    """The refusal for a table longer than `max_rows`."""
    count = f"{limits.max_rows:,}".replace(",", "\u00a0")
    return ImportRefused(
        f"в таблице больше {count} строк — столько не бывает у одной школы; проверьте, тот ли это файл"
    )


def _spaced(n: int) -> str:
    return f"{n:,}".replace(",", "\u00a0")


def check_shape(rows: int, columns: int, limits: Limits, *, whole: bool = True) -> None:
    """Refuse a table wider than `max_columns` or with more than `max_cells` (rows × columns).

    `whole`: the counts are the whole table's (not the part read so far).
    """
    if columns > limits.max_columns:
        raise ImportRefused(
            f"в таблице {plural(columns, 'столбец', 'столбца', 'столбцов')}, а можно до {limits.max_columns}: "
            "так не бывает у списка сотрудников или статистики; проверьте, тот ли это файл"
        )
    if rows * columns > limits.max_cells:
        size = (f"{plural(rows, 'строка', 'строки', 'строк')} × {plural(columns, 'столбец', 'столбца', 'столбцов')}"
                if whole else "строки × столбцы")
        raise ImportRefused(
            f"в таблице слишком много ячеек ({size} — больше {_spaced(limits.max_cells)}): "
            "сохраните только нужный лист и нужные столбцы"
        )


def filled_width(row: list[Cell]) -> int:
    """The number of columns up to the row's last filled cell."""
    for i in range(len(row) - 1, -1, -1):
        if _filled(row[i]):
            return i + 1
    return 0


def _read_workbook(data: bytes, limits: Limits) -> list[RawSheet]:
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError:
        raise ImportRefused(
            "файл защищён паролем: снимите пароль и отправьте снова"
        ) from None
    except Exception:  # calamine raises its own zoo of errors for broken files
        raise ImportRefused("файл повреждён или это не таблица: откройте его и сохраните заново") from None
    sheets: list[RawSheet] = []
    try:
        total = 0
        for meta in book.sheets_metadata:
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            try:
                sheet = book.get_sheet_by_name(meta.name)
                total += sheet.height
                if total > limits.max_rows + 100:  # a few title and header rows are fine
                    raise too_many_rows(limits)
                # The sheet's dimensions first: a huge sheet is refused before its cells are made.
                if sheet.height * sheet.width > limits.max_cells:
                    check_shape(sheet.height, sheet.width, limits)
                rows = SheetRows(sheet, meta.name)
                # A row's filled width is at most its length (every row's is the sheet's): within both
                # limits at that length, the table is within them at its filled width too, and no cell
                # needs looking at.
                longest = rows.width if len(rows) else 0
                if len(rows) * longest > limits.max_cells or longest > limits.max_columns:
                    check_shape(len(rows), max((filled_width(r) for r in rows), default=0), limits)
                merged = list(sheet.merged_cell_ranges or [])
            except ImportRefused:
                raise
            except Exception:
                raise ImportRefused(
                    f"лист «{meta.name}» не читается: откройте файл и сохраните его заново"
                ) from None
            sheets.append(RawSheet(
                name=meta.name, rows=rows, row_numbers=range(1, len(rows) + 1),
                merged=merged, hidden=meta.visible != python_calamine.SheetVisibleEnum.Visible,
            ))
    finally:
        book.close()
    return sheets


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1251."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            _not_table()
    if b"\x00" in data[:4096]:
        _not_table()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = data.decode("cp1251", errors="replace")
    # cp1251 decodes almost anything; control characters say it was binary after all.
    sample = text[:4096]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t")
    if controls > len(sample) // 100 + 1:
        _not_table()
    return text


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter (; , or tab) that splits the sample lines most consistently."""
    best, best_score = ";", -1.0
    for delimiter in (";", "\t", ","):
        counts = sorted(
            len(next(csv.reader([line], delimiter=delimiter))) - 1 for line in lines if line.strip()
        )
        if not counts:
            continue
        # The upper half of the lines (the table, not the title) should split the same way.
        upper = counts[len(counts) // 2:]
        score = float(upper[0]) if upper[0] == upper[-1] else upper[0] * 0.9
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(data: bytes, limits: Limits) -> list[RawSheet]:
    text = decode_text(data)
    head = text[:2048].lstrip().lower()
    if head.startswith("<") and "<table" in text[:1_000_000].lower():
        # Many school systems save an HTML page as «.xls»: read its tables.
        return _read_html(text, limits)
    lines = text[:65536].splitlines()[:50]
    # Excel's own hint on the first line: «sep=;».
    hinted = lines[0].strip()[4:5] if lines and lines[0].strip().lower().startswith("sep=") else ""
    delimiter = hinted if hinted in (";", ",", "\t", "|") else sniff_delimiter(lines)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[Cell]] = []
    numbers: list[int] = []
    line = 1
    width = 0
    try:
        for record in reader:
            if not (hinted and line == 1):
                rows.append(list(record))
                numbers.append(line)
                # Checked as it is read: a too wide or too big table is refused before it fills the memory.
                if len(record) > width and (filled := filled_width(rows[-1])) > width:
                    width = filled
                    check_shape(len(rows), width, limits, whole=False)
                if len(rows) * width > limits.max_cells:
                    check_shape(len(rows), width, limits, whole=False)
            line = reader.line_num + 1
            if len(rows) > limits.max_rows + 100:
                raise too_many_rows(limits)
    except csv.Error:
        raise ImportRefused(f"строка {line}: файл CSV испорчен (незакрытые кавычки?)") from None
    return [RawSheet(name="CSV", rows=rows, row_numbers=numbers)]


class _HtmlTables(HTMLParser):
    """Rows of the <table>s of an HTML page; colspan and rowspan become merged ranges."""

    def __init__(self, max_rows: int) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self.merged: list[list[tuple[tuple[int, int], tuple[int, int]]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._span = (1, 1)
        self._carry: dict[int, int] = {}  # column → rows a rowspan still covers
        self._max_rows = max_rows
        self._rows = 0
        self._depth = 0
        self.outside: list[str] = []

    @staticmethod
    def _int(value: str | None) -> int:
        return max(1, min(int(value), 100)) if value and value.isdigit() else 1

    def _skip_carried(self, upto: int | None = None) -> None:
        assert self._row is not None
        while (upto is None and len(self._row) in self._carry) or (upto is not None and len(self._row) < upto):
            col = len(self._row)
            self._row.append("")
            if col in self._carry:
                self._carry[col] -= 1
                if not self._carry[col]:
                    del self._carry[col]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._depth += 1
            self.tables.append([])
            self.merged.append([])
            self._carry = {}
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._skip_carried()
            self._cell = []
            found = dict(attrs)
            self._span = (self._int(found.get("rowspan")), self._int(found.get("colspan")))
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        elif not self._depth and data.strip() and len(self.outside) < 20:
            self.outside.append(" ".join(data.split()))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            r, col = len(self.tables[-1]), len(self._row)
            rows, cols = self._span
            self._row.append(" ".join("".join(self._cell).split()))
            self._row.extend([""] * (cols - 1))
            if rows > 1 or cols > 1:
                self.merged[-1].append(((r, col), (r + rows - 1, col + cols - 1)))
            for c in range(col, col + cols):
                if rows > 1:
                    self._carry[c] = rows - 1
            self._cell = None
        elif tag == "table":
            self._depth = max(0, self._depth - 1)
        elif tag == "tr" and self._row is not None:
            if self._carry:
                self._skip_carried(upto=max(self._carry) + 1)
            self.tables[-1].append(self._row)
            self._row = None
            self._rows += 1
            if self._rows > self._max_rows:
                raise too_many_rows(Limits(max_rows=self._max_rows - 100))


def _read_html(text: str, limits: Limits) -> list[RawSheet]:
    parser = _HtmlTables(limits.max_rows + 100)
    parser.feed(text)
    parser.close()
    for table in parser.tables:
        check_shape(len(table), max((filled_width(cast(list[Cell], r)) for r in table), default=0), limits)
    return [
        RawSheet(name=f"Таблица {n}", rows=cast(list[list[Cell]], rows), row_numbers=list(range(1, len(rows) + 1)),
                 merged=merged, notes=parser.outside)
        for n, (rows, merged) in enumerate(zip(parser.tables, parser.merged, strict=True), start=1)
    ]
