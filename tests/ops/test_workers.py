"""The workers registry: registration, heartbeat on an injected clock, and the refusals it drives."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from bot.cli import main
from bot.ops.workers import FRESH, Registration, busy_message
from storage.db import Database
from storage.workers import WorkersRepo, alive_at

T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


class Clock:
    """A settable UTC clock."""

    def __init__(self, now: dt.datetime = T0) -> None:
        self.moment = now

    def now(self) -> dt.datetime:
        return self.moment


async def test_a_worker_registers_beats_and_leaves(db: Database) -> None:
    """Registered it is alive; 15 s without a beat it is not; a beat renews it; deregistering removes it."""
    clock = Clock()
    repo = WorkersRepo(db)
    worker = Registration(repo, clock=clock, host="node-a", pid=4242, roles=["vk", "scheduler"])
    await worker.register()
    [alive] = await repo.alive(clock.now(), FRESH)
    assert (alive.host, alive.pid, alive.roles) == ("node-a", 4242, ["vk", "scheduler"])
    clock.moment = T0 + dt.timedelta(seconds=15)
    assert await repo.alive(clock.now(), FRESH) == []
    await worker.beat()
    assert [w.pid for w in await repo.alive(clock.now(), FRESH)] == [4242]
    await worker.deregister()
    assert await repo.alive(clock.now(), FRESH) == []


async def test_heartbeat_every_interval_without_sleeping(db: Database) -> None:
    """beat_forever beats once per (virtual) interval and writes its row again if someone removed it."""
    clock = Clock()
    repo = WorkersRepo(db)
    slept: list[float] = []

    async def tick(seconds: float) -> None:
        slept.append(seconds)
        clock.moment += dt.timedelta(seconds=seconds)
        if len(slept) == 2:
            await repo.deregister(worker.id)  # a restore or an operator removed the row
        if len(slept) > 3:
            raise asyncio.CancelledError

    worker = Registration(repo, clock=clock, host="node-a", pid=7, sleep=tick)
    await worker.register()
    with pytest.raises(asyncio.CancelledError):
        await worker.beat_forever()
    assert slept == [5.0, 5.0, 5.0, 5.0]
    [alive] = await repo.alive(clock.now(), FRESH)
    assert alive.heartbeat_at == T0 + dt.timedelta(seconds=15)


def test_busy_message_names_host_and_pid_and_what_to_do() -> None:
    """The refusal names the freshest worker, counts the rest and says how to stop them."""
    class W:
        def __init__(self, host: str, pid: int, ago: int) -> None:
            self.host, self.pid, self.heartbeat_at = host, pid, T0 - dt.timedelta(seconds=ago)

    text = busy_message([W("node-b", 31, 3), W("node-a", 30, 9)], T0, "восстановление")
    assert text is not None
    assert text.startswith("с этой базой работает бот: процесс 31 на машине node-b (отмечался 3 с назад) и ещё 1.")
    assert "systemctl stop sferum-bot.target" in text and text.endswith("повторите восстановление")
    assert busy_message([], T0, "восстановление") is None


def _config(tmp_path: Path) -> Path:
    conf = tmp_path / "config.toml"
    conf.write_text('[storage]\ndata_dir = "data"\n[[schools]]\nid = "school1"\n', "utf-8")
    return conf


def test_restore_refuses_while_a_worker_beats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`restore` stops with exit 1 naming the host and pid of a worker that beat seconds ago; a stale one does not."""
    conf = _config(tmp_path)
    db_path = tmp_path / "data" / "sferum-bot.sqlite3"
    backup = tmp_path / "copy.sqlite3"

    async def seed(heartbeat: dt.datetime) -> None:
        db = await Database.open(db_path)
        await WorkersRepo(db).register("w1", "node-a", 555, ["vk"], "1", heartbeat)
        await db.backup_to(backup)
        await db.close()

    asyncio.run(seed(dt.datetime.now(dt.UTC)))
    assert main(["restore", str(backup), "--config", str(conf), "--yes"]) == 1
    err = capsys.readouterr().err
    assert "процесс 555 на машине node-a" in err and "повторите восстановление" in err
    assert alive_at(db_path, dt.datetime.now(dt.UTC) + dt.timedelta(seconds=20), FRESH) == []


def test_run_with_several_workers_on_sqlite_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """`run --workers 2` on the SQLite file exits 2 with a Russian reason and starts nothing."""
    monkeypatch.setenv("SFERUM_VK__TOKEN", "token")
    assert main(["run", "--workers", "2", "--config", str(_config(tmp_path))]) == 2
    err = capsys.readouterr().err
    assert "только с PostgreSQL" in err and "SQLite" in err
    assert not (tmp_path / "data").exists()
