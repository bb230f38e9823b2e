"""`sferum-bot remind`: what the next reminder run would send (--dry-run), or run it now."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.commands._common import fail, open_db, print_json, settings_from
from bot.config import ConfigError, SchoolConfig, Settings
from bot.domain.quiet import first_loud_minute, is_quiet
from bot.ports import Community, SystemClock
from bot.services.reminders import Planned, RunReport, render_report


def _schools(settings: Settings, org: str | None) -> list[SchoolConfig]:
    if org is None:
        return list(settings.schools)
    try:
        return [settings.school(org)]
    except ConfigError as exc:
        fail(str(exc), 2)


async def _plan(settings: Settings, schools: list[SchoolConfig]) -> list[Planned] | None:
    """What the next run would send; None when no database was ever created (nobody to remind)."""
    from bot.composition import Channels, build_services
    from storage.db import StorageError

    try:
        db = await open_db(settings)
    except StorageError as exc:
        if exc.kind != "not_created":
            raise
        return None
    try:
        service = build_services(settings, db, Channels.offline(settings)).reminders
        found: list[Planned] = []
        for school in schools:
            found.extend(await service.plan(school.id))
        return found
    finally:
        await db.close()


def _print_plan(planned: list[Planned]) -> None:
    if not planned:
        print("Напоминать некому: нет загруженной таблицы или у всех задачи выполнены.")
        return
    for item in planned:
        to = item.to
        if to is None:
            target = "не в ВКонтакте и не в MAX — только в отчёт"
        else:
            target = f"id{to[1]}" if to[0].value == "vk" else f"MAX {to[1]}"
        print(f"— {item.name} ({item.org_id}, {target}): {', '.join(item.reasons)}")
        print("  " + item.text.replace("\n", "\n  "))
    print(f"Всего: {len(planned)}.")


async def _run(settings: Settings, schools: list[SchoolConfig]) -> list[RunReport]:
    from bot.app import build_max_sending, further_max_sending
    from bot.composition import Channels, build_services
    from bot.config_bots import known_as
    from bot.messaging.delivery import RoutedOutbound
    from bot.messaging.events import Messenger
    from bot.vk.api import make_api
    from bot.vk.communities import further_vk_sender
    from bot.vk.outbound import VkOutbound
    from storage.outbox import OutboxRepo

    db = await open_db(settings)
    first = settings.first_bots()
    api = make_api(first)
    vk = VkOutbound(api, OutboxRepo(db), first)
    vk.serve_as(settings.bot_of("vk", None), first=True)
    # Each reminder goes to the messenger the person uses (the school's preference first), through the
    # community or bot the school names.
    outbound = RoutedOutbound(vk, bot_of=settings.bot_of)
    first_max = settings.bot_of("max", None)
    max_sending = build_max_sending(first, db, bots=known_as(first_max, first_max)) if first.max_token else None
    if max_sending is not None:
        max_sending.outbound.serve_as(settings.bot_of("max", None), first=True)
        outbound.attach(Messenger.MAX, max_sending.outbound)
    apis = [api, *(further_vk_sender(settings, c, db, outbound)[0] for c in settings.vk.running()[1:])]
    clients = [s.client for s in [max_sending] if s is not None]
    clients += [further_max_sending(settings, b, db, outbound).client for b in settings.max.running()[1:]]
    try:
        channels = Channels(outbound=outbound, community=Community(first.vk.group_id))
        service = build_services(settings, db, channels).reminders
        return [await service.run(school.id) for school in schools]
    finally:
        for each in apis:
            await each.http_client.close()
        for client in clients:
            await client.close()
        await db.close()


def _remind(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    schools = _schools(settings, args.org)
    if args.dry_run:
        planned = asyncio.run(_plan(settings, schools))
        if planned is None:
            from storage.db import NOT_CREATED

            print(NOT_CREATED, file=sys.stderr if args.json else sys.stdout)
            if args.json:
                print_json([])
            return 0
        if args.json:
            print_json([p.as_json() for p in planned])
        else:
            _print_plan(planned)
        return 0
    if not settings.token and not settings.max_token:
        fail("для отправки нужен ключ доступа: сообщества ВКонтакте (SFERUM_VK__TOKEN или vk.token) и (или) бота MAX "
             "(SFERUM_MAX__TOKEN или max.token) в настройках (посмотреть без отправки: sferum-bot remind --dry-run)")
    now = SystemClock().now()
    for school in schools:
        quiet = school.schedule.quiet_hours
        if is_quiet(now, quiet, school.tz):
            when = first_loud_minute(now, quiet, school.tz)
            fail(f"сейчас тихие часы школы {school.id}: рассылка возможна с {when:%d.%m.%Y %H:%M} "
                 "(посмотреть без отправки: sferum-bot remind --dry-run)")
    reports = asyncio.run(_run(settings, schools))
    if args.json:
        print_json([r.as_json() for r in reports])
        return 0
    for report in reports:
        if report.period is None:
            print(f"{report.org_id}: напоминать некому.")
        else:
            print(f"{report.org_id}: " + render_report(report))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser],
             common: argparse.ArgumentParser) -> None:
    """Add the `remind` subcommand."""
    p: Any = sub.add_parser(
        "remind", parents=[common], help="напомнить учителям о невыполненных задачах",
        description="Рассылает личные напоминания по последней загруженной таблице (не чаще раза в 7 дней "
                    "на человека) и присылает заместителю отчёт. С --dry-run только показывает, что будет "
                    "отправлено (без ключа доступа и без отправки).",
    )
    p.add_argument("--dry-run", action="store_true", help="показать, что уйдёт, ничего не отправляя")
    p.add_argument("--json", action="store_true",
                   help='вывести в JSON: [{"org", "vk_id", "name", "reasons", "text"}]')
    p.add_argument("--org", metavar="ID", help="только эта школа (id из настроек)")
    p.set_defaults(func=_remind)
