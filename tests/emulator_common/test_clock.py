"""The emulators' clock: frozen, advanced, resumed without a jump."""

from __future__ import annotations

from emulator_common.clock import Clock


def test_frozen_clock_moves_only_when_advanced() -> None:
    """A frozen clock stands still until advanced; unfreezing continues from there."""
    clock = Clock()
    clock.freeze(True)
    stood = clock.now()
    assert clock.now() == stood and clock.frozen
    clock.advance(60)
    assert clock.now() == stood + 60
    clock.freeze(False)
    assert clock.now() >= stood + 60 and not clock.frozen
    clock.reset()
    assert clock.as_dict()["frozen"] is False
