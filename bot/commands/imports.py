"""`sferum-bot import-roster` and `sferum-bot import-stats`: load the staff list and the weekly table."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from bot.commands._common import EXIT_FAILURE, open_db, print_json, settings_from
from bot.config import Settings
from bot.domain.models import Period
from bot.imports.reader import ImportRefused, check_size
from bot.imports.report import RosterResult, StatsResult, render_roster, render_stats
from bot.imports.worker import shutdown_worker
from bot.services.imports import (
    Mode,
    Preview,
    ScreenNameResolver,
    limits_of,
    vk_screen_name_resolver,
)


def _refused(args: argparse.Namespace, reason: str) -> int:
    """A refused file: {"error"} on stdout with --json, the reason on stderr, exit 1."""
    if args.json:
        print_json({"error": reason})
    print(f"Ошибка: {reason}", file=sys.stderr)
    return EXIT_FAILURE


def _read(args: argparse.Namespace, settings: Settings) -> bytes:
    path: Path = args.file
    try:
        size = path.stat().st_size
    except OSError:
        raise ImportRefused(f"файл {path} не найден") from None
    if not path.is_file():
        raise ImportRefused(f"{path} — не файл")
    check_size(size, limits_of(settings))
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ImportRefused(f"файл {path} не читается: {exc.strerror}") from None


def _resolver(settings: Settings) -> ScreenNameResolver | None:
    """utils.resolveScreenName through the VK API when a token is configured."""
    settings = settings.first_bots()  # the first community's token and address with several
    token = settings.token
    if not token:
        return None
    import aiohttp

    async def request(method: str, params: dict[str, Any]) -> dict[str, Any]:
        data = {**params, "access_token": token, "v": settings.vk.api_version}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session, \
                session.post(settings.vk.api_url + method, data=data) as resp:
            body = await resp.json(content_type=None)
        if not isinstance(body, dict) or "error" in body:
            raise RuntimeError(f"VK API error in {method}")
        return body

    return vk_screen_name_resolver(request)


EXIT_CONFIRM = 3  # a preview that waits for --yes: nothing changed


def _preview_text(preview: Preview) -> str:
    return "\n".join(["Предпросмотр загрузки (ничего не изменено):", *preview.lines()])


def _run(args: argparse.Namespace, kind: str) -> int:
    settings = settings_from(args)
    period: Period | None = None
    try:
        if getattr(args, "period", None):
            try:
                period = Period.parse(args.period)
            except ValueError as exc:
                raise ImportRefused(str(exc)) from None
        data = _read(args, settings)
    except ImportRefused as exc:
        return _refused(args, str(exc))
    mode = Mode.DRY_RUN if args.dry_run else Mode.APPLY if args.yes else Mode.AUTO

    async def run() -> int:
        from bot.composition import Channels, build_services

        db = await open_db(settings, create=True)
        try:
            channels = Channels.offline(settings, resolve_screen_name=_resolver(settings))
            service = build_services(settings, db, channels).imports
            outcome = await service.submit(data, args.file.name, kind=kind, mode=mode, period=period, org_id=args.org)
        except ImportRefused as exc:
            return _refused(args, str(exc))
        finally:
            await db.close()
            shutdown_worker()
        if outcome.preview is not None:
            if args.json:
                print_json(outcome.preview.as_json())
            else:
                print(_preview_text(outcome.preview))
            if mode is Mode.DRY_RUN:
                return 0
            print("Загрузка отмечает сотрудников как уволившихся или заменяет загруженную неделю: "
                  "проверьте предпросмотр и запустите команду снова с --yes.", file=sys.stderr)
            return EXIT_CONFIRM
        result = outcome.result
        if args.json:
            print_json(result.as_json() if result else {})
        elif isinstance(result, RosterResult):
            print(render_roster(result, limit=1000))
        elif isinstance(result, StatsResult):
            print(render_stats(result, limit=1000))
        return 0

    return asyncio.run(run())


def _run_roster(args: argparse.Namespace) -> int:
    return _run(args, "roster")


def _run_stats(args: argparse.Namespace) -> int:
    return _run(args, "stats")


def _confirm_flags(parser: argparse.ArgumentParser) -> None:
    flags = parser.add_mutually_exclusive_group()
    flags.add_argument("--dry-run", action="store_true",
                       help="только показать, что изменится (ничего не менять)")
    flags.add_argument("--yes", action="store_true",
                       help="применить без вопроса, даже если кто-то будет отмечен как уволившийся "
                            "или загруженная неделя будет заменена")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser],
             common: argparse.ArgumentParser) -> None:
    """Add the `import-roster` and `import-stats` subcommands."""
    roster = sub.add_parser(
        "import-roster", parents=[common], help="загрузить список сотрудников",
        description="Загружает список сотрудников (xlsx, xls, ods, csv): обновляет найденных, добавляет "
                    "новых, отсутствующих в файле отмечает как уволившихся. Если кто-то будет отмечен как "
                    "уволившийся, сначала показывает, что изменится (код выхода 3): примените с --yes.",
    )
    roster.add_argument("file", type=Path, metavar="ФАЙЛ", help="файл со списком сотрудников")
    roster.add_argument("--org", metavar="ID", help="id школы из настроек (если школ несколько)")
    roster.add_argument("--json", action="store_true", help="вывести итог в JSON")
    _confirm_flags(roster)
    roster.set_defaults(func=_run_roster)

    stats = sub.add_parser(
        "import-stats", parents=[common], help="загрузить еженедельную статистику",
        description="Загружает таблицу мониторинга (по сотрудникам или по школам): xlsx, xls, ods, csv. "
                    "Неделю, которая уже загружена, заменяет только с --yes (иначе показывает, что "
                    "изменится, и завершается с кодом 3).",
    )
    stats.add_argument("file", type=Path, metavar="ФАЙЛ", help="файл со статистикой")
    stats.add_argument("--period", metavar="НАЧАЛО..КОНЕЦ",
                       help="период, например 2026-11-14..2026-11-20 (иначе из файла или последний завершившийся)")
    stats.add_argument("--org", metavar="ID", help="id школы из настроек (если школ несколько)")
    stats.add_argument("--json", action="store_true", help="вывести итог в JSON")
    _confirm_flags(stats)
    stats.set_defaults(func=_run_stats)
