"""Shared fixtures: one engine per test session (dictionaries load once)."""

from __future__ import annotations

import pytest

from bot.faq import FaqEngine


@pytest.fixture(scope="session")
def engine() -> FaqEngine:
    return FaqEngine.load()


# The end-to-end fixtures (emulator, control, bot_app, chat) for tests/faq/test_chat.py; the same in MAX
# and `talk` (one conversation over either messenger) for tests/faq/test_handoff.py.
from tests.e2e.conftest import (  # noqa: F401, E402, I001
    bot_app, chat, control, e2e_settings, emulator, max_app, max_ctl, max_emu, max_settings, talk)
