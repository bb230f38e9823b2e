"""Fault dice shared by the emulators: delays, 5xx answers and dropped answers."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass


@dataclass
class FaultDice:
    """What to do with one request, decided before it runs."""

    fail_500: bool = False
    fail_429: bool = False
    drop: bool = False


async def roll(
    rng: random.Random,
    delay_ms: tuple[float, float],
    http_500_rate: float,
    drop_rate: float,
    http_429_rate: float = 0.0,
) -> FaultDice:
    """Sleep the injected delay, then roll each fault once (a dropped request takes effect and
    then loses its connection: the caller aborts the transport after handling it)."""
    low, high = delay_ms
    if high > 0:
        await asyncio.sleep(rng.uniform(low, high) / 1000)
    dice = FaultDice()
    if http_500_rate and rng.random() < http_500_rate:
        dice.fail_500 = True
    elif http_429_rate and rng.random() < http_429_rate:
        dice.fail_429 = True
    elif drop_rate and rng.random() < drop_rate:
        dice.drop = True
    return dice
