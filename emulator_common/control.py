"""Control-API input checks shared by the emulators: each raises ControlError (HTTP 400)."""

from __future__ import annotations

from typing import Any


class ControlError(Exception):
    """A bad control-API request (HTTP 400)."""


def as_int(value: Any, name: str) -> int:
    """An integer (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ControlError(f"{name} must be an integer")
    return value


def opt_int(value: Any, name: str) -> int | None:
    """An integer or null."""
    return None if value is None else as_int(value, name)


def as_bool(value: Any, name: str) -> bool:
    """A boolean."""
    if not isinstance(value, bool):
        raise ControlError(f"{name} must be a boolean")
    return value


def as_str(value: Any, name: str) -> str:
    """A string."""
    if not isinstance(value, str):
        raise ControlError(f"{name} must be a string")
    return value


def opt_str(value: Any, name: str) -> str | None:
    """A string or null."""
    return None if value is None else as_str(value, name)


def as_rate(value: Any, name: str) -> float:
    """A probability between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ControlError(f"{name} must be a number between 0 and 1")
    return float(value)


def as_non_negative(value: Any, name: str) -> float:
    """A number ≥ 0."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ControlError(f"{name} must be a non-negative number")
    return float(value)


def as_delay(value: Any, name: str = "delay_ms") -> tuple[float, float]:
    """A `[min, max]` pair of milliseconds."""
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(d, int | float) and not isinstance(d, bool) and d >= 0 for d in value)
        or value[0] > value[1]
    ):
        raise ControlError(f"{name} must be [min, max]")
    return float(value[0]), float(value[1])


def check_keys(data: dict[str, Any], allowed: set[str], what: str) -> None:
    """Refuse fields the control API does not know (a typo must not pass silently)."""
    unknown = set(data) - allowed
    if unknown:
        raise ControlError(f"unknown {what} fields: {sorted(unknown)}")


def set_clock(clock: Any, data: dict[str, Any]) -> None:
    """Apply `{"frozen": bool?, "advance_s": float?}` to a Clock."""
    check_keys(data, {"frozen", "advance_s"}, "clock")
    if data.get("frozen") is not None:
        clock.freeze(as_bool(data["frozen"], "frozen"))
    advance = data.get("advance_s")
    if advance is not None:
        clock.advance(as_non_negative(advance, "advance_s"))
