"""The SQLite database: one aiosqlite connection, migrations applied by name, transactions, file safety.

All SQL of the project lives in `storage/`. Services get repositories, never a
connection; each use case runs in one `async with db.transaction() as conn:`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import errno
import logging
import os
import re
import shutil
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite
from aiosqlite.context import Result

from storage.sql import Dialect

_MIGRATION_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

log = logging.getLogger(__name__)

# The name of the lock `run` holds (bot/commands/run.py) and of the file that says a database was made here.
LOCK_NAME = "sferum-bot.lock"
MARKER_SUFFIX = ".created"
NOT_CREATED = "база ещё не создана: загрузите список сотрудников или запустите бота"


@dataclass(frozen=True)
class Migration:
    """One numbered SQL script from storage/migrations."""

    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """All migrations bundled with the package, ordered by version.

    Versions are reserved per feature, so gaps are allowed; duplicates are not.
    """
    found: list[Migration] = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _MIGRATION_RE.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions: {versions}")
    return found


class StorageError(sqlite3.DatabaseError):
    """The database file or its folder cannot be used; `str()` is one Russian line for an operator.

    `kind` is one of: corrupt, readonly, full, io, not_dir, cannot_create, cannot_open, too_new,
    missing, not_created.
    """

    def __init__(self, kind: str, path: Path, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.path = path


def marker_path(path: Path) -> Path:
    """The file that records that a database was once created at `path`."""
    return path.with_name(path.name + MARKER_SUFFIX)


def was_created(path: Path) -> bool:
    """Whether a database ever lived at `path` (the file, its marker or the bot's lock is there)."""
    return path.exists() or marker_path(path).exists() or (path.parent / LOCK_NAME).exists()


def _newest_backup(folder: Path | None) -> str:
    """Where the last backups are, for a message: the folder and its newest copy."""
    if folder is None:
        return ""
    try:
        copies = sorted(p.name for p in folder.glob("*.sqlite3"))
    except OSError:
        copies = []
    if copies:
        return f"; последние копии — в {folder}, самая новая: {copies[-1]}"
    return f"; копии бот сохраняет в {folder} (сейчас там пусто)"


def _sqlite_kind(exc: sqlite3.Error) -> str | None:
    """Which storage problem an SQLite error means (None: not a storage problem)."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc).lower()
    if primary == sqlite3.SQLITE_FULL or "disk is full" in text:
        return "full"
    if primary == sqlite3.SQLITE_READONLY or "readonly" in text:
        return "readonly"
    if primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or "malformed" in text \
            or "not a database" in text:
        return "corrupt"
    if primary == sqlite3.SQLITE_CANTOPEN or "unable to open" in text:
        return "cannot_open"
    if primary == sqlite3.SQLITE_IOERR or "disk i/o error" in text:
        return "io"
    return None


def _disk_full(folder: Path) -> bool:
    """Whether the disk holding `folder` has (next to) no space left."""
    try:
        return shutil.disk_usage(folder).free < 1024 * 1024
    except OSError:
        return False


_OS_REASONS = {
    errno.EACCES: "нет прав", errno.EPERM: "нет прав", errno.EROFS: "диск только для чтения",
    errno.ENOTDIR: "часть пути — файл, а не папка", errno.ENOSPC: "нет места на диске",
    errno.EEXIST: "на этом месте файл",
}


def os_reason(exc: OSError) -> str:
    """A short Russian reason for a file-system error."""
    return _OS_REASONS.get(exc.errno or 0, exc.strerror or "ошибка файловой системы")


def _os_kind(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "full"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "readonly"
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return "not_dir"
    return "cannot_create"


def storage_error(kind: str, path: Path, *, backups: Path | None = None, detail: str = "") -> StorageError:
    """A StorageError with its operator message: which file, what is wrong, what to do."""
    folder = path.parent
    messages = {
        "corrupt": f"база данных {path} повреждена: восстановите её из резервной копии командой "
                   f"sferum-bot restore ФАЙЛ{_newest_backup(backups)}",
        "readonly": f"база данных {path} доступна только для чтения: дайте пользователю бота право "
                    f"записи в файл и в папку {folder} (или смонтируйте диск для записи)",
        "full": f"на диске с базой данных {path} нет места: освободите место и запустите команду снова",
        "io": f"ошибка чтения или записи базы данных {path}: проверьте диск (dmesg, smartctl) и "
              f"восстановите базу командой sferum-bot restore ФАЙЛ, если она испорчена{_newest_backup(backups)}",
        "not_dir": f"папка данных {folder} — это файл, а не папка: уберите файл или укажите другую папку "
                   f"в [storage] data_dir",
        "cannot_create": f"не получилось создать папку данных {folder}{f' ({detail})' if detail else ''}: "
                         f"создайте её или укажите другую в [storage] data_dir",
        "cannot_open": f"база данных {path} не открывается: проверьте права на файл и папку {folder}",
        "too_new": f"база данных {path} обновлена более новой версией sferum-bot"
                   f"{f' ({detail})' if detail else ''}: установите новую версию бота",
        "missing": f"базы данных {path} нет, хотя бот уже работал с папкой {folder}: восстановите её "
                   f"командой sferum-bot restore ФАЙЛ{_newest_backup(backups)}",
        "not_created": NOT_CREATED,
    }
    return StorageError(kind, path, messages[kind])


def translate(exc: BaseException, path: Path, backups: Path | None = None) -> StorageError | None:
    """The StorageError an exception from SQLite or the file system means, if any."""
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, sqlite3.Error):
        kind = _sqlite_kind(exc)
        if kind == "cannot_open" and not os.access(path.parent, os.W_OK):
            kind = "readonly"
        if kind in ("io", "cannot_open") and _disk_full(path.parent):
            # SQLite reports a full disk under its -wal or -shm file as an I/O error.
            kind = "full"
        return storage_error(kind, path, backups=backups) if kind else None
    if isinstance(exc, OSError):
        return storage_error(_os_kind(exc), path, backups=backups, detail=os_reason(exc))
    return None


def unknown_migrations(applied: set[str], user_version: int, known: list[Migration]) -> list[str]:
    """What a database has that this code does not know (the database is newer than the code)."""
    names = {m.name for m in known}
    extra = sorted(applied - names)
    if not extra and not applied and known and user_version > known[-1].version:
        extra = [f"версия схемы {user_version}"]
    return extra


def read_applied(conn: sqlite3.Connection) -> tuple[set[str], int, bool]:
    """(recorded migration names, user_version, whether schema_migrations exists) of a sync connection."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    has_table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").fetchone()
    if not has_table:
        return set(), version, False
    return {r[0] for r in conn.execute("SELECT name FROM schema_migrations")}, version, True


