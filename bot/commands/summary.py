"""`sferum-bot summary`: the head's summary in the terminal, as JSON, a spreadsheet or a chart."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.commands._common import EXIT_FAILURE, open_db, print_json, settings_from
from bot.config import ConfigError, Settings
from bot.domain.models import Period


def _error(message: str) -> int:
    print(f"Ошибка: {message}", file=sys.stderr)
    return EXIT_FAILURE


def _write(path: Path, data: bytes) -> int:
    try:
        path.write_bytes(data)
    except OSError as exc:
        return _error(f"не получилось записать {path}: {exc.strerror or exc}")
    print(f"Записано: {path}", file=sys.stderr)
    return 0


async def _run(args: argparse.Namespace, settings: Settings, period: Period | None) -> int:
    from bot.composition import Channels, build_services
    from bot.summary.render import render_district, render_region, render_school

    db = await open_db(settings, empty_if_new=args.json)
    try:
        service = build_services(settings, db, Channels.offline(settings)).summary
        if args.region or args.district is not None:
            try:
                region = await service.region(args.district, period=period)
            except ValueError as exc:
                return _error(str(exc))
            if args.json:
                print_json(region.as_json())
            elif args.xlsx:
                return _write(args.xlsx, await service.spreadsheet(region))
            elif args.png:
                return _error("для региона и района графика нет: используйте --xlsx или --json")
            else:
                print(render_region(region))
            return 0
        one = args.org is not None or len(settings.schools) == 1
        if one:
            summary = await service.school(settings.school(args.org).id, period=period, names=True)
            if args.json:
                print_json(summary.as_json())
            elif args.xlsx:
                return _write(args.xlsx, await service.spreadsheet(summary))
            elif args.png:
                return _write(args.png, await service.chart(summary))
            else:
                print(render_school(summary, names=True))
            return 0
        if args.json:
            print_json([s.as_json() for s in await service.schools(period=period)])
            return 0
        district = await service.district(period=period)
        if args.xlsx:
            return _write(args.xlsx, await service.spreadsheet(district))
        if args.png:
            return _write(args.png, await service.chart(district.total, f"{district.name}: показатели по неделям"))
        print(render_district(district))
        return 0
    finally:
        await db.close()


def _summary(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    period: Period | None = None
    if args.period:
        try:
            period = Period.parse(args.period)
        except ValueError as exc:
            return _error(str(exc))
    if args.org is not None:
        try:
            settings.school(args.org)
        except ConfigError as exc:
            return _error(str(exc))
    for target in (args.xlsx, args.png):
        if target is not None and not target.parent.exists():
            return _error(f"папки {target.parent} нет")
    return asyncio.run(_run(args, settings, period))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser],
             common: argparse.ArgumentParser) -> None:
    """Add the `summary` subcommand."""
    parser = sub.add_parser(
        "summary", parents=[common], help="сводка показателей для директора и района",
        description="Показатели из приказов за неделю: число, доля и изменение, статус профиля, регистрация, "
                    "перенос чатов. Для одной школы — её сводка; для нескольких без --org — сводка по району.",
    )
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--org", metavar="ID", help="id школы из настроек")
    scope.add_argument("--region", action="store_true",
                       help="рейтинг всех школ региона: какие просели за неделю, кто внизу и вверху")
    scope.add_argument("--district", metavar="РАЙОН", help="то же для школ одного района (поле district школы)")
    parser.add_argument("--period", metavar="НАЧАЛО..КОНЕЦ",
                        help="период, например 2026-11-14..2026-11-20 (по умолчанию последний загруженный)")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="вывести в JSON (для нескольких школ — список)")
    out.add_argument("--xlsx", type=Path, metavar="ФАЙЛ", help="записать таблицу Excel")
    out.add_argument("--png", type=Path, metavar="ФАЙЛ", help="записать график по неделям")
    parser.set_defaults(func=_summary, reads_only=True)
