"""One `run` per SQLite database: the flock on <data_dir>/sferum-bot.lock; imports stay safe beside it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from storage.db import Database
from storage.lock import AlreadyRunning, RunLock, running_pid
from storage.people import PeopleRepo

ROOT = Path(__file__).resolve().parents[2]
ROSTER = ROOT / "tests" / "fixtures" / "tables" / "roster_cp1251.csv"


def test_second_lock_refused_with_the_holders_pid(tmp_path: Path) -> None:
    """While one holder has the lock another is refused, naming the holder's pid; release frees it."""
    lock = RunLock.acquire(tmp_path)
    try:
        assert running_pid(tmp_path) == os.getpid()
        with pytest.raises(AlreadyRunning) as caught:
            RunLock.acquire(tmp_path)
        assert caught.value.pid == os.getpid() and f"процесс {os.getpid()}" in str(caught.value)
    finally:
        lock.release()
    assert running_pid(tmp_path) is None
    RunLock.acquire(tmp_path).release()


def _config(tmp_path: Path) -> Path:
    conf = tmp_path / "config.toml"
    # An unreachable VK: the bot keeps retrying (and holding the lock) until it is stopped.
    conf.write_text(f'[vk]\ngroup_id = 1\napi_url = "http://127.0.0.1:9/"\n'
                    f'[storage]\ndata_dir = "{tmp_path / "data"}"\n', "utf-8")
    return conf


def _env() -> dict[str, str]:
    return {**os.environ, "SFERUM_VK__TOKEN": "test-token"}


@pytest.fixture
def running_bot(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """A real `sferum-bot run` that holds the lock; stopped with SIGTERM afterwards."""
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(_config(tmp_path))],
                                   cwd=tmp_path, env=_env(), stdout=out, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 20
        while running_pid(tmp_path / "data") != process.pid:
            assert process.poll() is None, log.read_text("utf-8")
            assert time.monotonic() < deadline, "the bot did not take the lock"
            time.sleep(0.05)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args, "--config", str(_config(tmp_path))],
                          cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=15, check=False)


def test_second_run_and_restore_refuse_while_the_bot_runs(tmp_path: Path,
                                                          running_bot: subprocess.Popen[str]) -> None:
    """A second `run` and a `restore` are refused in one Russian line naming the running pid."""
    created = f"Создана новая база данных: {tmp_path / 'data' / 'sferum-bot.sqlite3'}"
    assert created in (tmp_path / "run.log").read_text("utf-8")  # `run` may create it, and says so
    second = _cli(tmp_path, "run")
    assert second.returncode == 1
    assert second.stderr.strip().startswith("Ошибка: бот уже запущен")
    assert f"процесс {running_bot.pid}" in second.stderr and "Traceback" not in second.stderr
    backup = tmp_path / "copy.sqlite3"
    assert _cli(tmp_path, "backup", str(backup)).returncode == 0
    restore = _cli(tmp_path, "restore", str(backup), "--yes")
    assert restore.returncode == 1 and f"процесс {running_bot.pid}" in restore.stderr


def test_the_lock_dies_with_a_killed_bot(tmp_path: Path, running_bot: subprocess.Popen[str]) -> None:
    """SIGKILL leaves no stale lock: the OS releases the flock and the next `run` may start."""
    running_bot.kill()
    running_bot.wait(timeout=10)
    assert running_pid(tmp_path / "data") is None
    RunLock.acquire(tmp_path / "data").release()


def test_imports_while_the_bot_runs_are_safe(tmp_path: Path) -> None:
    """With the lock held and the bot's connection open, `import-roster` succeeds and the bot sees it."""
    data = tmp_path / "data"
    data.mkdir()
    lock = RunLock.acquire(data)

    async def scenario() -> int:
        bot_db = await Database.open(data / "sferum-bot.sqlite3")
        try:
            async with bot_db.transaction() as conn:
                await conn.execute("INSERT INTO organizations(id, name) VALUES ('school1', 'Школа')")
            loop = asyncio.get_running_loop()
            code = await loop.run_in_executor(None, main, ["import-roster", str(ROSTER), "--config",
                                                           str(_config(tmp_path))])
            assert code == 0
            return len(await PeopleRepo(bot_db).in_org("school1"))
        finally:
            await bot_db.close()

    try:
        assert asyncio.run(scenario()) > 0
    finally:
        lock.release()
