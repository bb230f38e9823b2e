"""The PostgreSQL database (psycopg 3): a connection pool, migrations under an advisory lock, transactions.

Chosen by `[storage] url = "postgresql://…"`. Repositories get the same `transaction()`/`read()` API as
on SQLite (`storage.sql.Connection`); values read and written look as SQLite gives them: a Python bool is
stored as 0/1, dates and datetimes as ISO text, a whole `numeric` (a sum) reads as an int.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import shutil
from collections.abc import AsyncIterator, Generator, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import AsyncConnection, AsyncCursor
from psycopg.adapt import Dumper, Loader
from psycopg.pq import Format
from psycopg.rows import RowMaker
from psycopg_pool import AsyncConnectionPool

from storage.db import Migration, StorageError
from storage.sql import Connection, Dialect, PgRow, to_pyformat

log = logging.getLogger(__name__)

_MIGRATION_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# pg_advisory_lock key of the migration step: one process migrates, the others wait and then see it done.
MIGRATION_LOCK = 0x5FE8_0001
_TEXT_OID = 0  # "unknown": the server takes the column's type, as for a string literal


def is_postgres_url(url: str | None) -> bool:
    """Whether `[storage] url` names a PostgreSQL database."""
    return bool(url) and urlsplit(str(url)).scheme in ("postgresql", "postgres")


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ""
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


def load_pg_migrations() -> list[Migration]:
    """The PostgreSQL twins in storage/migrations/postgres, ordered by version."""
    from importlib import resources

    found = [Migration(int(m.group(1)), entry.name, entry.read_text("utf-8"))
             for entry in resources.files("storage.migrations.postgres").iterdir()
             if (m := _MIGRATION_RE.match(entry.name))]
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate PostgreSQL migration versions: {versions}")
    return found


class _BoolAsInt(Dumper):
    """A Python bool is stored as SQLite stores it: the integer 0 or 1."""

    oid = 20  # int8

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


class _IsoText(Dumper):
    """A date or a datetime is stored as the ISO text sqlite3's default adapter writes."""

    oid = _TEXT_OID

    def dump(self, obj: Any) -> bytes:
        text = obj.isoformat(" ") if isinstance(obj, dt.datetime) else obj.isoformat()
        return str(text).encode()


class _WholeNumeric(Loader):
    """`numeric` (the sum of BIGINTs, an avg) reads as SQLite's value: an int when whole, else a float."""

    format = Format.TEXT

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        return float(text) if ("." in text or "e" in text.lower() or "N" in text) else int(text)


def _row_factory(cursor: AsyncCursor[Any]) -> RowMaker[PgRow]:
    desc = cursor.description or []
    index: dict[str, int] = {}
    for i, column in enumerate(desc):
        index.setdefault(column.name, i)

    def make(values: Sequence[Any]) -> PgRow:
        return PgRow(tuple(values), index)

    return make


async def _configure(conn: AsyncConnection[Any]) -> None:
    conn.adapters.register_dumper(bool, _BoolAsInt)
    conn.adapters.register_dumper(dt.date, _IsoText)
    conn.adapters.register_dumper(dt.datetime, _IsoText)
    conn.adapters.register_loader("numeric", _WholeNumeric)
    conn.row_factory = _row_factory
    await conn.set_autocommit(True)


class PgCursor:
    """A psycopg cursor as repositories see it: fetching after a write gives nothing, as in SQLite."""

    __slots__ = ("_cur",)

    def __init__(self, cur: AsyncCursor[Any]) -> None:
        self._cur = cur

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount

    async def fetchone(self) -> PgRow | None:
        if self._cur.description is None:
            return None
        row: PgRow | None = await self._cur.fetchone()
        return row

    async def fetchall(self) -> list[PgRow]:
        if self._cur.description is None:
            return []
        rows: list[PgRow] = await self._cur.fetchall()
        return rows

    def __aiter__(self) -> AsyncIterator[PgRow]:
        return self._rows()

    async def _rows(self) -> AsyncIterator[PgRow]:
        if self._cur.description is None:
            return
        async for row in self._cur:
            yield row

    async def close(self) -> None:
        await self._cur.close()


