"""Laying abstract keyboards out within a messenger's limits, and paging long lists.

A keyboard is rows of buttons with a kind and a colour hint (`bot.domain.ui`); each
adapter gives its `Limits` (VK's in `bot/vk/keyboard.py`) and gets a keyboard that
fits: long rows wrapped, long labels shortened. A list longer than one keyboard
holds is shown a page at a time with «← Назад» / «Дальше →» buttons.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.domain.ui import Button, ButtonKind, Keyboard

SPECIAL_KINDS = frozenset({ButtonKind.LINK, ButtonKind.OPEN_APP, ButtonKind.REQUEST_CONTACT,
                           ButtonKind.REQUEST_GEO})
PREVIOUS, NEXT = "← Назад", "Дальше →"


@dataclass(frozen=True)
class Limits:
    """What one messenger's keyboard may hold."""

    per_row: int
    rows: int
    buttons: int
    label: int
    # At most this many link / app / request buttons in one row (None: no such rule).
    special_per_row: int | None = None


# MAX inline keyboards (max-bot-api.md): 7 a row, 30 rows, 210 buttons, ≤ 3 link/open_app/request_* in a row.
MAX_INLINE = Limits(per_row=7, rows=30, buttons=210, label=128, special_per_row=3)


class LayoutError(ValueError):
    """A keyboard that cannot fit the messenger's limits even after wrapping (page it instead)."""


def shorten(label: str, limit: int) -> str:
    """The label within `limit` characters, cut at a word with «…» when too long."""
    label = label.strip()
    if len(label) <= limit:
        return label
    cut = label[:limit - 1].rstrip()
    if " " in cut and cut.rfind(" ") > limit // 2:
        cut = cut[:cut.rfind(" ")].rstrip()
    return cut + "…"


def _wrap(row: Sequence[Button], limits: Limits) -> list[list[Button]]:
    rows: list[list[Button]] = []
    current: list[Button] = []
    specials = 0
    for button in row:
        special = button.kind in SPECIAL_KINDS
        full = len(current) >= limits.per_row
        too_special = special and limits.special_per_row is not None and specials >= limits.special_per_row
        if current and (full or too_special):
            rows.append(current)
            current, specials = [], 0
        current.append(button)
        specials += special
    if current:
        rows.append(current)
    return rows


def fit(keyboard: Keyboard, limits: Limits) -> Keyboard:
    """The keyboard within `limits`: rows wrapped, labels shortened; LayoutError when still too big."""
    rows: list[list[Button]] = []
    for row in keyboard.rows:
        short = [b if len(b.label) <= limits.label else b.model_copy(update={"label": shorten(b.label, limits.label)})
                 for b in row]
        rows.extend(_wrap(short, limits))
    total = sum(len(r) for r in rows)
    if len(rows) > limits.rows or total > limits.buttons:
        raise LayoutError(f"{len(rows)} rows, {total} buttons; the limit is {limits.rows} rows, "
                          f"{limits.buttons} buttons")
    return keyboard.model_copy(update={"rows": rows})


@dataclass(frozen=True)
class Page:
    """One page of a long list: its keyboard, its number (from 0) and how many there are."""

    keyboard: Keyboard
    number: int
    count: int


def page(items: Sequence[Button], limits: Limits, number: int, *, nav: Callable[[int], Button],
         footer: Sequence[Button] = (), inline: bool = True) -> Page:
    """Page `number` of `items` (one per row), with «← Назад» / «Дальше →» and the `footer` buttons.

    `nav(n)` makes the button that opens page n (its label is replaced by the arrow).
    A number past the end shows the last page.
    """
    footer_rows = _wrap(list(footer), limits) if footer else []
    rows_left = limits.rows - len(footer_rows)
    buttons_left = limits.buttons - len(footer)
    if len(items) <= min(rows_left, buttons_left):
        return Page(Keyboard(rows=[[b] for b in items] + footer_rows, inline=inline), 0, 1)
    size = min(rows_left - 1, buttons_left - 2)
    if size < 1:
        raise LayoutError("no room for a list between the paging buttons and the footer")
    count = -(-len(items) // size)
    number = max(0, min(number, count - 1))
    rows = [[b] for b in items[number * size:(number + 1) * size]]
    arrows = []
    if number > 0:
        arrows.append(nav(number - 1).model_copy(update={"label": PREVIOUS}))
    if number < count - 1:
        arrows.append(nav(number + 1).model_copy(update={"label": NEXT}))
    return Page(Keyboard(rows=[*rows, arrows, *footer_rows], inline=inline), number, count)
