"""Helpers shared by subcommands: loading settings, errors, JSON output."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any, NoReturn

from bot.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from storage.sql import Database

EXIT_CONFIG = 2
EXIT_FAILURE = 1
# A change that needs confirmation was only previewed (run again with --yes).
EXIT_PREVIEW = 3


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    """Print a Russian error to stderr and exit with `code`."""
    print(f"Ошибка: {message}", file=sys.stderr)
    raise SystemExit(code)


def settings_from(args: argparse.Namespace) -> Settings:
    """The settings named by --config and --env-file; a configuration error exits with code 2."""
    from storage.schools import read_table_schools

    try:
        settings = load_settings(getattr(args, "config", None), getattr(args, "env_file", None))
        # The schools loaded by `import-schools` join the config's: one list for every command.
        return settings.with_table_schools(read_table_schools(settings.storage.database_path,
                                                                     settings.storage.postgres_url))
    except ConfigError as exc:
        fail(str(exc), EXIT_CONFIG)


def print_json(value: Any) -> None:
    """Machine output: UTF-8 JSON on stdout."""
    print(json.dumps(value, ensure_ascii=False))


async def open_db(settings: Settings, *, create: bool = False, empty_if_new: bool = False) -> Database:
    """The configured database; only commands that import (`create`) may make a new one.

    A new database is announced in one line on stderr. Any problem with the file or its
    folder raises storage.db.StorageError, which `bot.cli.main` turns into one Russian line.
    With `empty_if_new` a never-created database reads as an empty one (for --json reports),
    said on stderr.
    """
    from storage.backend import open_database
    from storage.db import NOT_CREATED, Database, StorageError

    path = settings.storage.database_path
    try:
        db = await open_database(path, settings.storage.postgres_url, create=create, backups=settings.backup.dir)
    except StorageError as exc:
        if exc.kind != "not_created" or not empty_if_new:
            raise
        print(NOT_CREATED, file=sys.stderr)
        return await Database.open(":memory:")
    if db.created:
        print(f"Создана новая база данных: {path}", file=sys.stderr)
    return db
