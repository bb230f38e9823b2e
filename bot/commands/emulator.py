"""`sferum-bot emulator`: the local VK API emulator for tests, the demo and trying the bot."""

from __future__ import annotations

import argparse
from typing import Any

from bot.commands._common import fail


def _run(args: argparse.Namespace) -> int:
    from vk_emulator import cli as emulator_cli

    seed: list[dict[str, Any]] | None = None
    if args.seed is not None:
        if args.seed != "demo":
            fail(f"неизвестный набор «{args.seed}»; есть только demo")
        from bot.demo.fixture import load_fixture

        seed = load_fixture().emulator_users()
    return emulator_cli.run(args, seed_users=seed)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser],
             common: argparse.ArgumentParser) -> None:
    """Add the `emulator` subcommand."""
    from vk_emulator import cli as emulator_cli

    parser = sub.add_parser(
        "emulator",
        parents=[common],
        help="локальный эмулятор API ВКонтакте",
        description="Запускает эмулятор API ВКонтакте на 127.0.0.1 (для тестов, демо и проб).",
    )
    emulator_cli.add_arguments(parser)
    parser.set_defaults(func=_run)
