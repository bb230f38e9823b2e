"""The running bot and its database file: deleted is written back and it keeps answering; replaced stops it."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from bot.config import Settings
from storage.db import Database
from tests.e2e.conftest import seed_people, start_app
from tests.pg import backend
from vk_emulator import Emulator
from vk_emulator.client import EmulatorControl

# The database file itself is the subject here: nothing to test on PostgreSQL.
pytestmark = pytest.mark.skipif(backend() == "postgres", reason="SQLite file safety")

TEACHER = 2001


async def test_deleted_database_is_written_back_and_the_bot_keeps_answering(
        e2e_settings: Settings, emulator: Emulator, control: EmulatorControl,
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`rm` of the database under the bot: it is back at its path within a check, and replies go on."""
    monkeypatch.chdir(tmp_path)
    app, task = await start_app(e2e_settings, emulator)
    app.watch_interval = 0  # set before run(): the checks need no waiting
    try:
        await seed_people(app, control)
        await control.wait_listening()
        path = e2e_settings.storage.database_path
        path.unlink()
        for _ in range(500):
            if path.exists():
                break
            await asyncio.sleep(0.01)
        assert path.exists() and not task.done()
        await control.say(TEACHER, "мой статус")
        replies = await control.wait_sent(TEACHER, 1)
        assert "ваш статус" in replies[0]["text"]
        assert app.exit_code == 0
    finally:
        await app.close()
        await asyncio.gather(task, return_exceptions=True)


async def test_replaced_database_stops_the_bot_with_exit_code_1(
        e2e_settings: Settings, emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Another file put at the database's path: the bot saves its own as .recovered and stops with code 1."""
    monkeypatch.chdir(tmp_path)
    app, task = await start_app(e2e_settings, emulator)
    app.watch_interval = 0
    path = e2e_settings.storage.database_path
    try:
        other = await Database.open(tmp_path / "other.sqlite3")
        await other.close()
        os.replace(tmp_path / "other.sqlite3", path)
        await asyncio.wait_for(task, 10)
        assert app.exit_code == 1
        assert len(list(path.parent.glob("sferum-bot.recovered-*.sqlite3"))) == 1
    finally:
        await app.close()
        await asyncio.gather(task, return_exceptions=True)
