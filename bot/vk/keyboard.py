"""Render `bot.domain.ui.Keyboard` to VK's keyboard JSON, refusing what VK would refuse (911)."""

from __future__ import annotations

import json
from typing import Any

from bot.domain.ui import Button, ButtonKind, Keyboard
from bot.messaging.layout import Limits

MAX_COLUMNS = 5
INLINE_MAX_ROWS = 6
INLINE_MAX_BUTTONS = 10
STANDARD_MAX_ROWS = 10
STANDARD_MAX_BUTTONS = 40
MAX_LABEL = 40
MAX_PAYLOAD = 255
VK_INLINE = Limits(per_row=MAX_COLUMNS, rows=INLINE_MAX_ROWS, buttons=INLINE_MAX_BUTTONS, label=MAX_LABEL)
VK_STANDARD = Limits(per_row=MAX_COLUMNS, rows=STANDARD_MAX_ROWS, buttons=STANDARD_MAX_BUTTONS, label=MAX_LABEL)


def vk_limits(keyboard: Keyboard) -> Limits:
    """The limits VK sets for this kind of keyboard."""
    return VK_INLINE if keyboard.inline else VK_STANDARD


class KeyboardError(ValueError):
    """A keyboard VK would reject with error 911; the message says which limit."""


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _button(button: Button, where: str) -> dict[str, Any]:
    if button.special is not None and button.special is not ButtonKind.TEXT:
        raise KeyboardError(f"{where}: VK has no {button.special.value} button")
    if not button.label.strip():
        raise KeyboardError(f"{where}: empty label")
    if len(button.label) > MAX_LABEL:
        raise KeyboardError(f"{where}: label longer than {MAX_LABEL} characters: {button.label!r}")
    payload = _dumps(button.payload) if button.payload else None
    if payload is not None and len(payload) > MAX_PAYLOAD:
        raise KeyboardError(f"{where}: payload is {len(payload)} characters, VK allows {MAX_PAYLOAD}")
    if button.link is not None:
        if button.callback:
            raise KeyboardError(f"{where}: a button is either a link or a callback, not both")
        if not button.link.startswith(("https://", "http://")):
            raise KeyboardError(f"{where}: link must start with https:// or http://")
        action: dict[str, Any] = {"type": "open_link", "link": button.link, "label": button.label}
        if payload is not None:
            action["payload"] = payload
        # VK ignores colors on link buttons.
        return {"action": action}
    action = {"type": "callback" if button.callback else "text", "label": button.label}
    if payload is not None:
        action["payload"] = payload
    return {"action": action, "color": button.color.value}


def keyboard_dict(keyboard: Keyboard) -> dict[str, Any]:
    """The keyboard as VK's JSON object; KeyboardError when it breaks a VK limit."""
    rows = [row for row in keyboard.rows if row]
    if not rows:
        # An empty keyboard removes the current one.
        return {"one_time": False, "buttons": []}
    if keyboard.inline:
        max_rows, max_buttons, kind = INLINE_MAX_ROWS, INLINE_MAX_BUTTONS, "inline"
        if keyboard.one_time:
            raise KeyboardError("one_time is not supported on inline keyboards")
    else:
        max_rows, max_buttons, kind = STANDARD_MAX_ROWS, STANDARD_MAX_BUTTONS, "standard"
    if len(rows) > max_rows:
        raise KeyboardError(f"{kind} keyboard has {len(rows)} rows, VK allows {max_rows}")
    total = sum(len(row) for row in rows)
    if total > max_buttons:
        raise KeyboardError(f"{kind} keyboard has {total} buttons, VK allows {max_buttons}")
    buttons: list[list[dict[str, Any]]] = []
    for r, row in enumerate(rows, 1):
        if len(row) > MAX_COLUMNS:
            raise KeyboardError(f"row {r} has {len(row)} buttons, VK allows {MAX_COLUMNS}")
        buttons.append([_button(b, f"row {r}, button {c}") for c, b in enumerate(row, 1)])
    result: dict[str, Any] = {"buttons": buttons}
    if keyboard.inline:
        result["inline"] = True
    else:
        result["one_time"] = keyboard.one_time
    return result


def render_keyboard(keyboard: Keyboard) -> str:
    """The keyboard as the JSON string messages.send takes; KeyboardError on a VK limit."""
    return _dumps(keyboard_dict(keyboard))