class _PgResult:
    """`conn.execute(...)`: awaitable (the cursor) and an async context manager (closes it)."""

    __slots__ = ("_cur", "_params", "_raw", "_sql")

    def __init__(self, raw: AsyncConnection[Any], sql: str, params: tuple[Any, ...]) -> None:
        self._raw = raw
        self._sql = sql
        self._params = params
        self._cur: PgCursor | None = None

    async def _run(self) -> PgCursor:
        cur = self._raw.cursor()
        await cur.execute(self._sql, self._params)
        return PgCursor(cur)

    def __await__(self) -> Generator[Any, None, PgCursor]:
        return self._run().__await__()

    async def __aenter__(self) -> PgCursor:
        self._cur = await self._run()
        return self._cur

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._cur is not None:
            await self._cur.close()


class PgConnection:
    """A pooled psycopg connection as repositories see it (`storage.sql.Connection`)."""

    __slots__ = ("raw",)
    dialect: Dialect = "postgres"

    def __init__(self, raw: AsyncConnection[Any]) -> None:
        self.raw = raw

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open on the connection."""
        return self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> _PgResult:
        params = tuple(parameters)
        query = to_pyformat(sql)
        texts = tuple(i for i, p in enumerate(params) if type(p) is list and _all_text(p))
        if texts:
            # A text array goes in binary: as text, psycopg escapes its every element in Python (a wave's
            # tens of thousands of messages and keyboards, a regex each), in binary it only encodes them.
            query = _binary_at(query, texts)
        return _PgResult(self.raw, query, params)

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> PgCursor:
        rows = [tuple(p) for p in parameters]
        cur = self.raw.cursor()
        if rows:
            await cur.executemany(to_pyformat(sql), rows)
        return PgCursor(cur)


def _all_text(items: list[Any]) -> bool:
    """Whether a list parameter is a text array: strings, NULLs among them, at least one string."""
    kinds = set(map(type, items))
    return str in kinds and kinds <= _TEXT_ITEMS


_TEXT_ITEMS = {str, type(None)}
_PLACEHOLDER = re.compile(r"%%|%s")


@lru_cache(maxsize=256)
def _binary_at(query: str, positions: tuple[int, ...]) -> str:
    """`query` (psycopg's form, from `to_pyformat`) with its placeholders at `positions` as `%b` (binary)."""
    seen = -1

    def swap(match: re.Match[str]) -> str:
        nonlocal seen
        if match.group() == "%%":
            return "%%"
        seen += 1
        return "%b" if seen in positions else "%s"

    return _PLACEHOLDER.sub(swap, query)


async def copy_upsert(conn: Connection, table: str, columns: Sequence[str], key: Sequence[str],
                      rows: Iterable[Sequence[Any]]) -> None:
    """`upsert(table, columns, key)` for many rows at once: COPY them into a temporary copy of the table,
    then one set-wise INSERT … ON CONFLICT (key) DO UPDATE. Tens of thousands of rows cost one COPY stream
    instead of a statement each. Table and column names are the caller's constants."""
    if not isinstance(conn, PgConnection):
        raise TypeError(f"COPY needs a PostgreSQL connection, not {type(conn).__name__}")
    names = ", ".join(columns)
    staging = f"copy_{table}"
    rest = [c for c in columns if c not in key]
    action = "DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in rest) if rest else "DO NOTHING"
    cur = conn.raw.cursor()
    try:
        # Dropped at the end of this call; ON COMMIT DROP too, should the call fail half way.
        await cur.execute(f"CREATE TEMPORARY TABLE {staging} (LIKE {table}) ON COMMIT DROP")
        async with cur.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
            for row in rows:
                await copy.write_row(row)
        await cur.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging} "  # noqa: S608 - constants
                          f"ON CONFLICT ({', '.join(key)}) {action}")
        await cur.execute(f"DROP TABLE {staging}")
    finally:
        await cur.close()


def unreachable(url: str, exc: BaseException) -> StorageError:
    """The server at `url` did not let us in: one Russian line with its reason and what to check."""
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StorageError("cannot_open", Path("postgresql"),
                        f"не получилось подключиться к PostgreSQL {redact(url)} ({reason}): проверьте, что "
                        f"сервер запущен, адрес, имя пользователя и пароль в [storage] url верны")


