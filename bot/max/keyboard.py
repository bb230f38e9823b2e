"""`bot.domain.ui.Keyboard` as a MAX inline keyboard attachment, laid out within MAX's limits.

MAX has only inline keyboards, and its `message` button sends its label without a payload. So a
text button (a menu entry that VK sends as the person's message with a payload) becomes a
callback button whose payload carries the mark `TEXT_MARK`; the bridge turns such a press back
into a message with that label and payload, as VK would deliver it.
"""

from __future__ import annotations

import json
from typing import Any

from bot.domain.ui import Button, ButtonKind, Keyboard
from bot.messaging.layout import MAX_INLINE, fit

TEXT_MARK = "_m"
MAX_PAYLOAD = 1024


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def button(item: Button) -> dict[str, Any]:
    """One button in MAX's form."""
    kind = item.kind
    if kind is ButtonKind.LINK:
        return {"type": "link", "text": item.label, "url": item.link}
    if kind is ButtonKind.REQUEST_CONTACT:
        return {"type": "request_contact", "text": item.label}
    if kind is ButtonKind.REQUEST_GEO:
        return {"type": "request_geo_location", "text": item.label}
    payload = dict(item.payload) if kind is ButtonKind.CALLBACK else {**item.payload, TEXT_MARK: item.label}
    packed = _dumps(payload)
    if len(packed) > MAX_PAYLOAD:
        raise ValueError(f"payload of «{item.label}» is longer than MAX's {MAX_PAYLOAD} characters")
    return {"type": "callback", "text": item.label, "payload": packed}


def attachment(keyboard: Keyboard) -> dict[str, Any] | None:
    """The inline_keyboard attachment for `keyboard` (None for an empty one: MAX just shows none)."""
    laid = fit(keyboard, MAX_INLINE)
    rows = [[button(b) for b in row] for row in laid.rows if row]
    if not rows:
        return None
    return {"type": "inline_keyboard", "payload": {"buttons": rows}}
