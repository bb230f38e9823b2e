"""What both backends share: the connection protocol the repositories use, and the SQL dialect helpers.

Repositories write one statement with `?` placeholders in the SQL both SQLite and PostgreSQL speak
(`INSERT … ON CONFLICT … DO …`, `RETURNING id`, `IS NOT DISTINCT FROM`, `COALESCE`); where the two
really differ a repository asks `conn.dialect` and writes each form out in full, so every difference
is visible where it is used. The PostgreSQL connection turns `?` into its driver's `%s` with
`to_pyformat`, which leaves string literals, quoted names and comments alone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from functools import lru_cache
from typing import Any, Literal, Protocol

Dialect = Literal["sqlite", "postgres"]


class Row(Protocol):
    """A result row: by position or by column name (sqlite3.Row and the PostgreSQL row alike)."""

    def __getitem__(self, key: Any, /) -> Any: ...

    def __len__(self) -> int: ...

    def keys(self) -> list[str]: ...


class Cursor(Protocol):
    """What a statement's result offers: rows and the number of rows a write changed."""

    @property
    def rowcount(self) -> int: ...

    async def fetchone(self) -> Any: ...

    async def fetchall(self) -> Iterable[Any]: ...

    def __aiter__(self) -> AsyncIterator[Any]: ...

    async def close(self) -> None: ...


class Result(Protocol):
    """`conn.execute(...)`: awaited it is the cursor; `async with` closes the cursor after use."""

    def __await__(self) -> Generator[Any, None, Cursor]: ...

    async def __aenter__(self) -> Cursor: ...

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any, /) -> Any: ...


class Connection(Protocol):
    """The connection a repository gets from `Database.transaction()` or `Database.read()`."""

    @property
    def dialect(self) -> Dialect: ...

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Result: ...

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Any: ...


class Database(Protocol):
    """Either backend's database: what repositories and the composition root use."""

    @property
    def dialect(self) -> Dialect: ...

    def transaction(self, *, bulk: bool = False) -> AbstractAsyncContextManager[Connection]:
        """One write transaction; `bulk`: it writes thousands of rows (an import)."""
        ...

    def read(self) -> AbstractAsyncContextManager[Connection]: ...

    async def close(self) -> None: ...

    @property
    def path(self) -> str: ...

    async def check_file(self, now: Any = None) -> str: ...

    async def backup_to(self, target: Any) -> None: ...


@lru_cache(maxsize=4096)
def to_pyformat(sql: str) -> str:
    """`?` placeholders as psycopg's `%s`, every literal `%` doubled, string literals and names kept.

    A `?` inside '…' (with '' as the quote), "…", a `-- …` line or a `/* … */` block is text, not a
    placeholder; psycopg reads `%` everywhere, so it is doubled everywhere.
    """
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in ("'", '"'):
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:
                        end += 2
                        continue
                    break
                end += 1
            if end >= n:
                raise ValueError(f"unterminated quote in SQL: {sql!r}")
            out.append(sql[i:end + 1].replace("%", "%%"))
            i = end + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            if end < 0:
                raise ValueError(f"unterminated comment in SQL: {sql!r}")
            out.append(sql[i:end + 2].replace("%", "%%"))
            i = end + 2
        elif ch == "?":
            out.append("%s")
            i += 1
        elif ch == "%":
            out.append("%%")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def marks(count: int) -> str:
    """`?, ?, …` for `count` values (an IN list or a VALUES row)."""
    return ", ".join("?" * count)


class PgRow(Sequence[Any]):
    """A PostgreSQL result row that reads like sqlite3.Row: `row[0]`, `row["name"]`, `keys()`."""

    __slots__ = ("_index", "_values")

    def __init__(self, values: tuple[Any, ...], index: dict[str, int]) -> None:
        self._values = values
        self._index = index

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return self._values[self._index[key]]
        return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PgRow):
            return self._values == other._values
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values)

    def __repr__(self) -> str:
        return f"PgRow{self._values!r}"

    def keys(self) -> list[str]:
        return list(self._index)


async def insert_id(conn: Connection, sql: str, parameters: Sequence[Any] = ()) -> int | None:
    """Run one `INSERT …` with `RETURNING id` added; the new row's id, None when nothing was inserted
    (an `ON CONFLICT DO NOTHING` that hit a conflict). Both backends support RETURNING."""
    async with conn.execute(f"{sql} RETURNING id", parameters) as cur:
        row = await cur.fetchone()
    return None if row is None else int(row[0])


def upsert(table: str, columns: Sequence[str], key: Sequence[str]) -> str:
    """`INSERT … ON CONFLICT (key) DO UPDATE` every other column: SQLite's INSERT OR REPLACE, in the
    form both backends accept (table and column names are the caller's constants)."""
    rest = [c for c in columns if c not in key]
    action = "DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in rest) if rest else "DO NOTHING"
    return (f"INSERT INTO {table}({', '.join(columns)}) VALUES ({marks(len(columns))}) "  # noqa: S608 - constants
            f"ON CONFLICT ({', '.join(key)}) {action}")
