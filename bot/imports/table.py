"""Finding the header, the kind of table and the data rows in the sheets of a file."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple, overload

from bot.imports.headers import (
    ACTIVITY_FIELDS,
    FIELD_BY_NAME,
    NAME_FIELDS,
    ORG_INDICATORS,
    match_columns,
    norm_header,
)
from bot.imports.reader import Cell, ImportRefused, Limits, RawSheet, read_sheets, too_many_rows
from bot.imports.values import text

# Title rows above the header: a few are usual, dozens are not.
HEADER_SCAN_ROWS = 40
_FILL_DOWN = frozenset({"org", "inn", "municipality", "role"})
_TOTAL_WORDS = frozenset({"итого", "всего", "итог"})


class TableKind(StrEnum):
    """What a file holds, told from its headers."""

    PERSON = "person"
    ORGANIZATION = "organization"
    ROSTER = "roster"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    TableKind.PERSON: "статистика по сотрудникам",
    TableKind.ORGANIZATION: "статистика по школам",
    TableKind.ROSTER: "список сотрудников",
}


class DataRow(NamedTuple):
    """One data row: its 1-based row number as a person sees it and its cells by field.

    A tuple, not a dataclass: a big table makes hundreds of thousands of them, and they
    travel from the reading worker process to the bot (tuples build and pickle fastest).
    """

    row_no: int
    values: dict[str, Cell]

    def get_text(self, name: str) -> str:
        """The field's cell as stripped text ('' when absent)."""
        return text(self.values.get(name))

    @property
    def full_name(self) -> str:
        """The full name, from the ФИО column or from its three parts."""
        if "full_name" in self.values:
            whole = text(self.values["full_name"])
            if whole:
                return " ".join(whole.split())
        parts = (self.get_text(f) for f in ("last_name", "first_name", "middle_name"))
        return " ".join(p for p in parts if p)


# A data row as it travels and is matched in bulk: its row number and its cells in the order
# of `ParsedTable.columns` (no dict per row: a 60,000-row table makes and moves these fastest).
PlainRow = tuple[int, tuple[Cell, ...]]
PLAIN_CHUNK = 2000


class RowsView(Sequence[DataRow]):
    """Rows kept as `PlainRow` tuples in the order of `names`, seen as DataRows made on demand;
    equal to any sequence of the same rows. Bulk readers take `plain_chunks()`."""

    names: tuple[str, ...]

    def plain_chunks(self) -> Iterator[list[PlainRow]]:
        """The rows as plain tuples, chunk by chunk."""
        raise NotImplementedError

    async def achunks(self) -> AsyncIterator[list[PlainRow]]:
        """`plain_chunks`, letting others run between chunks; rows still being read arrive as they are."""
        for chunk in self.plain_chunks():
            await asyncio.sleep(0)
            yield chunk

    async def complete(self) -> None:
        """Wait until every row is here (rows read elsewhere are still arriving)."""

    async def aclose(self) -> None:
        """Stop reading rows nobody will look at any more."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and len(self) == len(other) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


class PlainRows(RowsView):
    """Rows kept as `PlainRow` tuples, seen as DataRows: a DataRow (with its dict) is made only
    for the rows someone looks at one by one; bulk readers take `plain_chunks()`."""

    def __init__(self, names: Sequence[str], rows: list[PlainRow]) -> None:
        self.names = tuple(names)
        self.plain = rows

    def plain_chunks(self) -> Iterator[list[PlainRow]]:
        """The rows as plain tuples, in chunks of `PLAIN_CHUNK` (a reader lets others in between)."""
        for start in range(0, len(self.plain), PLAIN_CHUNK):
            yield self.plain[start:start + PLAIN_CHUNK]

    def _row(self, item: PlainRow) -> DataRow:
        return DataRow(item[0], dict(zip(self.names, item[1], strict=True)))

    def __len__(self) -> int:
        return len(self.plain)

    def __iter__(self) -> Iterator[DataRow]:
        return map(self._row, self.plain)

    @overload
    def __getitem__(self, index: int) -> DataRow: ...
    @overload
    def __getitem__(self, index: slice) -> list[DataRow]: ...

    def __getitem__(self, index: int | slice) -> DataRow | list[DataRow]:
        if isinstance(index, slice):
            return [self._row(item) for item in self.plain[index]]
        return self._row(self.plain[index])


def plain_chunks(rows: Sequence[DataRow], names: Sequence[str]) -> Iterator[list[PlainRow]]:
    """Any table's rows as chunks of `PlainRow`s in the order of `names` (a cell a row lacks is None)."""
    if isinstance(rows, RowsView) and rows.names == tuple(names):
        yield from rows.plain_chunks()
        return
    yield [(row.row_no, tuple(row.values.get(name) for name in names)) for row in rows]


