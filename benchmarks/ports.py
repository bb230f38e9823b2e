"""Free TCP ports on 127.0.0.1 for the bot processes that benchmarks and tests start."""

from __future__ import annotations

import random
import socket

# Below the kernel's ephemeral range (32768-60999 on Linux): a port handed out by bind(0) lies inside it, so
# any outgoing connection (to PostgreSQL, to an emulator) may take it between the check and the bot's bind.
_LOW, _HIGH = 20_000, 32_000


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(span: int = 1) -> int:
    """A port p such that p … p + span - 1 are free on 127.0.0.1 now and no outgoing connection will take them."""
    while True:
        first = random.randrange(_LOW, _HIGH - span)
        if all(_free(port) for port in range(first, first + span)):
            return first
