"""Shared fixtures: one engine per test session (dictionaries load once)."""

from __future__ import annotations

import pytest

from bot.faq import FaqEngine


@pytest.fixture(scope="session")
def engine() -> FaqEngine:
    return FaqEngine.load()
