"""`sferum-bot demo`: the emulator, a demo school and the bot in one process."""

from __future__ import annotations

import argparse
import asyncio
import sys


def _run(args: argparse.Namespace) -> int:
    if args.interactive:
        from bot.demo.interactive import run_interactive

        return asyncio.run(run_interactive(sys.stdin, sys.stdout))
    from bot.demo.runner import MESSENGERS, run_demo

    messengers = MESSENGERS if args.messenger is None else (args.messenger,)
    return asyncio.run(run_demo(sys.stdout, messengers=messengers))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser],
             common: argparse.ArgumentParser) -> None:
    """Add the `demo` subcommand."""
    parser = sub.add_parser(
        "demo", parents=[common], help="демонстрация: эмулятор, демо-школа и бот",
        description="Запускает эмулятор ВКонтакте и эмулятор MAX, демо-школу и бота и проигрывает в каждом "
                    "мессенджере разговор со всеми возможностями бота. Сеть и настройка не нужны.",
    )
    parser.add_argument("--messenger", choices=["vk", "max"], default=None,
                        help="проиграть только в одном мессенджере: vk (ВКонтакте) или max (MAX); "
                             "по умолчанию — в обоих")
    parser.add_argument("--interactive", action="store_true",
                        help="самому переписываться с ботом от имени любого из демо-сотрудников")
    parser.set_defaults(func=_run)
