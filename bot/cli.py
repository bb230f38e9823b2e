"""The `sferum-bot` command line: one subcommand per module in bot/commands."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from bot import __version__
from bot.argparse_ru import add_version, use_russian
from bot.logs import install_operator_handler

# The log level from the environment, as settings read it; DEBUG shows tracebacks.
DEBUG_ENV = "SFERUM_LOGGING__LEVEL"

# Each module exposes `register(subparsers, common)` and sets `func(args) -> int` on its parsers.
COMMAND_MODULES = (
    "bot.commands.run",
    "bot.commands.init",
    "bot.commands.emulator",
    "bot.commands.demo",
    "bot.commands.doctor",
    "bot.commands.faq",
    "bot.commands.imports",
    "bot.commands.schools",
    "bot.commands.invites",
    "bot.commands.remind",
    "bot.commands.reminder_templates",
    "bot.commands.report",
    "bot.commands.summary",
    "bot.commands.trust",
)


def common_parser() -> argparse.ArgumentParser:
    """Options every subcommand takes."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="ПУТЬ",
        help="файл настроек (по умолчанию ./config.toml, а без него — значения из config.example.toml)",
    )
    common.add_argument(
        "--env-file",
        type=Path,
        default=None,
        metavar="ПУТЬ",
        help="файл переменных окружения (строки ИМЯ=значение, например SFERUM_VK__TOKEN=…); "
        "по умолчанию — env_file из настроек",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every available subcommand."""
    use_russian()
    parser = argparse.ArgumentParser(
        prog="sferum-bot",
        description="Бот школы во ВКонтакте и MAX: Сферум, напоминания, сводки.",
    )
    add_version(parser, f"sferum-bot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="КОМАНДА")
    common = common_parser()
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # a feature not built yet
            raise
        module.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and of `python -m bot`."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # what `run --workers N` starts each worker with
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    _operator_logging()
    from storage.db import StorageError

    try:
        return int(func(args))
    except StorageError as exc:
        # Commands that only read (status, summary, report) say so calmly on a never-used data folder.
        if exc.kind == "not_created" and getattr(args, "reads_only", False):
            print(str(exc), file=sys.stderr if getattr(args, "json", False) else sys.stdout)
            return 0
        print(f"Ошибка: {exc}", file=sys.stderr)
        return 1
    except SystemExit as exc:
        # Commands stop with `fail()`; return its code so in-process callers get an int.
        return exc.code if isinstance(exc.code, int) else 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the last line of defence: an operator never sees a traceback
        if os.environ.get(DEBUG_ENV, "").upper() == "DEBUG":
            traceback.print_exc()
        print(f"Ошибка: непредвиденная ошибка ({type(exc).__name__}). Подробности покажет запуск "
              f"с переменной окружения {DEBUG_ENV}=DEBUG.", file=sys.stderr)
        return 1


def _operator_logging() -> None:
    """Warnings of a one-off command go to stderr in the operator's terms (`run` sets its own)."""
    root = logging.getLogger()
    if root.handlers:
        return  # configured already (tests, embedding)
    level = "DEBUG" if os.environ.get(DEBUG_ENV, "").upper() == "DEBUG" else "WARNING"
    install_operator_handler(logging.StreamHandler(sys.stderr), level)


if __name__ == "__main__":
    sys.exit(main())
