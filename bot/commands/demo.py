"""`sferum-bot demo`: the emulator, a demo school and the bot in one process."""

from __future__ import annotations

import argparse
import asyncio
import sys


def _run(args: argparse.Namespace) -> int:
    if args.interactive:
        from bot.demo.interactive import run_interactive

        return asyncio.run(run_interactive(sys.stdin, sys.stdout))
    from bot.demo.runner import run_demo

    return asyncio.run(run_demo(sys.stdout))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser],
             common: argparse.ArgumentParser) -> None:
    """Add the `demo` subcommand."""
    parser = sub.add_parser(
        "demo", parents=[common], help="демонстрация: эмулятор, демо-школа и бот",
        description="Запускает эмулятор ВКонтакте, демо-школу и бота и проигрывает разговор со всеми "
                    "возможностями бота. Сеть и настройка не нужны.",
    )
    parser.add_argument("--interactive", action="store_true",
                        help="самому переписываться с ботом от имени любого из демо-сотрудников")
    parser.set_defaults(func=_run)