async def aplain_chunks(rows: Sequence[DataRow], names: Sequence[str]) -> AsyncIterator[list[PlainRow]]:
    """`plain_chunks`, as the rows arrive when they are still being read (`RowsView.achunks`)."""
    if isinstance(rows, RowsView) and rows.names == tuple(names):
        async for chunk in rows.achunks():
            yield chunk
        return
    for chunk in plain_chunks(rows, names):
        yield chunk


@dataclass
class ParsedTable:
    """The part of a file that holds the table, with its columns mapped to fields."""

    kind: TableKind | None
    sheet: str
    header_row: int
    columns: dict[str, int]
    headers: list[str]
    rows: Sequence[DataRow] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)

    def headers_text(self) -> str:
        """«ФИО, Должность, Класс»: the headers found, for messages."""
        shown = [h for h in self.headers if h][:15]
        return ", ".join(shown) if shown else "ни одного"


def detect_kind(columns: Mapping[str, int]) -> TableKind | None:
    """Activity columns → per-person; the indicators per school → per-organization;
    names and roles without activity → roster."""
    has_name = any(f in columns for f in ("full_name", "last_name"))
    has_org = "org" in columns or "inn" in columns
    indicators = [f for f in ORG_INDICATORS if f in columns]
    activity = [f for f in ACTIVITY_FIELDS if f in columns]
    if has_org and indicators and (not has_name or len(indicators) > len(activity)):
        return TableKind.ORGANIZATION
    if has_name and activity:
        return TableKind.PERSON
    if has_name and ("role" in columns or "classes" in columns):
        return TableKind.ROSTER
    return None


def _score(columns: Mapping[str, int]) -> int:
    """How well a header row is recognized; 0 when it cannot identify a row."""
    identifies = any(f in columns for f in (*NAME_FIELDS, "org", "inn"))
    if not identifies or len(columns) < 2:
        return 0
    return len(columns)


@dataclass(frozen=True)
class _HeaderGuess:
    score: int
    first: int
    height: int
    columns: dict[str, int]
    labels: list[str]


def _merged_fill(sheet: RawSheet, rows: range) -> dict[tuple[int, int], Cell]:
    """Cells covered by a merged range in `rows`, filled with the range's top-left value."""
    filled: dict[tuple[int, int], Cell] = {}
    for (r0, c0), (r1, c1) in sheet.merged:
        if r1 < rows.start or r0 >= rows.stop or (r1 - r0 + 1) * (c1 - c0 + 1) > 10_000:
            continue
        value = sheet.rows[r0][c0] if r0 < len(sheet.rows) and c0 < len(sheet.rows[r0]) else None
        for r in range(max(r0, rows.start), min(r1 + 1, rows.stop)):
            for c in range(c0, c1 + 1):
                filled[(r, c)] = value
    return filled


def _guess_header(sheet: RawSheet, aliases: Mapping[str, Sequence[str]]) -> _HeaderGuess | None:
    limit = min(len(sheet.rows), HEADER_SCAN_ROWS)
    fill = _merged_fill(sheet, range(0, limit + 1))

    def cell(r: int, c: int) -> str:
        if (r, c) in fill:
            return text(fill[(r, c)])
        row = sheet.rows[r] if r < len(sheet.rows) else []
        return text(row[c]) if c < len(row) else ""

    singles: list[_HeaderGuess] = []
    for r in range(limit + 1):
        width = len(sheet.rows[r]) if r < len(sheet.rows) else 0
        labels = [cell(r, c) for c in range(width)]
        cols = match_columns([[label] for label in labels], aliases)
        singles.append(_HeaderGuess(_score(cols), r, 1, cols, labels))
    best: _HeaderGuess | None = None
    for r in range(limit):
        guess = singles[r]
        if not any(guess.labels):
            continue
        if r + 1 < len(sheet.rows) and not _has_numbers(sheet.rows[r + 1]):
            width2 = max(len(sheet.rows[r]), len(sheet.rows[r + 1]))
            pairs = [(cell(r, c), cell(r + 1, c)) for c in range(width2)]
            double = [[lo, f"{up} {lo}".strip(), up] if lo else [up] for up, lo in pairs]
            cols2 = match_columns(double, aliases)
            score2 = _score(cols2)
            # Two rows only when they say more than either row alone (not a title over a header).
            if score2 > max(guess.score, singles[r + 1].score):
                labels = [f"{up} {lo}".strip() if up != lo else up for up, lo in pairs]
                guess = _HeaderGuess(score2, r, 2, cols2, labels)
        if guess.score and (best is None or guess.score > best.score):
            best = guess
    return best


