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


class Button(BaseModel):
    """One button. `callback` buttons answer in place; text buttons send a message."""

    model_config = ConfigDict(frozen=True)

    label: str = Field(max_length=40)
    payload: dict[str, Any] = {}
    color: Color = Color.SECONDARY
    callback: bool = False
    link: str | None = None


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
