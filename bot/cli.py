"""The `sferum-bot` command line: one subcommand per module in bot/commands."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import __version__

# Each module exposes `register(subparsers, common)` and sets `func(args) -> int` on its parsers.
COMMAND_MODULES = (
    "bot.commands.run",
    "bot.commands.emulator",
    "bot.commands.demo",
    "bot.commands.doctor",
    "bot.commands.faq",
    "bot.commands.imports",
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
        metavar="PATH",
        help="файл настроек (по умолчанию ./config.toml, а без него — значения из config.example.toml)",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every available subcommand."""
    parser = argparse.ArgumentParser(
        prog="sferum-bot",
        description="Бот сообщества ВКонтакте для школы: Сферум, напоминания, сводки.",
    )
    parser.add_argument("--version", action="version", version=f"sferum-bot {__version__}")
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
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args))
    except SystemExit as exc:
        # Commands stop with `fail()`; return its code so in-process callers get an int.
        return exc.code if isinstance(exc.code, int) else 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
