"""The metrics port is fed where the work happens: rate limiters, imports; the config switches the endpoint."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from bot.config import parse_settings
from bot.max.budget import MaxBudget
from bot.ratelimit import RateLimiter
from tests.conftest import ROOT


class Recorder:
    """A Metrics port that keeps every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def sent(self, messenger: str, count: int = 1) -> None:
        self.calls.append(("sent", messenger, str(count)))

    def failed(self, messenger: str, count: int = 1) -> None:
        self.calls.append(("failed", messenger, str(count)))

    def rate_limit_wait(self, messenger: str, seconds: float) -> None:
        self.calls.append(("wait", messenger, f"{seconds:.2f}"))

    def import_finished(self, kind: str, outcome: str, seconds: float) -> None:
        self.calls.append(("import", kind, outcome))


class VirtualTime:
    """A clock whose sleep moves it forward at once."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def test_a_rate_limiter_reports_how_long_it_held_requests_back() -> None:
    """Three requests at 2 rps: the third waits, and on_wait hears of it, on virtual time."""
    time = VirtualTime()
    waits: list[float] = []
    limiter = RateLimiter(2, clock=time.clock, sleep=time.sleep)
    limiter.on_wait = waits.append
    for _ in range(3):
        async with limiter.slot():
            pass
    assert waits and sum(waits) == pytest.approx(1.0)


async def test_max_budget_passes_on_wait_to_chat_limiters_made_later() -> None:
    """The MAX budget's hook reaches its overall limiter and each chat's, also ones created afterwards."""
    budget = MaxBudget()
    hook = Recorder()
    budget.on_wait = lambda s: hook.rate_limit_wait("max", s)
    assert budget.overall.on_wait is budget.on_wait
    assert budget.chat(42).on_wait is budget.on_wait


async def test_imports_report_their_duration_and_outcome(db, settings) -> None:  # type: ignore[no-untyped-def]
    """An applied roster import and a refused file each reach the metrics port with kind and outcome."""
    from bot.imports.reader import ImportRefused
    from bot.services.imports import ImportService
    from storage.imports import ImportsSql

    recorder = Recorder()
    service = ImportService(ImportsSql(db), settings, metrics=recorder)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["ФИО", "Должность"])
    sheet.append(["Иванова Анна Петровна", "учитель"])
    data = io.BytesIO()
    book.save(data)
    await service.import_roster(data.getvalue(), "roster.xlsx")
    with pytest.raises(ImportRefused):
        await service.import_roster(b"not a table", "broken.xlsx")
    assert recorder.calls == [("import", "roster", "applied"), ("import", "roster", "refused")]


def test_metrics_endpoint_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Defaults 127.0.0.1:9108; port 0 or enabled=false switch it off; SFERUM_METRICS__PORT overrides the port."""
    monkeypatch.delenv("SFERUM_METRICS__PORT", raising=False)
    default = parse_settings({}, tmp_path).metrics
    assert (default.host, default.port, default.on) == ("127.0.0.1", 9108, True)
    assert not parse_settings({"metrics": {"port": 0}}, tmp_path).metrics.on
    assert not parse_settings({"metrics": {"enabled": False}}, tmp_path).metrics.on
    monkeypatch.setenv("SFERUM_METRICS__PORT", "9111")
    assert parse_settings({}, tmp_path).metrics.port == 9111
    assert "[metrics]" in (ROOT / "config.example.toml").read_text("utf-8")
