"""`sferum-bot reminder-templates`: show, check, preview and install a school's reminder texts."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.commands._common import fail, print_json, settings_from
from bot.config import ConfigError, Settings

EXIT_PREVIEW = 3
HEADER = ("# Шаблоны напоминаний школы {org}. Измените тексты и проверьте файл:\n"
          "#   sferum-bot reminder-templates --org {org} --preview ФАЙЛ\n"
          "# затем установите: sferum-bot reminder-templates --org {org} --install ФАЙЛ --yes\n"
          "# Подстановки: {{класс}}, {{классы}}, {{чаты}}, {{срок}}, {{звонки}}, {{имя}} (где какие можно —\n"
          "# в описании встроенного файла bot/domain/reminder_templates.toml). Ключ, которого нет в файле,\n"
          "# берётся из встроенных.\n")


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        fail(f"файл {path} не найден")
    except UnicodeDecodeError:
        fail(f"файл {path} не в кодировке UTF-8: сохраните его как UTF-8")
    except OSError as exc:
        fail(f"не удалось прочитать {path}: {exc.strerror or exc}")


def _org(settings: Settings, org: str | None) -> str:
    try:
        return settings.school(org).id
    except ConfigError as exc:
        fail(str(exc), 2)


def _print_preview(samples: list[Any]) -> None:
    for sample in samples:
        print(f"— {sample.title}:")
        print("  " + sample.text.replace("\n", "\n  "))
        print()


def _templates(args: argparse.Namespace) -> int:
    from bot.composition import reminder_templates
    from bot.domain.reminder_templates import KEYS, TemplateError, dump

    settings = settings_from(args)
    org = _org(settings, args.org)
    service = reminder_templates(settings)
    source = _read(args.file) if args.file else None
    try:
        checked = service.check(source, name=args.file) if source is not None else service.for_school(org)
        if source is None and args.check:
            service.own(org)  # the school's installed file: say what is wrong with it
    except TemplateError as exc:
        fail("шаблоны с ошибками, ничего не изменено:\n" + "\n".join(exc.problems), 1)
    if args.reset:
        if not args.yes:
            print("Вернуть встроенные тексты напоминаний? Повторите с --yes.")
            return EXIT_PREVIEW
        print("Возвращены встроенные тексты." if service.reset(org) else "У школы и так встроенные тексты.")
        return 0
    if args.check:
        print(f"Шаблоны в порядке: своих текстов {len(checked.overridden)} из {len(KEYS)}, остальные — встроенные.")
        return 0
    if args.install:
        if source is None:
            fail("укажите файл: --install ФАЙЛ")
        if not args.yes:
            _print_preview(service.preview(org, checked))
            print("Так будут выглядеть напоминания. Установить: повторите с --yes.")
            return EXIT_PREVIEW
        service.install(org, source)
        print(f"Шаблоны установлены для школы {org}: {service.files.path(org)}")
        return 0
    if args.preview:
        samples = service.preview(org, checked)
        if args.json:
            print_json([{"title": s.title, "text": s.text} for s in samples])
        else:
            _print_preview(samples)
        return 0
    if args.json:
        print_json({key: checked.text(key) for key in KEYS})
    else:
        print(HEADER.format(org=org) + "\n" + dump({k: checked.text(k) for k in KEYS}).split("\n", 2)[2], end="")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser],
             common: argparse.ArgumentParser) -> None:
    """Add the `reminder-templates` subcommand."""
    p: Any = sub.add_parser(
        "reminder-templates", parents=[common], help="тексты напоминаний: показать, проверить, установить",
        description="Без ключей печатает действующие тексты напоминаний школы (файл TOML, который можно "
                    "исправить). --check и --preview проверяют файл и показывают примеры напоминаний; "
                    "--install ФАЙЛ --yes делает файл текстами школы; --reset --yes возвращает встроенные.",
    )
    p.add_argument("file", nargs="?", metavar="ФАЙЛ", help="файл шаблонов TOML (по умолчанию — действующие)")
    p.add_argument("--org", metavar="ID", help="школа (id из настроек; если школа одна, можно не указывать)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="только проверить файл (ошибки — с номерами строк)")
    mode.add_argument("--preview", action="store_true", help="показать примеры напоминаний с этими текстами")
    mode.add_argument("--install", action="store_true", help="установить файл как тексты школы")
    mode.add_argument("--reset", action="store_true", help="вернуть встроенные тексты")
    p.add_argument("--yes", action="store_true", help="не спрашивать подтверждения")
    p.add_argument("--json", action="store_true", help="вывести в JSON")
    p.set_defaults(func=_templates)