def too_new(url: str, extra: Sequence[str]) -> StorageError:
    """The database at `url` has migrations (`extra`) this code does not know."""
    return StorageError("too_new", Path("postgresql"),
                        f"база данных PostgreSQL {redact(url)} обновлена более новой версией sferum-bot "
                        f"(неизвестные миграции: {', '.join(extra)}): установите новую версию бота")


class PgDatabase:
    """A PostgreSQL database behind the same API as `storage.db.Database`.

    Write transactions of one process run one at a time (an asyncio lock), as on SQLite, so a use case
    sees the same behaviour on both backends; reads use any pooled connection outside a transaction.
    """

    dialect: Dialect = "postgres"
    created = False
    backups: Path | None = None

    def __init__(self, pool: AsyncConnectionPool[Any], url: str) -> None:
        self._pool = pool
        self.url = url
        # What messages and logs show for "the database" (no password).
        self.path = redact(url)
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True, pool_size: int = 4,
                   migrations: Sequence[Migration] | None = None, connect_timeout: float = 10) -> PgDatabase:
        """Connect, refuse a schema newer than this code, apply the missing migrations (with `migrate`)."""
        try:
            first = await AsyncConnection.connect(url, autocommit=True, connect_timeout=int(connect_timeout))
        except psycopg.Error as exc:
            raise unreachable(url, exc) from None
        try:
            await _configure(first)
            await migrate_pg(first, url, migrations, apply=migrate)
        finally:
            await first.close()
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            url, min_size=1, max_size=max(pool_size, 1), open=False, configure=_configure,
            kwargs={"connect_timeout": int(connect_timeout)}, name="sferum-bot")
        try:
            await pool.open(wait=True, timeout=connect_timeout)
        except Exception as exc:
            with suppress(Exception):
                await pool.close()
            raise unreachable(url, exc) from None
        return cls(pool, url)

    @staticmethod
    def describe_url(url: str) -> str:
        """How `status` names the database: «PostgreSQL» and the URL without its password."""
        return f"PostgreSQL {redact(url)}"

    async def close(self) -> None:
        """Close the pool (safe to call twice)."""
        await self._pool.close()

    @asynccontextmanager
    async def transaction(self, *, bulk: bool = False) -> AsyncIterator[PgConnection]:
        """One write transaction (BEGIN … COMMIT, rolled back on error); `bulk` changes nothing here."""
        async with self._lock, self._pool.connection() as raw, raw.transaction():
            yield PgConnection(raw)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[PgConnection]:
        """A pooled connection for reads outside a transaction (autocommit)."""
        async with self._pool.connection() as raw:
            yield PgConnection(raw)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection[Any]]:
        """A pooled psycopg connection of its own (advisory locks, LISTEN): not for repositories' SQL."""
        async with self._pool.connection() as raw:
            yield raw

    async def version(self) -> int:
        """The highest migration number applied."""
        names = await self.applied()
        return max((int(n[:4]) for n in names if n[:4].isdigit()), default=0)

    async def applied(self) -> set[str]:
        """The names of the migrations recorded in schema_migrations."""
        async with self.read() as conn, conn.execute("SELECT name FROM schema_migrations") as cur:
            return {r[0] for r in await cur.fetchall()}

    async def migrate(self, target: int | None = None, *, migrations: Sequence[Migration] | None = None) -> int:
        """Apply every migration not yet recorded (up to `target`); returns the version."""
        async with self._pool.connection() as raw:
            return await migrate_pg(raw, self.url, migrations, target=target)

    async def check_file(self, now: dt.datetime | None = None) -> str:
        """A server database has no file to watch: always "ok"."""
        return "ok"

    async def backup_to(self, target: Path) -> None:
        """A consistent copy of the database into `target` with pg_dump (custom format, for pg_restore)."""
        await pg_dump(self.url, target)


PG_DUMP_MISSING = ("для копии базы PostgreSQL нужна программа {tool}, а её нет: установите клиент PostgreSQL "
                   "той же или более новой версии, что и сервер (Debian: apt-get install postgresql-client)")


