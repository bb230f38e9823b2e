"""`sferum-bot import-schools`: the region's schools from a table, previewed first like the roster."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.commands._common import open_db, print_json, settings_from
from bot.commands.imports import EXIT_CONFIRM, _confirm_flags, _read, _refused
from bot.domain.russian import count
from bot.imports.reader import ImportRefused
from bot.imports.school_schedule import shown
from bot.imports.schools import BotChange, ScheduleChange
from bot.services.imports import Preview, limits_of

NAMES_SHOWN = 10


def _run(args: argparse.Namespace) -> int:
    from bot.config import load_settings
    from bot.imports.schools import (
        KnownBots,
        bot_changes,
        compare,
        read_school_table,
        schedule_changes,
    )
    from storage.schools import SchoolsRepo

    settings = settings_from(args)
    bots = KnownBots(vk=tuple(c.name for c in settings.vk.communities), max=tuple(b.name for b in settings.max.bots))
    # The config's own schools (settings_from has the table's joined already): their quiet hours hold for
    # a table school with the same id.
    config_schools = load_settings(getattr(args, "config", None), getattr(args, "env_file", None)).schools
    config_ids = {s.id for s in config_schools}
    quiet = {s.id: s.schedule.quiet_hours for s in config_schools}
    try:
        table = read_school_table(_read(args, settings), limits_of(settings), args.file.name, bots, quiet)
    except ImportRefused as exc:
        return _refused(args, str(exc))

    async def run() -> int:
        db = await open_db(settings, create=True)
        try:
            repo = SchoolsRepo(db)
            stored = await repo.all()
            preview, changes = compare(stored, table), bot_changes(stored, table)
            times = schedule_changes(stored, table)
            if args.dry_run or (preview.needs_confirmation and not args.yes):
                if args.json:
                    print_json({**preview.as_json(), "bot_changes": [c.as_json() for c in changes],
                                "schedule_changes": [c.as_json() for c in times]})
                else:
                    print("\n".join(["Предпросмотр загрузки (ничего не изменено):", *_lines(preview),
                                     *_bot_lines(changes), *_schedule_lines(times)]))
                if args.dry_run:
                    return 0
                print("Школ из прошлой таблицы нет в этом файле — они будут убраны: проверьте предпросмотр "
                      "и запустите команду снова с --yes.", file=sys.stderr)
                return EXIT_CONFIRM
            await repo.replace(table.schools)
        finally:
            await db.close()
        overrides = sum(1 for s in table.schools if s["id"] in config_ids)
        if args.json:
            print_json({"added": preview.added, "changed": preview.changed, "left": preview.left,
                        "schools": len(table.schools), "overrides": overrides,
                        "bot_changes": [c.as_json() for c in changes],
                        "schedule_changes": [c.as_json() for c in times]})
        else:
            lines = [f"Загружено из таблицы: {count(len(table.schools), 'школа')} "
                     f"(новых {preview.added}, изменённых {preview.changed}, убрано {preview.left})."]
            if overrides:
                lines.append(f"Заменяют школы из настроек с тем же id: {overrides}.")
            print("\n".join([*lines, *_bot_lines(changes), *_schedule_lines(times)]))
        return 0

    return asyncio.run(run())


def _lines(preview: Preview) -> list[str]:
    """The schools' preview in Russian (the roster's speaks of people)."""
    lines = [f"Будет добавлено школ: {preview.added}, изменено: {preview.changed}."]
    if preview.left:
        names = list(preview.left_names[:NAMES_SHOWN])
        more = preview.left - len(names)
        tail = f" и ещё {more}" if more > 0 else ""
        lines.append(f"Будут убраны: {count(preview.left, 'школа')} — {', '.join(names)}{tail}.")
    return lines


# How a school that names no bot is written to.
FIRST_BOT = "первый из настроек"
BOT_WHAT = {"vk": "сообщество ВКонтакте", "max": "бот MAX"}


def _bot_lines(changes: list[BotChange]) -> list[str]:
    """A line per school whose VK community or MAX bot changes (the first NAMES_SHOWN, then how many more)."""
    lines = []
    for change in changes[:NAMES_SHOWN]:
        now = f"«{change.bot}»" if change.bot else FIRST_BOT
        if change.new_school:
            lines.append(f"«{change.name}» (новая школа): {BOT_WHAT[change.messenger]} — {now}.")
        else:
            was = f"«{change.was}»" if change.was else FIRST_BOT
            lines.append(f"«{change.name}»: {BOT_WHAT[change.messenger]} — {now} (было: {was}).")
    if len(changes) > NAMES_SHOWN:
        lines.append(f"И ещё {count(len(changes) - NAMES_SHOWN, 'такое изменение')}.")
    return lines


def _schedule_lines(changes: list[ScheduleChange]) -> list[str]:
    """A line per school whose reminder time changes (the first NAMES_SHOWN, then how many more)."""
    lines = []
    for change in changes[:NAMES_SHOWN]:
        if change.new_school:
            lines.append(f"«{change.name}» (новая школа): напоминания — {shown(change.reminders)}.")
        else:
            lines.append(f"«{change.name}»: напоминания — {shown(change.reminders)} (было: {shown(change.was)}).")
    if len(changes) > NAMES_SHOWN:
        lines.append(f"И ещё {count(len(changes) - NAMES_SHOWN, 'изменение')} времени напоминаний.")
    return lines


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser],
             common: argparse.ArgumentParser) -> None:
    """Add the `import-schools` subcommand."""
    parser = sub.add_parser(
        "import-schools", parents=[common], help="загрузить список школ региона",
        description="Загружает таблицу школ (xlsx, xls, ods, csv): наименование, ИНН, район, часовой пояс, id "
                    "директора и заместителей во ВКонтакте и в MAX, id школы (по умолчанию inn-<ИНН>), сообщество ВК "
                    "и бот MAX школы (имена из [[vk.communities]] и [[max.bots]]; по умолчанию первые), день и "
                    "время напоминаний («вт 09:00»; по умолчанию — как в настройках, иначе пн 10:00). "
                    "Таблица заменяет прошлую; если какие-то школы будут убраны, сначала показывает, что "
                    "изменится (код выхода 3): примените с --yes. Школа из таблицы заменяет школу из "
                    "настроек с тем же id.",
    )
    parser.add_argument("file", type=Path, metavar="ФАЙЛ", help="файл со списком школ")
    parser.add_argument("--json", action="store_true", help="вывести итог в JSON")
    _confirm_flags(parser)
    parser.set_defaults(func=_run)
