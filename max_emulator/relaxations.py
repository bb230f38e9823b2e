"""Every place where the MAX emulator knowingly departs from the official schema 0.0.33.

The schema (``max_emulator/data/max-bot-api-openapi-0.0.33.yaml``) is the contract, but its
``required`` lists are stricter than what MAX really sends, and a few rules are enforced by the
emulator itself so that they can be configured. Each difference is applied here, and only here:

1. ``BotAddedToChatUpdate.user`` is not required: MAX stopped sending ``user`` in ``bot_added`` in
   November 2026 (changelog), so the emulator's ``bot_added`` carries none.
2. ``NewMessageBody.text`` has no schema ``maxLength``: the emulator checks the length against its
   configurable ``max_text`` limit (4,000 by default, as the schema says) with the same 400.

Nothing else is relaxed: requests are checked against the schema as it is, and every body the
emulator writes validates against the relaxed schema (the tests check both the emulator's own
updates and the real payload samples from the official Go client).
"""

from __future__ import annotations

from typing import Any

RELAXATIONS: tuple[str, ...] = (
    "bot_added carries no user",
    "NewMessageBody.text length is the configurable max_text limit",
)


def _drop_required(schema: dict[str, Any], field: str) -> None:
    required = schema.get("required")
    if isinstance(required, list) and field in required:
        required.remove(field)


def _part_with(schema: dict[str, Any], field: str) -> dict[str, Any]:
    """The allOf part (or the schema itself) whose properties name `field`."""
    for part in schema.get("allOf", []):
        if isinstance(part, dict) and field in part.get("properties", {}):
            return part
    return schema


def apply_relaxations(schemas: dict[str, Any]) -> None:
    """Apply the deviations listed in the module docstring to `components.schemas`, in place."""
    _drop_required(_part_with(schemas["BotAddedToChatUpdate"], "user"), "user")
    schemas["NewMessageBody"]["properties"]["text"].pop("maxLength", None)
