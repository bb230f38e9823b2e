"""The fault dice: 5xx first, then labelled errors in order, then a dropped answer."""

from __future__ import annotations

import random

from emulator_common.faults import roll


async def test_certain_faults() -> None:
    """Rates of 1 always fire, in their order; rates of 0 never do."""
    rng = random.Random(1)
    assert (await roll(rng, (0, 0), 1.0, 1.0, [("429", 1.0)])).fail_500
    assert (await roll(rng, (0, 0), 0.0, 1.0, [("429", 1.0)])).error == "429"
    dice = await roll(rng, (0, 0), 0.0, 1.0, [("429", 0.0)])
    assert dice.drop and dice.error is None
    calm = await roll(rng, (0, 1), 0.0, 0.0)
    assert not (calm.fail_500 or calm.drop or calm.error)
