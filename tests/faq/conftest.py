"""Shared fixtures: one engine per test session (dictionaries load once)."""

from __future__ import annotations

import pytest

from bot.faq import FaqEngine


@pytest.fixture(scope="session")
def engine() -> FaqEngine:
    return FaqEngine.load()


# The end-to-end fixtures (emulator, control, bot_app, chat) for tests/faq/test_chat.py.
from tests.e2e.conftest import bot_app, chat, control, e2e_settings, emulator  # noqa: F401, E402, I001
