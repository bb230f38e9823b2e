"""Command-line entry: `sferum-bot emulator ...` and `python -m vk_emulator ...` share these."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from typing import Any

from vk_emulator.core import ControlError
from vk_emulator.schema import SchemaNotFoundError
from vk_emulator.server import Emulator


def _rps(value: str) -> int | None:
    if value.lower() in ("none", "null", "off", "0"):
        return None
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError("rps must be positive")
    return number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the emulator's options to a parser."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8081, help="port; 0 picks a free one")
    parser.add_argument("--token", default="t", help="the community token the emulator accepts")
    parser.add_argument("--group-id", type=int, default=1, help="the community's id")
    parser.add_argument(
        "--seed", default=None, help="pre-create a named set of people (e.g. 'demo')"
    )
    parser.add_argument(
        "--rps", type=_rps, default=20, help="requests per second per token; 'off' disables"
    )
    parser.add_argument(
        "--no-strict",
        dest="strict",
        action="store_false",
        help="accept parameters that are not in VK's schema",
    )
    parser.add_argument(
        "--no-validate",
        dest="validate",
        action="store_false",
        default=None,
        help="do not check requests, responses and events against VK's schema",
    )
    parser.add_argument("--random-seed", type=int, default=None, help="seed for fault injection")
    parser.add_argument("--schema-dir", default=None, help="папка со схемой VK API (по умолчанию — копия в пакете)")


async def _serve(args: argparse.Namespace, seed_users: list[dict[str, Any]] | None) -> None:
    emulator = Emulator(
        token=args.token,
        group_id=args.group_id,
        strict=args.strict,
        validate=args.validate,
        rps=args.rps,
        seed=args.random_seed,
        schema_dir=args.schema_dir,
    )
    if seed_users:
        emulator.seed_users(seed_users)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await emulator.start(host=args.host, port=args.port)
    print(f"emulator listening on http://{args.host}:{emulator.port}", flush=True)
    try:
        await stop.wait()
    finally:
        await emulator.stop()


def run(args: argparse.Namespace, seed_users: list[dict[str, Any]] | None = None) -> int:
    """Run the emulator until SIGINT/SIGTERM; return the exit code."""
    if getattr(args, "seed", None) and seed_users is None:
        print(
            f"error: --seed {args.seed!r} is not available here: the caller must resolve it "
            "to a list of people (use `sferum-bot emulator --seed demo`)",
            file=sys.stderr,
            flush=True,
        )
        return 2
    logging.basicConfig(level=logging.WARNING)
    try:
        asyncio.run(_serve(args, seed_users))
    except (OSError, SchemaNotFoundError, ControlError) as error:
        print(f"error: cannot start the emulator: {error}", file=sys.stderr, flush=True)
        return 1
    return 0
