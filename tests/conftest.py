"""Shared fixtures: a migrated database on real SQLite, settings, an isolated cwd."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from bot.config import Settings, parse_settings
from storage.db import Database

ROOT = Path(__file__).resolve().parent.parent

# Property tests draw the same examples on every run, so CI is repeatable;
# HYPOTHESIS_PROFILE=explore searches new ones (and a failure found there becomes an @example).
hypothesis_settings.register_profile("repeatable", derandomize=True)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Default settings with the data directory inside tmp_path."""
    return parse_settings(
        {
            "schools": [
                {"id": "school1", "name": "МБОУ СОШ № 1", "director_vk_id": 1001, "deputy_vk_ids": [1002]}
            ]
        },
        tmp_path,
    )


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh, fully migrated SQLite database file."""
    database = await Database.open(tmp_path / "test.sqlite3")
    try:
        yield database
    finally:
        await database.close()