def pg_tool(name: str) -> str:
    """The path of pg_dump or pg_restore (PATH, then Debian's /usr/lib/postgresql/*/bin, newest first)."""
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: _major(p.parent.name),
                         reverse=True):
        if (folder / name).is_file():
            return str(folder / name)
    raise StorageError("pg_tool", Path(name), PG_DUMP_MISSING.format(tool=name))


def _major(text: str) -> int:
    return int(text) if text.isdigit() else 0


async def _run_tool(args: list[str], what: str) -> None:
    proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    if proc.returncode != 0:
        reason = err.decode("utf-8", "replace").strip().splitlines()
        raise StorageError("pg_tool", Path(args[0]),
                           f"{what} не удалось: {reason[-1] if reason else f'код {proc.returncode}'}")


async def pg_dump(url: str, target: Path) -> None:
    """The whole database at `url` into the file `target` (pg_dump's custom format)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    await _run_tool([pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                     f"--file={tmp}", f"--dbname={url}"], "копия базы PostgreSQL (pg_dump)")
    tmp.replace(target)


async def pg_restore(url: str, source: Path) -> None:
    """Replace everything in the database at `url` by the pg_dump copy `source` (pg_restore --clean)."""
    await _run_tool([pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
                     "--single-transaction", "--exit-on-error", f"--dbname={url}", str(source)],
                    "восстановление базы PostgreSQL (pg_restore)")


async def migrate_pg(conn: AsyncConnection[Any], url: str, migrations: Sequence[Migration] | None = None, *,
                     target: int | None = None, apply: bool = True) -> int:
    """Under the advisory lock: refuse unknown (newer) migrations, then apply the missing ones by name.

    Each migration runs in its own transaction with its record in schema_migrations, so a failed one
    leaves no trace and the next start tries it again. Returns the highest version applied.
    """
    known = sorted(migrations if migrations is not None else load_pg_migrations(), key=lambda m: m.version)
    await conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        await conn.execute('CREATE TABLE IF NOT EXISTS schema_migrations '
                           '(name TEXT COLLATE "C" PRIMARY KEY, applied_at TEXT COLLATE "C" NOT NULL)')
        cur = await conn.execute("SELECT name FROM schema_migrations")
        applied = {str(r[0]) for r in await cur.fetchall()}
        extra = sorted(applied - {m.name for m in known})
        if extra:
            raise too_new(url, extra)
        current = max((m.version for m in known if m.name in applied), default=0)
        if not apply:
            return current
        for migration in known:
            if migration.name in applied or (target is not None and migration.version > target):
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)  # no parameters: several statements
                await conn.execute(
                    "INSERT INTO schema_migrations(name, applied_at) VALUES (%s, %s)",
                    (migration.name, f"{dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%M:%SZ}"))
            log.info("PostgreSQL: применена миграция %s", migration.name)
            current = max(current, migration.version)
        return current
    finally:
        with suppress(psycopg.Error):
            await conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))



async def pg_size(db: PgDatabase) -> int:
    """The database's size on the server in bytes (for `status`)."""
    async with db.read() as conn, conn.execute("SELECT pg_database_size(current_database())") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def pg_describe(db: PgDatabase) -> tuple[int, list[str]]:
    """Active people and loaded weeks (`start..end`), for a restore preview."""
    async with db.read() as conn:
        async with conn.execute("SELECT count(*) FROM people WHERE active = 1") as cur:
            row = await cur.fetchone()
        async with conn.execute(
                "SELECT DISTINCT period_start, period_end FROM person_stats "
                "UNION SELECT period_start, period_end FROM org_stats ORDER BY 1") as cur:
            periods = [f"{r[0]}..{r[1]}" for r in await cur.fetchall()]
    return (int(row[0]) if row else 0), periods


def is_pg_dump(path: Path) -> bool:
    """Whether `path` is a pg_dump custom-format file (it starts with PGDMP)."""
    try:
        with path.open("rb") as file:
            return file.read(5) == b"PGDMP"
    except OSError:
        return False
