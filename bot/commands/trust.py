"""`backup`, `restore`, `forget`, `export-person` and `status`: running the bot for a year."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bot.commands._common import EXIT_PREVIEW, fail, open_db, print_json, settings_from
from bot.config import Settings
from bot.domain import schedule
from bot.domain.models import Person
from bot.domain.names import initials_match, name_key, split_name
from storage.db import NOT_CREATED, StorageError
from storage.files import check_backup, describe, keep_aside, replace_database
from storage.lock import AlreadyRunning, RunLock, running_pid
from storage.people import PeopleRepo
from storage.status import StatusRepo

if TYPE_CHECKING:
    from bot.deps import Deps

T = TypeVar("T")


def next_runs(settings: Settings, now: dt.datetime) -> list[tuple[str, str, dt.datetime]]:
    """(school, job, when) of the next scheduled runs, soonest first (the scheduler's own times)."""
    return schedule.next_runs(settings, now)


async def _with_services(settings: Settings, action: Callable[[Deps], Awaitable[T]]) -> T:
    """`action` on the services over the configured database (closed afterwards)."""
    from bot.composition import Channels, build_services

    db = await open_db(settings)
    try:
        return await action(build_services(settings, db, Channels.offline(settings)))
    finally:
        await db.close()


def _backup(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    target: Path = args.file
    if target.exists() and not args.force:
        fail(f"файл {target} уже есть; выберите другое имя или добавьте --force")
    if not settings.storage.postgres_url and not settings.storage.database_path.exists():
        fail(f"базы данных {settings.storage.database_path} ещё нет: копировать нечего")
    asyncio.run(_with_services(settings, lambda deps: deps.privacy.backup(target)))
    print(f"Резервная копия базы сохранена: {target}")
    return 0


def _weeks(periods: list[str]) -> str:
    if not periods:
        return "загруженных недель нет"
    return f"недель: {len(periods)}, последняя {periods[-1]}"


def _restore(args: argparse.Namespace) -> int:
    """Check the backup, show what it holds beside the current database, and replace only with --yes."""
    settings = settings_from(args)
    source: Path = args.file
    target = settings.storage.database_path
    if not source.is_file():
        fail(f"файла {source} нет")
    if settings.storage.postgres_url:
        return _restore_postgres(args, settings, source)
    problem = check_backup(source)
    if problem:
        fail(f"{source}: {problem}")
    refuse_while_workers_alive(target, "восстановление")
    pid = running_pid(target.parent)
    if pid is not None:
        fail(f"бот работает с этой базой ({f'процесс {pid}' if pid else 'другой процесс'}): остановите его "
             "(systemctl stop sferum-bot) и повторите восстановление")
    made = dt.datetime.fromtimestamp(source.stat().st_mtime).astimezone()
    copy, now = describe(source), describe(target)
    stamp = dt.datetime.now().astimezone()
    aside = target.with_name(f"{target.stem}.before-restore-{stamp:%Y%m%d-%H%M%S}.sqlite3")
    if args.json:
        print_json({"preview": not args.yes or args.dry_run, "backup": str(source), "backup_date": made.isoformat(),
                    "backup_people": copy.people if copy else 0, "backup_periods": copy.periods if copy else [],
                    "current_people": now.people if now else None,
                    "current_periods": now.periods if now else None,
                    "current_kept_as": str(aside) if target.exists() else None})
    else:
        print(f"Копия {source} от {made:%d.%m.%Y %H:%M}: сотрудников {copy.people if copy else 0}, "
              f"{_weeks(copy.periods if copy else [])}.")
        if now is not None:
            print(f"Сейчас в базе {target}: сотрудников {now.people}, {_weeks(now.periods)}.")
        elif target.exists():
            print(f"Сейчас база {target} не читается.")
        else:
            print(f"Сейчас базы {target} нет.")
    if args.dry_run:
        return 0
    if not args.yes:
        print("Восстановление заменит текущую базу (она будет сохранена рядом). Чтобы заменить, повторите "
              "команду с --yes.", file=sys.stderr)
        return EXIT_PREVIEW
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # Held while replacing, so that a bot started meanwhile waits for a whole database.
        lock = RunLock.acquire(target.parent)
    except AlreadyRunning as exc:
        fail(str(exc))
    try:
        kept = keep_aside(target, aside) if target.exists() else None
        replace_database(source, target)
    finally:
        lock.release()
    if not args.json:
        print(f"База восстановлена из {source}." + (f" Прежняя сохранена в {kept}." if kept else "")
              + " Запустите бота снова.")
    return 0


def _restore_postgres(args: argparse.Namespace, settings: Settings, source: Path) -> int:
    """Restore a pg_dump copy into the PostgreSQL database; the current contents are dumped aside first."""
    from storage.pg import PgDatabase, is_pg_dump, pg_describe, pg_dump, pg_restore, redact

    url = settings.storage.postgres_url or ""
    if not is_pg_dump(source):
        fail(f"{source}: это не копия базы PostgreSQL (её делает sferum-bot backup ФАЙЛ или pg_dump --format=custom)")

    async def current() -> tuple[str | None, int, list[str]]:
        from bot.ops.workers import FRESH, busy_message
        from storage.workers import WorkersRepo

        db = await PgDatabase.open(url, migrate=False)
        try:
            now = dt.datetime.now(dt.UTC)
            busy = busy_message(await WorkersRepo(db).alive(now, FRESH), now, "восстановление")
            return (busy, *await pg_describe(db))
        finally:
            await db.close()

    busy, people, periods = asyncio.run(current())
    if busy is not None:
        fail(busy)
    made = dt.datetime.fromtimestamp(source.stat().st_mtime).astimezone()
    stamp = dt.datetime.now().astimezone()
    aside = settings.backup.dir / f"before-restore-{stamp:%Y%m%d-%H%M%S}.dump"
    if args.json:
        print_json({"preview": not args.yes or args.dry_run, "backup": str(source), "backup_date": made.isoformat(),
                    "current_people": people, "current_periods": periods, "current_kept_as": str(aside)})
    else:
        print(f"Копия {source} от {made:%d.%m.%Y %H:%M} (PostgreSQL).")
        print(f"Сейчас в базе {redact(url)}: сотрудников {people}, {_weeks(periods)}.")
    if args.dry_run:
        return 0
    if not args.yes:
        print("Восстановление заменит всё в базе PostgreSQL (прежнее содержимое будет сохранено в "
              f"{aside}). Остановите бота и повторите команду с --yes.", file=sys.stderr)
        return EXIT_PREVIEW

    async def replace() -> None:
        await pg_dump(url, aside)
        await pg_restore(url, source)
        # A copy made by an older version is brought up to this code's schema now.
        db = await PgDatabase.open(url)
        await db.close()

    asyncio.run(replace())
    if not args.json:
        print(f"База восстановлена из {source}. Прежняя сохранена в {aside}. Запустите бота снова.")
    return 0


def refuse_while_workers_alive(database: Path, action: str, now: dt.datetime | None = None) -> None:
    """Stop the command (one Russian line, exit 1) while a worker of the database beat in the last 15 s."""
    from bot.ops.workers import FRESH, busy_message
    from storage.workers import alive_at

    moment = now or dt.datetime.now(dt.UTC)
    message = busy_message(alive_at(database, moment, FRESH), moment, action)
    if message is not None:
        fail(message)


class NotResolved(Exception):  # noqa: N818 - reads naturally: `except NotResolved`
    """The person flags name nobody, or several people; `text` says so in Russian."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _describe(person: Person) -> str:
    state = "" if person.active else ", уволен(а)"
    return f"  --person-id {person.id}: {person.full_name} ({person.role.label}, {person.org_id or 'без школы'}{state})"


async def _resolve(repo: PeopleRepo, args: argparse.Namespace) -> int:
    """The internal id of the person named by --person, --vk-id, --max-id or --person-id."""
    if args.person_id is not None:
        return int(args.person_id)
    if args.max_id is not None:
        found = await repo.by_max_id_any(args.max_id)
        missing = f"сотрудника с MAX id {args.max_id} нет в базе"
        several = f"к MAX id {args.max_id} привязаны несколько человек (в разных школах)"
    elif args.vk_id is not None:
        found = await repo.by_vk_id_any(args.vk_id)
        missing = f"сотрудника со страницей ВКонтакте id{args.vk_id} нет в базе"
        several = f"к странице ВКонтакте id{args.vk_id} привязаны несколько человек (в разных школах)"
    else:
        typed = str(args.person).strip()
        if typed.isdigit():  # the old `--person ID` keeps working
            return int(typed)
        surname = split_name(typed)[0]
        if not surname:
            raise NotResolved("укажите ФИО, например --person \"Иванова Анна Петровна\"")
        key = name_key(typed)
        people = await repo.by_surname_any(surname)
        exact = [p for p in people if name_key(p.full_name) == key]
        found = exact or [p for p in people if initials_match(typed, p.full_name)]
        missing = f"«{typed}» нет в базе; проверьте написание ФИО"
        several = f"под «{typed}» подходят несколько человек"
    if not found:
        raise NotResolved(missing)
    if len(found) > 1:
        listed = "\n".join(_describe(p) for p in found)
        raise NotResolved(f"{several} — ничего не изменено. Уточните ФИО или укажите id:\n{listed}")
    return found[0].id


def _person_action(args: argparse.Namespace, action: str) -> tuple[int, Any]:
    settings = settings_from(args)

    async def run(deps: Deps) -> tuple[int, Any]:
        person_id = await _resolve(deps.people, args)
        if action == "forget":
            return person_id, await deps.privacy.forget_person(person_id)
        return person_id, await deps.privacy.export_person(person_id)

    try:
        result: tuple[int, Any] = asyncio.run(_with_services(settings, run))
    except NotResolved as refused:
        fail(refused.text)
    if result[1] is None:
        fail(f"сотрудника с id {result[0]} нет в базе")
    return result


def _forget(args: argparse.Namespace) -> int:
    person_id, changed = _person_action(args, "forget")
    if args.json:
        print_json({"person": person_id, "changed": changed})
    else:
        print(f"Данные сотрудника {person_id} удалены; его обезличенные показатели остались в итогах.")
    return 0


def _export(args: argparse.Namespace) -> int:
    print_json(_person_action(args, "export")[1])
    return 0


def _person_flags(parser: argparse.ArgumentParser) -> None:
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--person", metavar="ФИО", help="ФИО сотрудника, например \"Иванова Анна Петровна\" "
                     "(или «Иванова А. П.»); если подходят несколько, команда перечислит их")
    who.add_argument("--vk-id", type=int, metavar="N", help="id страницы ВКонтакте")
    who.add_argument("--max-id", type=int, metavar="N", help="id пользователя MAX")
    who.add_argument("--person-id", type=int, metavar="N", help="внутренний id сотрудника в базе бота")


def _status(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    path = settings.storage.database_path
    now = dt.datetime.now(dt.UTC)
    runs = next_runs(settings, now)
    try:
        status = asyncio.run(_with_services(settings, lambda deps: StatusRepo(deps.db).read()))
    except StorageError as exc:
        if exc.kind != "not_created":
            raise
        status = None
    size = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    database = str(path)
    if settings.storage.postgres_url:
        from storage.pg import PgDatabase, pg_size

        url = settings.storage.postgres_url
        database = PgDatabase.describe_url(url)

        async def server_size() -> int:
            db = await PgDatabase.open(url, migrate=False)
            try:
                return await pg_size(db)
            finally:
                await db.close()

        size = asyncio.run(server_size())
    last_imports = {s.id: (status.last_imports.get(s.id) if status else None) for s in settings.schools}
    data: dict[str, Any] = {
        "database": database,
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
    print(f"База: {database} ({size / 1024 / 1024:.1f} МБ)")
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
    p.add_argument("file", type=Path, metavar="ФАЙЛ", help="куда сохранить копию")
    p.add_argument("--force", action="store_true", help="перезаписать существующий файл")
    p.set_defaults(func=_backup)

    p = sub.add_parser("restore", parents=[common], help="восстановить базу из резервной копии",
                       description="Проверяет копию и показывает, что в ней и что сейчас в базе; с --yes "
                                   "заменяет базу копией, сохранив прежнюю рядом. Сначала остановите бота.")
    p.add_argument("file", type=Path, metavar="ФАЙЛ", help="резервная копия базы")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--yes", action="store_true", help="заменить текущую базу без вопросов")
    mode.add_argument("--dry-run", action="store_true", help="только показать, что изменится")
    p.add_argument("--json", action="store_true", help="вывести сведения в JSON")
    p.set_defaults(func=_restore)

    p = sub.add_parser("forget", parents=[common], help="удалить данные сотрудника",
                       description="Удаляет персональные данные сотрудника; обезличенные показатели остаются в итогах.")
    _person_flags(p)
    p.add_argument("--json", action="store_true", help="вывести итог в JSON")
    p.set_defaults(func=_forget)

    p = sub.add_parser("export-person", parents=[common], help="всё, что бот хранит о сотруднике (JSON)")
    _person_flags(p)
    p.set_defaults(func=_export)

    p = sub.add_parser("status", parents=[common], help="состояние бота: события, очередь, загрузки, расписание")
    p.add_argument("--json", action="store_true", help="вывести в JSON")
    p.set_defaults(func=_status, reads_only=True)