def _has_numbers(row: Sequence[Cell]) -> bool:
    """A row with a number in it is data, not the lower half of a header."""
    return any(isinstance(v, int | float) and not isinstance(v, bool) or text(v).isdigit() for v in row)


def _total_word(value: str) -> bool:
    """«Итого», «ВСЕГО:», «Итого по школе» — but not «Итогова Анна»."""
    words = value.split(maxsplit=1)
    if not words or ("г" not in words[0] and "Г" not in words[0]):
        return False  # each total word has a «г»: most cells are told without normalizing them
    # …and an «о» and «и», «т» (итог, итого) or «в», «с» (всего): most names with a «г» are told so too.
    low = words[0].lower()
    if "о" not in low or not (("и" in low and "т" in low) or ("в" in low and "с" in low)):
        return False
    return norm_header(words[0]) in _TOTAL_WORDS


def _is_total(row: Sequence[Cell], ident_col: int = -1) -> bool:
    """A closing «Итого»/«Всего» row: in its first filled cell or in the name column."""
    if 0 <= ident_col < len(row) and isinstance(cell := row[ident_col], str) and ("г" in cell or "Г" in cell) \
            and _total_word(cell):
        # (Each total word has a «г»: a name without one is told by a scan of it, without splitting it.)
        return True
    for value in row:
        if value is None or value == "":
            continue
        return isinstance(value, str) and _total_word(value)
    return False


def _is_numbering(row: Sequence[Cell]) -> bool:
    """The row «1 2 3 4 …» that forms put under the header to number the columns."""
    values = [text(v) for v in row if text(v)]
    if len(values) < 3 or not all(v.isdigit() for v in values):
        return False
    first = int(values[0])
    return values == [str(first + k) for k in range(len(values))]


def _is_subheader(values: Mapping[str, Cell]) -> bool:
    """The second row of a two-row header: nothing that identifies a row, and only words."""
    identifying = (*NAME_FIELDS, "vk", "max", "org", "inn")
    if any(text(values.get(f)) for f in identifying):
        return False
    filled = [v for v in values.values() if text(v)]
    return bool(filled) and all(isinstance(v, str) and not any(ch.isdigit() for ch in v) for v in filled)


def _may_be(value: str, label: str) -> bool:
    """False when `value` surely does not normalize to `label` (its first letter is missing):
    a cheap test that spares normalizing every name of a long table."""
    low = value.lower()
    return label[0] in low or (label[0] == "е" and "ё" in low)


def _blank(row: Sequence[Cell]) -> bool:
    for v in row:
        if v is None or v == "":
            continue
        if isinstance(v, str) and not text(v):
            continue
        return False
    return True


def _extract(sheet: RawSheet, guess: _HeaderGuess, limits: Limits, chunk_rows: int) -> tuple[ParsedTable, Iterator[list[PlainRow]]]:
    """The table's header and kind (its rows empty), and its data rows in chunks of up to `chunk_rows`,
    found only as the chunks are asked for: a reader can pass the first ones on while the rest are found."""
    start = guess.first + guess.height
    columns = list(guess.columns.items())
    names = [name for name, _ in columns]
    titles = [" ".join(text(v) for v in sheet.rows[i] if text(v)) for i in range(guess.first)]
    table = ParsedTable(
        kind=detect_kind(guess.columns), sheet=sheet.name,
        header_row=sheet.row_numbers[guess.first + guess.height - 1],
        columns=guess.columns, headers=guess.labels, rows=PlainRows(names, []),
        titles=[*sheet.notes, *[t for t in titles if t], sheet.name],
    )
    return table, _data_rows(sheet, guess, limits, start, chunk_rows)


