"""Shared fixtures: a migrated database on real SQLite, settings, an isolated cwd."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings, parse_settings
from storage.db import Database

ROOT = Path(__file__).resolve().parent.parent


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
