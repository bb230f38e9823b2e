"""The operations endpoint: /healthz, /readyz and /metrics on an ephemeral 127.0.0.1 port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.ops.prometheus import PrometheusMetrics
from bot.ops.server import OpsServer, OpsServerError, Readiness, TokenCheck
from storage.db import Database
from storage.ops import OpsRepo
from storage.outbox import NewOutboxMessage, OutboxRepo


class Clock:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def server(db: Database) -> AsyncIterator[OpsServer]:
    """A started endpoint on any free port."""
    store = OpsRepo(db)
    ops = OpsServer("127.0.0.1", 0, Readiness(store), PrometheusMetrics(), store)
    await ops.start()
    try:
        yield ops
    finally:
        await ops.stop()


async def _get(ops: OpsServer, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{ops.port}{path}") as resp:
        return resp.status, await resp.text()


async def test_healthz_answers_while_the_process_lives(server: OpsServer) -> None:
    """/healthz is 200 on the real (ephemeral) port."""
    assert server.port > 0
    assert await _get(server, "/healthz") == (200, "ok\n")


async def test_readyz_waits_for_a_verified_token(server: OpsServer) -> None:
    """Before a token is checked /readyz is 503 with a reason; after it is accepted, 200."""
    status, text = await _get(server, "/readyz")
    assert status == 503 and "ключ мессенджера ещё не проверен" in text

    async def accepted() -> dict[str, Any]:
        return {"id": 1}

    server.readiness.tokens = [TokenCheck("ВКонтакте", accepted)]
    assert await _get(server, "/readyz") == (200, "ok\n")


async def test_a_refused_token_is_named_and_retried_only_when_due(server: OpsServer) -> None:
    """A failing check says which key; it is asked again only after retry_s on the injected clock."""
    calls: list[int] = []
    clock = Clock()

    async def refused() -> None:
        calls.append(1)
        raise RuntimeError("User authorization failed")

    server.readiness.tokens = [TokenCheck("MAX", refused, retry_s=30, clock=clock)]
    status, text = await _get(server, "/readyz")
    assert status == 503 and text.startswith("ключ MAX не проверен: User authorization failed")
    await _get(server, "/readyz")
    assert len(calls) == 1
    clock.now = 31
    await _get(server, "/readyz")
    assert len(calls) == 2


async def test_readyz_reports_a_schema_behind_the_code(db: Database) -> None:
    """A migration the database lacks makes /readyz 503 naming it."""
    first = "0022_baseline.sql" if db.dialect == "postgres" else "0001_core.sql"
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM schema_migrations WHERE name = ?", (first,))
    problem = await Readiness(OpsRepo(db)).problem()
    assert problem is not None and f"не применены {first}" in problem


async def test_readyz_reports_a_database_that_does_not_answer(db: Database) -> None:
    """A closed database gives 503 «база данных недоступна»."""
    await db.close()
    problem = await Readiness(OpsRepo(db)).problem()
    assert problem is not None and problem.startswith("база данных недоступна")


async def test_metrics_show_counters_and_queue_depth(server: OpsServer, db: Database) -> None:
    """/metrics is Prometheus text with sent/failed per messenger, rate-limit waits, imports and queues."""
    await OutboxRepo(db).enqueue([NewOutboxMessage(idem_key="a", peer_id=1), NewOutboxMessage(idem_key="b", peer_id=2),
                                  NewOutboxMessage(idem_key="c", peer_id=3, messenger="max")])
    server.metrics.sent("vk", 3)
    server.metrics.failed("max")
    server.metrics.rate_limit_wait("vk", 0.25)
    server.metrics.import_finished("roster", "applied", 0.3)
    status, text = await _get(server, "/metrics")
    assert status == 200
    assert 'sferum_messages_sent_total{messenger="vk"} 3.0' in text
    assert 'sferum_messages_failed_total{messenger="max"} 1.0' in text
    assert 'sferum_rate_limit_wait_seconds_total{messenger="vk"} 0.25' in text
    assert 'sferum_import_duration_seconds_count{kind="roster",outcome="applied"} 1.0' in text
    assert 'sferum_outbox_queue{messenger="vk",status="pending"} 2.0' in text
    assert 'sferum_outbox_queue{messenger="max",status="pending"} 1.0' in text
    assert "sferum_inbox_queue 0.0" in text


async def test_each_app_has_its_own_registry() -> None:
    """Two PrometheusMetrics never share counters (no global registry)."""
    first, second = PrometheusMetrics(), PrometheusMetrics()
    first.sent("max", 5)
    assert b'sferum_messages_sent_total{messenger="max"} 5.0' in first.render()
    assert b'sferum_messages_sent_total{messenger="max"} 0.0' in second.render()


async def test_a_taken_port_is_one_russian_line(server: OpsServer, db: Database) -> None:
    """Listening on a port already in use raises OpsServerError saying what to change."""
    store = OpsRepo(db)
    other = OpsServer("127.0.0.1", server.port, Readiness(store), PrometheusMetrics(), store)
    with pytest.raises(OpsServerError, match=r"\[metrics\] port"):
        await other.start()
