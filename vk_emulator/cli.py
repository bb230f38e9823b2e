"""Command-line entry: `sferum-bot emulator ...` and `python -m vk_emulator ...` share these."""

from __future__ import annotations

import argparse
from typing import Any

from emulator_common import cli
from vk_emulator.core import ControlError
from vk_emulator.schema import SchemaNotFoundError
from vk_emulator.server import Emulator


def _rps(value: str) -> int | None:
    if value.lower() in ("none", "null", "off", "0"):
        return None
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError("число запросов в секунду не может быть отрицательным")
    return number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the emulator's options to a parser."""
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        metavar="АДРЕС",
        help="адрес, на котором слушать (по умолчанию 127.0.0.1)",
    )
    parser.add_argument(
        "--port", type=int, default=8081, metavar="ПОРТ", help="порт; 0 — выбрать свободный"
    )
    parser.add_argument(
        "--token",
        default="t",
        metavar="КЛЮЧ",
        help="ключ доступа сообщества, который принимает эмулятор",
    )
    parser.add_argument("--group-id", type=int, default=1, metavar="ID", help="id сообщества")
    parser.add_argument(
        "--seed",
        default=None,
        metavar="НАБОР",
        help="заранее создать готовый набор людей (например, demo)",
    )
    parser.add_argument(
        "--rps",
        type=_rps,
        default=20,
        metavar="ЧИСЛО",
        help="лимит запросов в секунду на ключ; off — без лимита",
    )
    parser.add_argument(
        "--no-strict",
        dest="strict",
        action="store_false",
        help="принимать параметры, которых нет в схеме VK",
    )
    parser.add_argument(
        "--no-validate",
        dest="validate",
        action="store_false",
        default=None,
        help="не проверять запросы, ответы и события по схеме VK",
    )
    parser.add_argument(
        "--random-seed", type=int, default=None, metavar="ЧИСЛО", help="зерно случайных сбоев"
    )
    parser.add_argument(
        "--schema-dir",
        default=None,
        metavar="ПАПКА",
        help="папка со схемой VK API (по умолчанию — копия в пакете)",
    )


def run(args: argparse.Namespace, seed_users: list[dict[str, Any]] | None = None) -> int:
    """Run the emulator until SIGINT/SIGTERM; return the exit code."""
    return cli.run(
        lambda: Emulator(
            token=args.token,
            group_id=args.group_id,
            strict=args.strict,
            validate=args.validate,
            rps=args.rps,
            seed=args.random_seed,
            schema_dir=args.schema_dir,
        ),
        args.host,
        args.port,
        seed=getattr(args, "seed", None),
        seed_users=seed_users,
        seed_command="sferum-bot emulator --seed demo",
        errors=(SchemaNotFoundError, ControlError),
        failure="не удалось запустить эмулятор",
    )
