"""Messenger-neutral keyboards: services describe buttons, the transport renders them."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Color(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    POSITIVE = "positive"
    NEGATIVE = "negative"


class ButtonKind(StrEnum):
    """What pressing a button does (each messenger supports some of these)."""

    TEXT = "text"  # sends its label as the person's message (with the payload)
    CALLBACK = "callback"  # answers in place, no message in the chat
    LINK = "link"
    OPEN_APP = "open_app"
    REQUEST_CONTACT = "request_contact"
    REQUEST_GEO = "request_geo"


class Button(BaseModel):
    """One button. `callback` buttons answer in place; text buttons send a message.

    The colour is a hint: a messenger without colours ignores it. `special` asks for a
    kind only some messengers have (an app, a contact or location request).
    """

    model_config = ConfigDict(frozen=True)

    label: str = Field(max_length=40)
    payload: dict[str, Any] = {}
    color: Color = Color.SECONDARY
    callback: bool = False
    link: str | None = None
    special: ButtonKind | None = None

    @property
    def kind(self) -> ButtonKind:
        if self.special is not None:
            return self.special
        if self.link is not None:
            return ButtonKind.LINK
        return ButtonKind.CALLBACK if self.callback else ButtonKind.TEXT


class Keyboard(BaseModel):
    """Rows of buttons; `inline` keyboards stay attached to their message."""

    model_config = ConfigDict(frozen=True)

    rows: list[list[Button]] = []
    inline: bool = False
    one_time: bool = False

    @classmethod
    def column(cls, buttons: list[Button], *, inline: bool = True) -> Keyboard:
        """One button per row."""
        return cls(rows=[[b] for b in buttons], inline=inline)

    @classmethod
    def empty(cls) -> Keyboard:
        """A keyboard that removes the current one."""
        return cls(rows=[])
