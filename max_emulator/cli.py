"""Command-line entry: `sferum-bot emulator --messenger max ...` and `python -m max_emulator ...`."""

from __future__ import annotations

import argparse
from typing import Any

from emulator_common import cli
from emulator_common.control import ControlError
from max_emulator.server import MaxEmulator


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The standalone MAX emulator's options (`sferum-bot emulator` shares host, port, token)."""
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        metavar="АДРЕС",
        help="адрес, на котором слушать (по умолчанию 127.0.0.1)",
    )
    parser.add_argument(
        "--port", type=int, default=8082, metavar="ПОРТ", help="порт; 0 — выбрать свободный"
    )
    parser.add_argument(
        "--token", default="t", metavar="КЛЮЧ", help="ключ бота, который принимает эмулятор"
    )
    parser.add_argument("--bot-id", type=int, default=1000, metavar="ID", help="id бота в MAX")
    parser.add_argument(
        "--seed", default=None, metavar="НАБОР", help="заранее создать готовый набор людей"
    )
    parser.add_argument(
        "--random-seed", type=int, default=None, metavar="ЧИСЛО", help="зерно случайных сбоев"
    )
    parser.add_argument(
        "--no-validate",
        dest="validate",
        action="store_false",
        default=None,
        help="не сверять ответы и события со схемой MAX",
    )


def run(args: argparse.Namespace, seed_users: list[dict[str, Any]] | None = None) -> int:
    """Run the emulator until SIGINT/SIGTERM; return the exit code."""
    return cli.run(
        lambda: MaxEmulator(
            token=args.token,
            bot_id=args.bot_id,
            validate=getattr(args, "validate", None) is not False,
            seed=getattr(args, "random_seed", None),
        ),
        args.host,
        args.port,
        seed=getattr(args, "seed", None),
        seed_users=seed_users,
        seed_command="sferum-bot emulator --messenger max --seed demo",
        errors=(ControlError,),
        failure="не удалось запустить эмулятор MAX",
    )
