"""`sferum-bot report migration [--org ID] [--json]`: how far each school moved its chats."""

from __future__ import annotations

import argparse
import asyncio

from bot.commands._common import EXIT_CONFIG, fail, open_db, print_json, settings_from
from bot.config import ConfigError, Settings
from bot.services.chats import MigrationReport


def render(report: MigrationReport) -> str:
    """A readable Russian table of one school's migration."""
    lines = [f"Перенос чатов: {report.org_name} ({report.org})",
             f"Ожидается чатов: {report.expected}, подтверждено: {report.confirmed}, проверено ботом: {report.checked}"]
    if not report.people:
        lines.append("Ожидаемых чатов нет: загрузите список сотрудников с классным руководством.")
        return "\n".join(lines)
    width = max(len(p.name) for p in report.people)
    lines.append("")
    lines.append(f"{'Сотрудник'.ljust(width)}  Подтв. / ожид.  Не подтверждены")
    for person in report.people:
        counts = f"{person.confirmed} / {person.expected}".ljust(14)
        lines.append(f"{person.name.ljust(width)}  {counts}  {', '.join(person.missing) or '—'}")
    if report.classes:
        lines.append("")
        lines.append("По классам: " + "; ".join(f"{c.class_name} — {c.confirmed} из {c.expected}"
                                              for c in report.classes))
    return "\n".join(lines)


def _run_migration(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    single = bool(args.org) or len(settings.schools) == 1
    try:
        orgs = [settings.school(args.org).id] if single else [s.id for s in settings.schools]
    except ConfigError as exc:
        fail(str(exc), EXIT_CONFIG)
    reports = asyncio.run(_reports(settings, orgs, as_json=args.json))
    if args.json:
        # One school: one object; several without --org: a list in config order.
        print_json(reports[0].as_json() if single else [r.as_json() for r in reports])
    else:
        print("\n\n".join(render(r) for r in reports))
    return 0


async def _reports(settings: Settings, orgs: list[str], *, as_json: bool) -> list[MigrationReport]:
    from bot.composition import Channels, build_services

    db = await open_db(settings, empty_if_new=as_json)
    try:
        service = build_services(settings, db, Channels.offline(settings)).chats
        return [await service.report(org) for org in orgs]
    finally:
        await db.close()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser],
             common: argparse.ArgumentParser) -> None:
    """Add `report` with its `migration` report."""
    report = sub.add_parser("report", help="отчёты для заместителя и директора",
                            description="Отчёты по школе. Сейчас есть: migration — перенос чатов.")
    kinds = report.add_subparsers(dest="report", metavar="ОТЧЁТ", help="какой отчёт")
    migration = kinds.add_parser(
        "migration", parents=[common], help="перенос чатов из иностранных мессенджеров",
        description="Сколько чатов ожидается, сколько подтверждено и проверено ботом; по сотрудникам.")
    migration.add_argument("--org", metavar="ID", help="id школы из настроек (без него — все школы)")
    migration.add_argument("--json", action="store_true", help="вывести в JSON")
    migration.set_defaults(func=_run_migration, reads_only=True)
