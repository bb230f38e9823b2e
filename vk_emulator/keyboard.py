"""VK's keyboard limits (error 911)."""

from __future__ import annotations

import json
from typing import Any

from vk_emulator.errors import VKError

MAX_COLUMNS = 5
MAX_ROWS = 10
MAX_BUTTONS = 40
MAX_INLINE_ROWS = 6
MAX_INLINE_BUTTONS = 10
MAX_LABEL = 40
MAX_PAYLOAD = 255
COLORS = frozenset({"primary", "secondary", "negative", "positive", "default"})
ACTIONS = frozenset(
    {"text", "callback", "open_link", "location", "vkpay", "open_app", "open_photo"}
)
LABELLED = frozenset({"text", "callback", "open_link", "open_app"})
# These buttons take a whole row.
WHOLE_ROW = frozenset({"location", "vkpay", "open_app"})


def _invalid(detail: str) -> VKError:
    return VKError(911, detail)


def validate_keyboard(keyboard: Any) -> dict[str, Any]:
    """Check a parsed keyboard against VK's limits; return it or raise error 911."""
    if isinstance(keyboard, str):
        try:
            keyboard = json.loads(keyboard)
        except ValueError as exc:
            raise _invalid("keyboard is not JSON") from exc
    if not isinstance(keyboard, dict):
        raise _invalid("keyboard must be an object")
    buttons = keyboard.get("buttons")
    if not isinstance(buttons, list):
        raise _invalid("buttons must be an array")
    inline = bool(keyboard.get("inline", False))
    max_rows = MAX_INLINE_ROWS if inline else MAX_ROWS
    max_buttons = MAX_INLINE_BUTTONS if inline else MAX_BUTTONS
    if len(buttons) > max_rows:
        raise _invalid(f"too many rows ({len(buttons)} > {max_rows})")
    total = 0
    for row in buttons:
        if not isinstance(row, list):
            raise _invalid("each row must be an array")
        if len(row) > MAX_COLUMNS:
            raise _invalid(f"too many buttons in a row ({len(row)} > {MAX_COLUMNS})")
        for button in row:
            _check_button(button, len(row))
        total += len(row)
    if total > max_buttons:
        raise _invalid(f"too many buttons ({total} > {max_buttons})")
    return keyboard


def _check_button(button: Any, row_length: int) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("action"), dict):
        raise _invalid("button must have an action")
    action = button["action"]
    kind = action.get("type")
    if kind not in ACTIONS:
        raise _invalid(f"unknown action type {kind!r}")
    if kind in LABELLED:
        label = action.get("label")
        if not isinstance(label, str) or not label:
            raise _invalid("button label is required")
        if len(label) > MAX_LABEL:
            raise _invalid(f"button label is longer than {MAX_LABEL}")
    if kind == "open_link" and not isinstance(action.get("link"), str):
        raise _invalid("open_link needs link")
    if kind in WHOLE_ROW and row_length > 1:
        raise _invalid(f"{kind} button must be alone in its row")
    if "payload" in action:
        payload = action["payload"]
        text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
        if len(text) > MAX_PAYLOAD:
            raise _invalid(f"payload is longer than {MAX_PAYLOAD}")
        if isinstance(payload, str):
            try:
                json.loads(payload)
            except ValueError as exc:
                raise _invalid("payload is not JSON") from exc
    color = button.get("color")
    if color is not None and color not in COLORS:
        raise _invalid(f"unknown color {color!r}")
