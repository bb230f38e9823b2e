"""Helpers shared by subcommands: loading settings, errors, JSON output."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, NoReturn

from bot.config import ConfigError, Settings, load_settings

EXIT_CONFIG = 2
EXIT_FAILURE = 1


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    """Print a Russian error to stderr and exit with `code`."""
    print(f"Ошибка: {message}", file=sys.stderr)
    raise SystemExit(code)


def settings_from(args: argparse.Namespace) -> Settings:
    """The settings named by --config and --env-file; a configuration error exits with code 2."""
    try:
        return load_settings(getattr(args, "config", None), getattr(args, "env_file", None))
    except ConfigError as exc:
        fail(str(exc), EXIT_CONFIG)


def print_json(value: Any) -> None:
    """Machine output: UTF-8 JSON on stdout."""
    print(json.dumps(value, ensure_ascii=False))
