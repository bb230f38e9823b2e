"""Fault dice shared by the emulators: delays, 5xx answers and dropped answers."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass


@dataclass
class FaultDice:
    """What to do with one request, decided before it runs."""

    fail_500: bool = False
    error: str | None = None
    drop: bool = False


async def roll(
    rng: random.Random,
    delay_ms: tuple[float, float],
    http_500_rate: float,
    drop_rate: float,
    errors: list[tuple[str, float]] | None = None,
) -> FaultDice:
    """Sleep the injected delay, then roll: a 5xx, then each labelled error in order (a VK error
    code, MAX's 429), then a dropped answer (the request takes effect and then loses its
    connection: the caller aborts the transport after handling it)."""
    low, high = delay_ms
    if high > 0:
        await asyncio.sleep(rng.uniform(low, high) / 1000)
    dice = FaultDice()
    if http_500_rate and rng.random() < http_500_rate:
        dice.fail_500 = True
        return dice
    for label, rate in errors or []:
        if rng.random() < rate:
            dice.error = label
            return dice
    dice.drop = bool(drop_rate) and rng.random() < drop_rate
    return dice
