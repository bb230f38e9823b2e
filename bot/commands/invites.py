"""`sferum-bot invite-links`: personal MAX links (single-use, 14 days) for one person or the whole school,
written as an xlsx table and PDF cards with QR codes."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.commands._common import EXIT_FAILURE, open_db, print_json, settings_from
from bot.config import ConfigError, Settings


def _error(message: str) -> int:
    print(f"Ошибка: {message}", file=sys.stderr)
    return EXIT_FAILURE


async def _bot_name(settings: Settings, given: str | None) -> str | None:
    """--bot, else the bot's name from GET /me with the configured MAX token."""
    if given:
        return given
    if not settings.max_token:
        return None
    from bot.max.client import MaxClient
    from bot.ports import PortFailure

    first = settings.first_bots()  # the first MAX bot's name and address with several bots
    client = MaxClient(first.max_token, first.max.api_url)
    try:
        name = (await client.call("GET", "/me")).get("username")
    except PortFailure:
        return None
    finally:
        await client.close()
    return name if isinstance(name, str) and name else None


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.composition import Channels, build_services
    from bot.domain.invites import is_token
    from bot.services.identity import find_candidates
    from bot.services.invites import InviteError, sheets

    name = await _bot_name(settings, args.bot)
    if name is None:
        return _error("не удалось узнать имя бота в MAX: укажите --bot ИМЯ (как в ссылке max.ru/ИМЯ) "
                      "или задайте токен MAX в настройках")
    if not is_token(name):
        return _error(f"имя бота «{name}» не похоже на имя из ссылки max.ru/ИМЯ")
    school = settings.school(args.org)
    db = await open_db(settings)
    try:
        async def bot_name() -> str | None:
            return name

        service = build_services(settings, db, Channels.offline(settings)).invites
        service.bot_name = bot_name
        everyone = await service.school_people(school.id, unbound_only=args.person is None and not args.all)
        if args.person is not None:
            found = [c.person for c in find_candidates(args.person, everyone)]
            if len(found) != 1:
                listed = "; ".join(p.full_name for p in found)
                return _error(f"по «{args.person}» нашлось несколько человек: {listed}; напишите ФИО полностью"
                              if found else f"«{args.person}» нет в списке сотрудников школы {school.id}")
            everyone = found
        if not everyone:
            print("Все сотрудники из списка уже подключены к MAX; --all выдаст ссылки всем.", file=sys.stderr)
            if args.json:
                print_json({"org": school.id, "count": 0, "links": []})
            return 0
        try:
            links = await service.issue(everyone, school.id, None)
        except InviteError as exc:
            return _error(exc.text)
        table, cards = await sheets(links, school.name)
    finally:
        await db.close()
    out: Path = args.out
    written = []
    for suffix, data in (("xlsx", table), ("pdf", cards)):
        path = out / f"max-links-{school.id}.{suffix}"
        try:
            path.write_bytes(data)
        except OSError as exc:
            return _error(f"не получилось записать {path}: {exc.strerror or exc}")
        written.append(str(path))
    if args.json:
        print_json({"org": school.id, "count": len(links), "xlsx": written[0], "pdf": written[1],
                    "links": [{"person_id": link.person.id, "name": link.person.full_name, "url": link.url,
                               "valid_until": link.until} for link in links]})
    else:
        for link in links:
            print(f"{link.person.full_name}\t{link.url}")
        print(f"Ссылок: {len(links)}, действуют до {links[0].until}, каждая срабатывает один раз. "
              f"Записано: {written[0]}, {written[1]}", file=sys.stderr)
    return 0


def _invite_links(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    try:
        settings.school(args.org)
    except ConfigError as exc:
        return _error(str(exc))
    if not args.out.is_dir():
        return _error(f"папки {args.out} нет")
    return asyncio.run(_run(args, settings))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser],
             common: argparse.ArgumentParser) -> None:
    """Add the `invite-links` subcommand."""
    parser = sub.add_parser(
        "invite-links", parents=[common], help="персональные ссылки в MAX с QR-кодами",
        description="Выдаёт персональные ссылки https://max.ru/<бот>?start=<код>: сотрудник открывает ссылку "
                    "и нажимает «Начать» — бот сразу его узнаёт. Ссылка срабатывает один раз и действует 14 дней; "
                    "новая ссылка отменяет прежнюю. Пишет таблицу xlsx и PDF с карточками для печати.",
    )
    parser.add_argument("--org", metavar="ID", help="id школы из настроек (нужен, если школ несколько)")
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--person", metavar="ФИО", help="ссылка для одного сотрудника")
    who.add_argument("--all", action="store_true", help="всем сотрудникам, и уже подключённым к MAX")
    parser.add_argument("--bot", metavar="ИМЯ", help="имя бота в MAX (по умолчанию — из GET /me по токену)")
    parser.add_argument("--out", type=Path, default=Path("."), metavar="ПАПКА", help="куда записать файлы")
    parser.add_argument("--json", action="store_true", help="вывести ссылки в JSON")
    parser.set_defaults(func=_invite_links)
