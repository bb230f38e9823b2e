"""Fixtures for the broadcast tests (the end-to-end ones come from tests/e2e)."""

from __future__ import annotations

# The end-to-end fixtures (emulator, control, bot_app, chat); the same in MAX and `talk` (either messenger).
from tests.e2e.conftest import (  # noqa: F401
    bot_app,
    chat,
    control,
    e2e_settings,
    emulator,
    max_app,
    max_ctl,
    max_emu,
    max_settings,
    talk,
)
