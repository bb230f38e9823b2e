"""Fixtures for the reachability and live-count tests (the end-to-end ones come from tests/e2e)."""

from __future__ import annotations

# The end-to-end fixtures (emulator, control, bot_app, chat).
from tests.e2e.conftest import bot_app, chat, control, e2e_settings, emulator  # noqa: F401
