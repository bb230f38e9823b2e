"""Constants and types shared by the emulator's tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

TOKEN = "test-token"
GROUP_ID = 77
USER = 101
OTHER = 102

VKCall = Callable[..., Awaitable[dict[str, Any]]]
