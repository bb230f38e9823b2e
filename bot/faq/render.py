"""Filling school-specific placeholders such as ``{responsible}`` into answer texts."""

from __future__ import annotations

import re
from collections.abc import Mapping

PLACEHOLDER_RE = re.compile(r"\{([a-z_]+)\}")

#: Placeholders an answer may use, with the text shown when the caller knows nothing better.
DEFAULTS: dict[str, str] = {
    "responsible": "ответственный за Сферум в школе",
    "school": "ваша школа",
}


def render(text: str, values: Mapping[str, str | None] | None = None) -> str:
    """Replace known ``{name}`` placeholders with `values` or the safe defaults.

    Unknown placeholders and stray braces are left untouched: a school's deputy edits
    these texts, and a typo there must not break an answer.
    """
    given = values or {}

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        value = given.get(name)
        if value is not None and value.strip():
            return value.strip()
        return DEFAULTS.get(name, match.group(0))

    return PLACEHOLDER_RE.sub(substitute, text)


def unknown_placeholders(text: str) -> list[str]:
    """Placeholder names in `text` that `render` does not know, in order of appearance."""
    return [name for name in PLACEHOLDER_RE.findall(text) if name not in DEFAULTS]
