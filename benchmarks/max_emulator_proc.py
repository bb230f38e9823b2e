"""The MAX emulator as a process of its own, with people who pressed Start before it ran.

Usage: python benchmarks/max_emulator_proc.py --users FILE [the options of `python -m max_emulator`]

FILE is a JSON list of {"user_id", "first_name"}: each is seeded as having started the bot (the control
API can only add people who did not, and pressing Start for thousands would make the bot greet each).
Prints the emulator's ready line, like `python -m max_emulator`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from max_emulator.cli import add_arguments, run  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--users", type=Path, required=True, help="JSON list of the people who started the bot")
    args = parser.parse_args()
    users = [{**user, "started": True} for user in json.loads(args.users.read_text("utf-8"))]
    return run(args, seed_users=users)


if __name__ == "__main__":
    sys.exit(main())
