"""`sferum-bot status`: the last event, the outbox backlog, the last import per school, the
next scheduled runs and the database size — in Russian and as --json."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_settings
from bot.services.imports import ImportService
from storage.db import Database
from storage.imports import ImportsSql
from storage.outbox import NewOutboxMessage, OutboxRepo
from storage.runtime import InboxRepo
from tests.imports.conftest import FixedClock
from tests.imports.tables import ROSTER_HEADER, ROSTER_ROWS, csv_bytes

CONFIG = """
[storage]
data_dir = "data"

[[schools]]
id = "school1"
name = "МБОУ СОШ № 1"
timezone = "Europe/Moscow"

[[schools]]
id = "school2"
name = "МБОУ СОШ № 2"
"""
KEYS = {"database", "database_bytes", "last_event_at", "inbox_pending", "outbox_pending", "outbox_failed",
        "last_imports", "next_runs"}


def _config(tmp_path: Path) -> Path:
    conf = tmp_path / "config.toml"
    conf.write_text(CONFIG, "utf-8")
    return conf


async def _seed(conf: Path) -> None:
    """One event received, one pending and one sent bulk message, a roster import for school1."""
    settings = load_settings(conf)
    db = await Database.open(settings.storage.database_path)
    try:
        inbox = InboxRepo(db)
        await inbox.store([("ev1", "message_new", "user:1", {"type": "message_new"})], "7")
        outbox = OutboxRepo(db)
        await outbox.enqueue([NewOutboxMessage(idem_key=f"k{i}", peer_id=100 + i, random_id=i + 1, message="Текст")
                              for i in range(3)])
        service = ImportService(ImportsSql(db), settings, clock=FixedClock())
        await service.prepare()
        await service.import_roster(csv_bytes([ROSTER_HEADER, *ROSTER_ROWS]), "roster.csv", org_id="school1")
    finally:
        await db.close()


def _status(conf: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert main(["status", "--json", "--config", str(conf)]) == 0
    data: dict[str, object] = json.loads(capsys.readouterr().out)
    return data


def test_status_json_has_every_figure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--json: last event, backlog, last import per school, next runs with times, database size."""
    conf = _config(tmp_path)
    asyncio.run(_seed(conf))
    data = _status(conf, capsys)
    assert set(data) >= KEYS
    assert isinstance(data["last_event_at"], str) and dt.datetime.fromisoformat(data["last_event_at"])
    assert data["inbox_pending"] == 1
    assert data["outbox_pending"] == 3 and data["outbox_failed"] == 0
    imports = data["last_imports"]
    assert isinstance(imports, dict) and set(imports) == {"school1", "school2"}
    assert imports["school2"] is None and dt.datetime.fromisoformat(str(imports["school1"]))
    runs = data["next_runs"]
    assert isinstance(runs, list) and runs
    assert {"org", "job", "at"} <= set(runs[0])
    times = [dt.datetime.fromisoformat(r["at"]) for r in runs]
    assert times == sorted(times) and times[0] > dt.datetime.now(dt.UTC)
    assert isinstance(data["database_bytes"], int) and data["database_bytes"] > 0


def test_status_in_russian(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The plain output says each figure in Russian, per school."""
    conf = _config(tmp_path)
    asyncio.run(_seed(conf))
    assert main(["status", "--config", str(conf)]) == 0
    out = capsys.readouterr().out
    for phrase in ("Последнее событие от ВКонтакте", "в очереди отправки: 3", "Последняя загрузка таблицы (school1)",
                   "(school2): не было", "Следующий запуск", "МБ"):
        assert phrase in out, out


def test_status_before_the_first_start(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without a database yet: zeros and «not yet», not an error, and nothing is created."""
    conf = _config(tmp_path)
    data = _status(conf, capsys)
    assert data["database_bytes"] == 0 and data["last_event_at"] is None
    assert data["last_imports"] == {"school1": None, "school2": None}
    assert not (tmp_path / "data" / "sferum-bot.sqlite3").exists()
