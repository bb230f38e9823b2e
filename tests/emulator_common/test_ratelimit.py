"""Sliding one-second windows per key."""

from __future__ import annotations

from emulator_common.ratelimit import RateWindows


def test_window_slides_per_key() -> None:
    """The limit holds within a second per key and frees up a second later; None is no limit."""
    rates = RateWindows()
    assert all(rates.allow("a", 2, 10.0) for _ in range(2))
    assert not rates.allow("a", 2, 10.5)
    assert rates.full("a", 2, 10.5)
    assert rates.allow("b", 2, 10.5)
    assert rates.allow("a", 2, 11.0)
    assert all(rates.allow("c", None, 0.0) for _ in range(100))
    rates.record("d", 0.0)
    assert rates.full("d", 1, 0.5)
    rates.clear()
    assert not rates.full("d", 1, 0.5)