def _data_rows(sheet: RawSheet, guess: _HeaderGuess, limits: Limits, start: int,
               chunk_rows: int) -> Iterator[list[PlainRow]]:
    """The data rows under the header, in chunks (the last may be shorter; none is empty)."""
    # The column that names the row tells a repeated header (a table pasted page by page).
    ident = next((f for f in (*NAME_FIELDS, "org", "inn", "vk") if f in guess.columns), None)
    ident_col = guess.columns[ident] if ident else -1
    ident_label = norm_header(guess.labels[ident_col]) if 0 <= ident_col < len(guess.labels) else ""
    columns = list(guess.columns.items())
    names = [name for name, _ in columns]
    cols = [col for _, col in columns]
    widest = max(cols, default=-1)
    # A school's name merged down over its people's rows belongs to each of them; figures never
    # are filled this way (a merged «12» is not 12 for everyone).
    fill_cols = {col for name, col in columns if name in _FILL_DOWN}
    fill = {k: v for k, v in _merged_fill(sheet, range(start, len(sheet.rows))).items() if k[1] in fill_cols}
    fill_rows = {r for r, _ in fill}
    rows: list[PlainRow] = []
    row_numbers = sheet.row_numbers
    max_rows = limits.max_rows
    found = 0
    for i in range(start, len(sheet.rows)):
        raw = sheet.rows[i]
        if _blank(raw) or _is_total(raw, ident_col) or (i == start and _is_numbering(raw)):
            continue
        if len(raw) > widest:
            values = tuple([raw[col] for col in cols])
        else:
            width = len(raw)
            values = tuple([raw[col] if col < width else None for col in cols])
        if i in fill_rows:
            filled = list(values)
            for k, col in enumerate(cols):
                if (i, col) in fill and not text(filled[k]):
                    filled[k] = fill[(i, col)]
            values = tuple(filled)
        if i == start and _is_subheader(dict(zip(names, values, strict=True))):
            continue
        ident_cell = raw[ident_col] if 0 <= ident_col < len(raw) else None
        if ident_label and isinstance(ident_cell, str) and _may_be(ident_cell, ident_label) \
                and norm_header(ident_cell) == ident_label:
            continue
        rows.append((row_numbers[i], values))
        found += 1
        if found > max_rows:
            raise too_many_rows(limits)
        if len(rows) == chunk_rows:
            yield rows
            rows = []
    if rows:
        yield rows


def _widest_row(sheets: Sequence[RawSheet]) -> list[str]:
    best: list[str] = []
    for sheet in sheets:
        for row in sheet.rows[:HEADER_SCAN_ROWS]:
            cells = [text(v) for v in row if text(v)]
            if len(cells) > len(best):
                best = cells
    return best


def parse_table(data: bytes, limits: Limits, aliases: Mapping[str, Sequence[str]] | None = None,
                want: Sequence[TableKind] = (), file_name: str = "") -> ParsedTable:
    """The table in the file: the sheet whose header matches best (of a wanted kind first)."""
    table, chunks = parse_table_in_chunks(data, limits, aliases, want, file_name)
    return dataclasses.replace(table, rows=PlainRows(list(table.columns), [row for chunk in chunks for row in chunk]))


def parse_table_in_chunks(data: bytes, limits: Limits, aliases: Mapping[str, Sequence[str]] | None = None,
                          want: Sequence[TableKind] = (), file_name: str = "", chunk_rows: int = PLAIN_CHUNK,
                          ) -> tuple[ParsedTable, Iterator[list[PlainRow]]]:
    """`parse_table` with its rows (`table.rows` left empty) found chunk by chunk as they are asked for.

    The first chunk is found before this returns, so a table without data rows is refused here; a table
    longer than `max_rows` is refused by the chunk that goes past it."""
    sheets = read_sheets(data, limits, file_name)
    aliases = aliases or {}
    guesses: list[tuple[tuple[int, int, int, int], RawSheet, _HeaderGuess]] = []
    for order, sheet in enumerate(sheets):
        guess = _guess_header(sheet, aliases)
        if guess is None:
            continue
        kind = detect_kind(guess.columns)
        rank = (int(kind in want) if want else 0, int(kind is not None), guess.score, -order - 1000 * sheet.hidden)
        guesses.append((rank, sheet, guess))
    if not guesses:
        found = ", ".join(_widest_row(sheets)[:15]) or "ни одного"
        raise ImportRefused(
            "не нашёл в файле строку с заголовками столбцов (например, «ФИО», «Должность», "
            f"«Сообщений в групповых чатах»); найдены столбцы: {found}"
        )
    _, sheet, guess = max(guesses, key=lambda g: g[0])
    table, chunks = _extract(sheet, guess, limits, chunk_rows)
    first = next(chunks, None)
    if first is None:
        raise ImportRefused(
            f"в таблице на листе «{sheet.name}» нет ни одной строки с данными под заголовком"
        )
    return table, itertools.chain((first,), chunks)


def field_label(name: str) -> str:
    """The Russian label of a canonical field, for messages."""
    spec = FIELD_BY_NAME.get(name)
    return spec.label if spec else name
