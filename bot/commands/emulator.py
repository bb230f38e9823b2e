"""`sferum-bot emulator`: the local VK or MAX API emulator for tests, the demo and trying the bot."""

from __future__ import annotations

import argparse
from typing import Any

from bot.commands._common import fail


def _demo_people() -> list[dict[str, Any]]:
    from bot.demo.fixture import load_fixture

    return load_fixture().emulator_users()


def _run(args: argparse.Namespace) -> int:
    seed: list[dict[str, Any]] | None = None
    if args.seed is not None:
        if args.seed != "demo":
            fail(f"неизвестный набор «{args.seed}»; есть только demo")
        seed = _demo_people()
    if args.messenger == "max":
        from bot.demo.fixture import load_fixture
        from max_emulator import cli as max_cli

        return max_cli.run(args, seed_users=None if seed is None else load_fixture().max_emulator_users())
    from vk_emulator import cli as emulator_cli

    return emulator_cli.run(args, seed_users=seed)


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the `emulator` subcommand."""
    from vk_emulator import cli as emulator_cli

    parser = sub.add_parser(
        "emulator",
        parents=[common],
        help="локальный эмулятор API ВКонтакте или MAX",
        description="Запускает эмулятор API ВКонтакте (по умолчанию) или MAX на 127.0.0.1 "
        "(для тестов, демо и проб).",
    )
    parser.add_argument(
        "--messenger",
        choices=("vk", "max"),
        default="vk",
        help="какой мессенджер изображать (по умолчанию vk)",
    )
    parser.add_argument(
        "--bot-id", type=int, default=1000, metavar="ID", help="id бота в MAX (только для --messenger max)"
    )
    emulator_cli.add_arguments(parser)
    parser.set_defaults(func=_run)
