"""`sferum-bot init`: create the database (or the PostgreSQL schema) and apply the migrations, before any `run`."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt

from bot.commands._common import fail, print_json, settings_from
from bot.config import Settings
from bot.ops.workers import FRESH, busy_message
from storage.bootstrap import Initialised, WorkersAlive, initialise_postgres, initialise_sqlite
from storage.lock import AlreadyRunning

# What the refusal asks the operator to repeat once the workers are stopped.
ACTION = "sferum-bot init"


def _init(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    now = dt.datetime.now(dt.UTC)
    try:
        done = asyncio.run(_initialise(settings, now, FRESH))
    except WorkersAlive as exc:
        fail(busy_message(exc.workers, now, ACTION) or "")
    except AlreadyRunning as exc:
        fail(str(exc))
    if args.json:
        print_json({"backend": done.backend, "applied": done.applied, "current": done.current})
    else:
        print(_said(done))
    return 0


async def _initialise(settings: Settings, now: dt.datetime, fresh: dt.timedelta) -> Initialised:
    url = settings.storage.postgres_url
    if url:
        return await initialise_postgres(url, now=now, fresh=fresh)
    return await initialise_sqlite(settings.storage.database_path, now=now, fresh=fresh, backups=settings.backup.dir)


def _said(done: Initialised) -> str:
    """What `init` did, in one line for the operator."""
    if done.current:
        return f"База данных {done.database} уже в актуальном состоянии (миграций: {done.total}), менять нечего."
    if done.created:
        return (f"Создана база данных {done.database}; применено миграций: {len(done.applied)} "
                f"(последняя — {done.applied[-1]}).")
    return f"База данных {done.database} обновлена; применено миграций: {len(done.applied)} ({', '.join(done.applied)})."


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser],
             common: argparse.ArgumentParser) -> None:
    """Add the `init` subcommand."""
    parser = sub.add_parser(
        "init", parents=[common], help="создать базу данных и обновить её схему",
        description="Создаёт базу данных (файл SQLite или таблицы в базе PostgreSQL из [storage] url) и применяет "
                    "недостающие миграции под той же блокировкой, что и запуск бота. Повторный запуск ничего не "
                    "меняет. Пока работает хоть один процесс бота (отмечался в последние 15 секунд), команда "
                    "отказывается; базу, обновлённую более новой версией бота, не трогает.")
    parser.add_argument("--json", action="store_true",
                        help='вывести итог в JSON: {"backend", "applied": [миграции], "current": была ли схема '
                             "уже актуальной}")
    parser.set_defaults(func=_init)
