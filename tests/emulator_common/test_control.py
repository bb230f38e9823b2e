"""The control-API input checks both emulators use."""

from __future__ import annotations

import pytest

from emulator_common.clock import Clock
from emulator_common.control import (
    ControlError,
    as_bool,
    as_delay,
    as_int,
    as_non_negative,
    as_rate,
    as_str,
    check_keys,
    opt_int,
    opt_str,
    set_clock,
)


def test_good_values_pass() -> None:
    """Each check returns its value when it is right."""
    assert as_int(3, "n") == 3 and opt_int(None, "n") is None and as_bool(True, "b") is True
    assert as_str("x", "s") == "x" and opt_str(None, "s") is None and as_rate(0.5, "r") == 0.5
    assert as_non_negative(2, "s") == 2.0 and as_delay([1, 2]) == (1.0, 2.0)
    check_keys({"a": 1}, {"a", "b"}, "thing")


@pytest.mark.parametrize(
    ("check", "value"),
    [
        (as_int, True),
        (as_int, "3"),
        (as_bool, 1),
        (as_str, 5),
        (as_rate, 1.5),
        (as_rate, False),
        (as_non_negative, -1),
        (as_delay, [2, 1]),
        (as_delay, [1]),
    ],
)
def test_bad_values_are_refused_with_the_name(check: object, value: object) -> None:
    """A wrong value raises ControlError naming the field."""
    with pytest.raises(ControlError, match="field"):
        check(value, "field")  # type: ignore[operator]


def test_unknown_keys_and_clock() -> None:
    """Unknown fields are refused; set_clock freezes and advances."""
    with pytest.raises(ControlError, match="unknown thing fields"):
        check_keys({"c": 1}, {"a"}, "thing")
    clock = Clock()
    set_clock(clock, {"frozen": True})
    now = clock.now()
    set_clock(clock, {"advance_s": 5})
    assert clock.now() == now + 5
    with pytest.raises(ControlError):
        set_clock(clock, {"advance_s": -1})
