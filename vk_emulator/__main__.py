"""`python -m vk_emulator --port 8081 --token t --group-id 1`."""

from __future__ import annotations

import argparse
import sys

from vk_emulator.cli import add_arguments, run


def main(argv: list[str] | None = None) -> int:
    """Parse the options and run the emulator until a signal."""
    from bot.argparse_ru import use_russian

    use_russian()
    parser = argparse.ArgumentParser(
        prog="python -m vk_emulator", description="Локальный эмулятор API ВКонтакте"
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
