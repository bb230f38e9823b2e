"""`backup`, `restore`, `forget`, `export-person` and `status`: running the bot for a year."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from bot.commands._common import fail, open_db, print_json, settings_from
from bot.config import Settings
from bot.domain import schedule
from bot.services.privacy import PrivacyService
from storage.db import NOT_CREATED, StorageError, check_backup, replace_database
from storage.status import StatusRepo


def next_runs(settings: Settings, now: dt.datetime) -> list[tuple[str, str, dt.datetime]]:
    """(school, job, when) of the next scheduled runs, soonest first (the scheduler's own times)."""
    return schedule.next_runs(settings, now)


async def _with_service(settings: Settings, action: Any) -> Any:
    db = await open_db(settings)
    try:
        return await action(PrivacyService(db, settings), db)
    finally:
        await db.close()


def _backup(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    target: Path = args.file
    if target.exists() and not args.force:
        fail(f"файл {target} уже есть; выберите другое имя или добавьте --force")
    if not settings.storage.database_path.exists():
        fail(f"базы данных {settings.storage.database_path} ещё нет: копировать нечего")
    asyncio.run(_with_service(settings, lambda svc, db: svc.backup(target)))
    print(f"Резервная копия базы сохранена: {target}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    source: Path = args.file
    if not source.is_file():
        fail(f"файла {source} нет")
    problem = check_backup(source)
    if problem:
        fail(f"{source}: {problem}")
    if not args.yes:
        fail("восстановление заменит текущую базу. Остановите бота и повторите с --yes", 2)
    replace_database(source, settings.storage.database_path)
    print(f"База восстановлена из {source}. Запустите бота снова.")
    return 0


def _forget(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    changed = asyncio.run(_with_service(settings, lambda svc, db: svc.forget_person(args.person)))
    if changed is None:
        fail(f"сотрудника с id {args.person} нет в базе")
    if args.json:
        print_json({"person": args.person, "changed": changed})
    else:
        print(f"Данные сотрудника {args.person} удалены; его обезличенные показатели остались в итогах.")
    return 0


def _export(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    data = asyncio.run(_with_service(settings, lambda svc, db: svc.export_person(args.person)))
    if data is None:
        fail(f"сотрудника с id {args.person} нет в базе")
    print_json(data)
    return 0


def _status(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    path = settings.storage.database_path
    now = dt.datetime.now(dt.UTC)
    runs = next_runs(settings, now)
    try:
        status = asyncio.run(_with_service(settings, lambda svc, db: StatusRepo(db).read()))
    except StorageError as exc:
        if exc.kind != "not_created":
            raise
        status = None
    size = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    last_imports = {s.id: (status.last_imports.get(s.id) if status else None) for s in settings.schools}
    data: dict[str, Any] = {
        "database": str(path),
        "database_bytes": size,
        "last_event_at": status.last_event_at if status else None,
        "inbox_pending": status.inbox_pending if status else 0,
        "outbox_pending": status.outbox_pending if status else 0,
        "outbox_failed": status.outbox_failed if status else 0,
        "last_imports": last_imports,
        "next_runs": [{"org": org, "job": job, "at": when.isoformat()} for org, job, when in runs],
    }
    if args.json:
        if status is None:
            print(NOT_CREATED, file=sys.stderr)
        print_json(data)
        return 0
    if status is None:
        print(NOT_CREATED)
    print(f"База: {path} ({size / 1024 / 1024:.1f} МБ)")
    print(f"Последнее событие от ВКонтакте: {data['last_event_at'] or 'ещё не было'}")
    print(f"Необработанных событий: {data['inbox_pending']}; в очереди отправки: {data['outbox_pending']}"
          f", не отправлено из-за ошибок: {data['outbox_failed']}")
    for school in settings.schools:
        print(f"Последняя загрузка таблицы ({school.id}): {last_imports[school.id] or 'не было'}")
    for org, job, when in runs[:6]:
        print(f"Следующий запуск: {job} ({org}) — {when:%d.%m.%Y %H:%M %Z}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser],
             common: argparse.ArgumentParser) -> None:
    """Add backup, restore, forget, export-person and status."""
    p = sub.add_parser("backup", parents=[common], help="резервная копия базы данных",
                       description="Делает согласованную копию работающей базы (VACUUM INTO).")
    p.add_argument("file", type=Path, metavar="FILE", help="куда сохранить копию")
    p.add_argument("--force", action="store_true", help="перезаписать существующий файл")
    p.set_defaults(func=_backup)

    p = sub.add_parser("restore", parents=[common], help="восстановить базу из резервной копии",
                       description="Заменяет базу бота резервной копией. Сначала остановите бота.")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--yes", action="store_true", help="подтвердить замену текущей базы")
    p.set_defaults(func=_restore)

    p = sub.add_parser("forget", parents=[common], help="удалить данные сотрудника",
                       description="Удаляет персональные данные сотрудника; обезличенные показатели остаются в итогах.")
    p.add_argument("--person", type=int, required=True, metavar="ID", help="id сотрудника в базе бота")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_forget)

    p = sub.add_parser("export-person", parents=[common], help="всё, что бот хранит о сотруднике (JSON)")
    p.add_argument("--person", type=int, required=True, metavar="ID", help="id сотрудника в базе бота")
    p.set_defaults(func=_export)

    p = sub.add_parser("status", parents=[common], help="состояние бота: события, очередь, загрузки, расписание")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_status, reads_only=True)