def _apply_script(migration: Migration, version: int) -> str:
    # PRAGMA user_version is transactional: a failed script leaves no trace.
    return (f"BEGIN IMMEDIATE;\n{migration.sql}\n"
            f"INSERT INTO schema_migrations(name, applied_at) VALUES ('{migration.name}', "
            f"strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));\n"
            f"PRAGMA user_version = {version};\nCOMMIT;")


class SqliteConnection:
    """The aiosqlite connection as repositories see it (`storage.sql.Connection`): `?` SQL as written."""

    __slots__ = ("live", "raw")
    dialect: Dialect = "sqlite"

    def __init__(self, raw: aiosqlite.Connection) -> None:
        self.raw = raw
        # False once its transaction has ended: a write sent later must not land outside it (`StatsRepo`'s
        # early rows are sent by a task of their own).
        self.live = True

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open on the connection."""
        return self.raw.in_transaction

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Result[aiosqlite.Cursor]:
        return self.raw.execute(sql, parameters)

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Any:
        return await self.raw.executemany(sql, parameters)


_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=5000",
            "PRAGMA synchronous=NORMAL")
# SQLite's own default: the commit that leaves more pages than this in the WAL copies them into the file.
_AUTOCHECKPOINT_PAGES = 1000


class Database:
    """The SQLite database: a single aiosqlite connection shared by the process.

    aiosqlite runs every statement on one worker thread, so concurrent tasks
    would interleave inside each other's transactions; the lock serialises
    transactions and reads on the one connection.
    """

    def __init__(self, conn: aiosqlite.Connection, path: str, *, backups: Path | None = None) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self.path = path
        self.backups = backups
        # Whether open() made a new database file.
        self.created = False
        self._identity: tuple[int, int] | None = None
        self._logged: dict[str, float] = {}
        # The checkpoint a bulk transaction left for after its commit (`transaction(bulk=True)`).
        self._checkpoint: asyncio.Task[None] | None = None

    dialect: Dialect = "sqlite"

    @staticmethod
    async def _connect(path: str) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            conn.row_factory = aiosqlite.Row
            for pragma in _PRAGMAS:
                await conn.execute(pragma)
        except BaseException:
            await conn.close()
            raise
        return conn

    @classmethod
    async def open(cls, path: Path | str, *, migrate: bool = True, create: bool = True,
                   backups: Path | None = None) -> Database:
        """Open the database at `path` and apply migrations.

        A missing file is created only with `create`; otherwise, and for every other problem
        with the file or its folder, a StorageError says what is wrong. No connection is left open.
        """
        path_str = str(path)
        if path_str == ":memory:":
            db = cls(await cls._connect(path_str), path_str)
            if migrate:
                try:
                    await db.migrate()
                except BaseException:
                    await db.close()
                    raise
            return db
        file = Path(path_str)
        try:
            if file.parent.exists() and not file.parent.is_dir():
                raise storage_error("not_dir", file, backups=backups)
            existed = file.exists()
            if not existed:
                if not create:
                    raise storage_error("missing" if was_created(file) else "not_created", file,
                                        backups=backups)
                try:
                    file.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    kind = _os_kind(exc)
                    raise storage_error("full" if kind == "full" else "cannot_create", file,
                                        backups=backups, detail=os_reason(exc)) from None
            elif not file.is_file() or file.stat().st_size == 0:
                # SQLite would take an empty file for a new database; ours never is one.
                raise storage_error("corrupt", file, backups=backups)
        except OSError as exc:
            raise storage_error(_os_kind(exc), file, backups=backups, detail=os_reason(exc)) from None
        try:
            conn = await cls._connect(path_str)
        except (sqlite3.Error, OSError) as exc:
            raise (translate(exc, file, backups) or exc) from None
        db = cls(conn, path_str, backups=backups)
        db.created = not existed
        try:
            if existed:
                async with conn.execute("PRAGMA quick_check(1)") as cur:
                    row = await cur.fetchone()
                if row is None or row[0] != "ok":
                    raise storage_error("corrupt", file, backups=backups)
            if migrate:
                await db.migrate()
            stat_ = file.stat()
            db._identity = (stat_.st_dev, stat_.st_ino)
            marker = marker_path(file)
            if not marker.exists():
                with suppress(OSError):
                    marker.write_text(f"{dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%M:%SZ}\n", "utf-8")
        except BaseException as exc:
            await db.close()
            if isinstance(exc, (sqlite3.Error, OSError)):
                raise (translate(exc, file, backups) or exc) from None
            raise
        return db

    async def close(self) -> None:
        """Close the connection (safe to call twice); closing checkpoints the WAL itself."""
        if self._checkpoint is not None and not self._checkpoint.done():
            self._checkpoint.cancel()
            with suppress(BaseException):
                await self._checkpoint
        await self._conn.close()

    async def version(self) -> int:
        """The schema version applied (PRAGMA user_version)."""
        async with self._conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def applied(self) -> set[str]:
        """The names of the migrations recorded in schema_migrations."""
        async with self._conn.execute("SELECT name FROM schema_migrations") as cur:
            return {r[0] for r in await cur.fetchall()}

    async def _prepare_bookkeeping(self, known: list[Migration]) -> None:
        """Create schema_migrations; a database from before it counts every file up to user_version."""
        async with self._conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'") as cur:
            if await cur.fetchone():
                return
        version = await self.version()
        if known and version > known[-1].version:
            raise storage_error("too_new", Path(self.path), detail=f"версия схемы {version}")
        await self._conn.execute("BEGIN IMMEDIATE")
        try:
            await self._conn.execute(
                "CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            await self._conn.executemany(
                "INSERT INTO schema_migrations(name, applied_at) "
                "VALUES (?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
                [(m.name,) for m in known if m.version <= version])
        except BaseException:
            await self._conn.rollback()
            raise
        await self._conn.commit()

    async def migrate(self, target: int | None = None, *, migrations: Sequence[Migration] | None = None) -> int:
        """Apply every migration not yet recorded (up to `target`), by name and in number order.

        A file that lands later with a number below the current version is still applied;
        user_version keeps the highest number applied. Returns user_version.
        """
        known = sorted(migrations if migrations is not None else load_migrations(), key=lambda m: m.version)
        async with self._lock:
            await self._prepare_bookkeeping(known)
            applied = await self.applied()
            current = await self.version()
            extra = unknown_migrations(applied, current, known)
            if extra:
                raise storage_error("too_new", Path(self.path),
                                    detail="неизвестные миграции: " + ", ".join(extra))
            for migration in known:
                if migration.name in applied or (target is not None and migration.version > target):
                    continue
                version = max(current, migration.version)
                try:
                    await self._conn.executescript(_apply_script(migration, version))
                except Exception:
                    if self._conn.in_transaction:
                        await self._conn.rollback()
                    raise
                current = version
            return current

    def _storage_problem(self, exc: BaseException) -> StorageError | None:
        """The StorageError behind a failed statement, logged once a minute per kind."""
        error = translate(exc, Path(self.path), self.backups) if isinstance(exc, sqlite3.Error) else None
        if error is None:
            return None
        now = time.monotonic()
        if now - self._logged.get(error.kind, -1e9) >= 60:
            self._logged[error.kind] = now
            log.error("запись в базу не удалась — %s. Бот продолжает отвечать, что может, и повторит запись",
                      error)
        return error

    @asynccontextmanager
    async def transaction(self, *, bulk: bool = False) -> AsyncIterator[SqliteConnection]:
        """One write transaction (BEGIN IMMEDIATE … COMMIT, rolled back on error).

        A full, read-only or broken disk raises StorageError (logged in Russian) instead of
        SQLite's own error; the caller's data stays as it was. `bulk`: a transaction that writes
        thousands of rows (an import); its commit does not copy the grown WAL into the database
        file, a checkpoint just after it does, once the caller has its answer.
        """
        async with self._lock:
            if bulk:
                # The automatic checkpoint would run inside COMMIT: 0.02 s of a 50,000-row import's answer.
                async with self._conn.execute("PRAGMA wal_autocheckpoint=0"):
                    pass
            try:
                async with self._transaction() as conn:
                    yield conn
            finally:
                if bulk:
                    with suppress(sqlite3.Error):
                        async with self._conn.execute(f"PRAGMA wal_autocheckpoint={_AUTOCHECKPOINT_PAGES}"):
                            pass
                    self._checkpoint_soon()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[SqliteConnection]:
        try:
            await self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise (self._storage_problem(exc) or exc) from exc
        conn = SqliteConnection(self._conn)
        try:
            yield conn
        except BaseException as exc:
            conn.live = False
            with suppress(sqlite3.Error):
                await self._conn.rollback()
            problem = self._storage_problem(exc)
            if problem is not None:
                raise problem from exc
            raise
        conn.live = False
        try:
            await self._conn.commit()
        except sqlite3.Error as exc:
            with suppress(sqlite3.Error):
                await self._conn.rollback()
            raise (self._storage_problem(exc) or exc) from exc

    def _checkpoint_soon(self) -> None:
        """After a bulk commit: the checkpoint its commit skipped, as the next task, if the WAL grew past
        where SQLite would have made one."""
        try:
            grown = os.stat(f"{self.path}-wal").st_size > _AUTOCHECKPOINT_PAGES * 4096
        except OSError:
            return
        if grown and (self._checkpoint is None or self._checkpoint.done()):
            self._checkpoint = asyncio.get_running_loop().create_task(self._checkpoint_now())

    async def _checkpoint_now(self) -> None:
        async with self._lock:
            try:
                async with self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)"):
                    pass
            except sqlite3.Error as exc:
                # The next commit's automatic checkpoint tries again.
                log.warning("контрольная точка базы после загрузки не удалась: %s", exc)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[SqliteConnection]:
        """Exclusive use of the connection for reads outside a transaction."""
        async with self._lock:
            yield SqliteConnection(self._conn)

    async def backup_to(self, target: Path) -> None:
        """A consistent copy of the live database into `target` (VACUUM INTO)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            target.unlink()
        async with self._lock:
            await self._conn.execute("VACUUM INTO ?", (str(target),))

    async def _copy_into(self, target: Path) -> None:
        """The open database, WAL included, into a new file `target` (SQLite's backup API)."""
        target.unlink(missing_ok=True)
        dest = sqlite3.connect(target, check_same_thread=False)
        try:
            await self._conn.backup(dest)
        finally:
            dest.close()

    async def check_file(self, now: dt.datetime | None = None) -> str:
        """Whether the file at `path` is still the one open: "ok", "restored" or "replaced".

        Deleted: the open database is written back to the same path and the bot goes on
        ("restored"). Another file in its place: the open database is saved beside it as
        `<name>.recovered-<YYYYMMDD-HHMMSS>.sqlite3` ("replaced"; the caller must stop).
        Both are logged as ERROR naming the files.
        """
        if self._identity is None:
            return "ok"
        path = Path(self.path)
        try:
            found = path.stat()
        except FileNotFoundError:
            found = None
        if found is not None and (found.st_dev, found.st_ino) == self._identity:
            return "ok"
        moment = now or dt.datetime.now(dt.UTC)
        async with self._lock:
            if found is None:
                return await self._write_back(path)
            target = path.with_name(f"{path.stem}.recovered-{moment:%Y%m%d-%H%M%S}.sqlite3")
            try:
                await self._copy_into(target)
                # Our -wal sits beside the new file under the same name: empty it into our own
                # (old) file, or the next reader of the new file would take our pages for its own.
                await self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except (sqlite3.Error, OSError) as exc:
                log.error("файл базы данных %s заменён другим файлом, а сохранить открытую базу в %s "
                          "не получилось (%s); бот останавливается", path, target, exc)
                return "replaced"
            log.error("файл базы данных %s заменён другим файлом; открытая ботом база сохранена в %s. "
                      "Бот останавливается: выберите, какая база нужна, положите её на место %s и "
                      "запустите бота снова", path, target, path.name)
            return "replaced"

    async def _write_back(self, path: Path) -> str:
        """Put the still-open database of a deleted file back at `path` and reopen it there."""
        tmp = path.with_name(path.name + ".writeback")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            await self._copy_into(tmp)
        except (sqlite3.Error, OSError) as exc:
            log.error("файл базы данных %s удалён, и записать его обратно не получилось (%s); бот "
                      "продолжает работу с открытой базой — сделайте копию: sferum-bot backup ФАЙЛ", path, exc)
            return "ok"
        # Closing checkpoints into the deleted file and removes its -wal and -shm from the path.
        await self._conn.close()
        tmp.replace(path)
        self._conn = await self._connect(str(path))
        found = path.stat()
        self._identity = (found.st_dev, found.st_ino)
        log.error("файл базы данных %s был удалён; бот записал открытую базу обратно и работает дальше",
                  path)
        return "restored"
