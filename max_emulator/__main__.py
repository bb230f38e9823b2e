"""`python -m max_emulator --port 8082 --token t --bot-id 1000`."""

from __future__ import annotations

import argparse
import sys

from max_emulator.cli import add_arguments, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m max_emulator", description="Local MAX Bot API emulator"
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
