"""MAX's limits on messages that the schema cannot express: keyboard shape and lone files."""

from __future__ import annotations

from typing import Any

from max_emulator.world import bad_request

MAX_BUTTONS = 210
MAX_ROWS = 30
MAX_PER_ROW = 7
MAX_PER_ROW_SPECIAL = 3
# Rows holding any of these take at most 3 buttons.
SPECIAL_BUTTONS = frozenset({"link", "open_app", "request_contact", "request_geo_location"})


def check_keyboard(buttons: list[list[dict[str, Any]]], where: str) -> None:
    """210 buttons in at most 30 rows, 7 a row (3 where a row holds a link, app or request)."""
    if len(buttons) > MAX_ROWS:
        raise bad_request(where, f"at most {MAX_ROWS} rows of buttons, got {len(buttons)}")
    total = sum(len(row) for row in buttons)
    if total > MAX_BUTTONS:
        raise bad_request(where, f"at most {MAX_BUTTONS} buttons, got {total}")
    for index, row in enumerate(buttons):
        if not row:
            raise bad_request(f"{where}[{index}]", "a row of buttons is empty")
        special = any(button.get("type") in SPECIAL_BUTTONS for button in row)
        limit = MAX_PER_ROW_SPECIAL if special else MAX_PER_ROW
        if len(row) > limit:
            kind = " with link, open_app or request buttons" if special else ""
            raise bad_request(
                f"{where}[{index}]", f"at most {limit} buttons in a row{kind}, got {len(row)}"
            )


def check_attachments(attachments: list[dict[str, Any]]) -> None:
    """A `file` attachment must be the only attachment (the schema's FileAttachmentRequest says
    so; the spec keeps it strict, keyboards included); at most one keyboard."""
    keyboards = sum(1 for a in attachments if a.get("type") == "inline_keyboard")
    if keyboards > 1:
        raise bad_request("attachments", "at most one inline_keyboard")
    if any(a.get("type") == "file" for a in attachments) and len(attachments) > 1:
        raise bad_request("attachments", "Must be only one file attachment in message")
    for index, attachment in enumerate(attachments):
        if attachment.get("type") == "inline_keyboard":
            check_keyboard(
                attachment["payload"]["buttons"], f"attachments[{index}].payload.buttons"
            )
