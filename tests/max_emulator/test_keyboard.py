"""MAX's keyboard shape rules against an independent statement of them, on generated keyboards."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from max_emulator.keyboard import check_attachments, check_keyboard
from max_emulator.world import ApiError

KINDS = (
    "callback",
    "message",
    "clipboard",
    "link",
    "open_app",
    "request_contact",
    "request_geo_location",
)
SPECIAL = {"link", "open_app", "request_contact", "request_geo_location"}

buttons = st.sampled_from(KINDS).map(lambda kind: {"type": kind, "text": "x"})
rows = st.lists(buttons, min_size=1, max_size=9)
keyboards = st.lists(rows, min_size=1, max_size=34)


def allowed(keyboard: list[list[dict[str, Any]]]) -> bool:
    """The documented limits, written independently of the emulator's code."""
    if len(keyboard) > 30 or sum(map(len, keyboard)) > 210:
        return False
    return all(len(row) <= (3 if any(b["type"] in SPECIAL for b in row) else 7) for row in keyboard)


@given(keyboards)
def test_keyboard_limits_match_the_documented_rule(keyboard: list[list[dict[str, Any]]]) -> None:
    """The emulator refuses a keyboard exactly when the documented limits say so."""
    try:
        check_keyboard(keyboard, "buttons")
    except ApiError as error:
        assert not allowed(keyboard)
        assert error.status == 400 and error.message.startswith("buttons")
    else:
        assert allowed(keyboard)


@pytest.mark.parametrize(
    ("kinds", "ok"),
    [
        (["file"], True),
        (["image", "image"], True),
        (["file", "file"], False),
        (["file", "image"], False),
        (["file", "inline_keyboard"], False),
        (["image", "inline_keyboard"], True),
        (["inline_keyboard", "inline_keyboard"], False),
    ],
)
def test_file_must_be_alone(kinds: list[str], ok: bool) -> None:
    """A file goes alone; other attachments combine; one keyboard at most."""
    attachments = [
        {"type": k, "payload": {"buttons": [[{"type": "callback", "text": "x", "payload": "p"}]]}}
        if k == "inline_keyboard"
        else {"type": k, "payload": {"token": "t"}}
        for k in kinds
    ]
    if ok:
        check_attachments(attachments)
    else:
        with pytest.raises(ApiError):
            check_attachments(attachments)
