"""Reporting schema violations: what an emulator produced does not match its messenger's schema."""

from __future__ import annotations

from typing import Any


class SchemaViolation(Exception):
    """Something the emulator produced does not match the schema (an emulator bug)."""

    def __init__(self, where: str, errors: list[str]) -> None:
        self.where = where
        self.errors = errors
        super().__init__(f"{where}: {'; '.join(errors[:5])}")

    def body(self) -> dict[str, Any]:
        """The HTTP 500 body the emulators answer with."""
        return {
            "emulator_error": "schema violation",
            "where": self.where,
            "details": self.errors[:20],
        }


def describe(error: Any) -> str:
    """One jsonschema error as `path: message`."""
    path = "/".join(str(p) for p in error.absolute_path)
    return f"{path or '<root>'}: {error.message[:300]}"
