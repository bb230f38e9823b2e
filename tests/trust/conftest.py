"""The end-to-end fixtures (emulator, control, e2e_settings, bot_app, chat) for the trust tests."""

from __future__ import annotations

from tests.e2e.conftest import bot_app, chat, control, e2e_settings, emulator  # noqa: F401
