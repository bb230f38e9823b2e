"""Outbox claims on a real PostgreSQL: disjoint pages, leases that end, rows given back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from storage.claims import InboxClaims, OutboxClaims
from storage.outbox import NewOutboxMessage, OutboxRepo
from storage.pg import PgDatabase
from storage.runtime import InboxRepo


@pytest.fixture
async def pg(pg_url: str) -> AsyncIterator[PgDatabase]:
    database = await PgDatabase.open(pg_url)
    try:
        yield database
    finally:
        await database.close()


async def _fill(db: PgDatabase, count: int) -> None:
    await OutboxRepo(db).enqueue([NewOutboxMessage(idem_key=f"k{i}", peer_id=i, message="м") for i in range(count)])


async def test_two_workers_claiming_at_once_get_disjoint_rows(pg: PgDatabase, pg_url: str) -> None:
    """Two processes' claims at the same moment (two pools) never share a row, and together take all."""
    other = await PgDatabase.open(pg_url)
    try:
        await _fill(pg, 200)
        claims = [OutboxClaims(pg, "a"), OutboxClaims(other, "b"), OutboxClaims(pg, "c"), OutboxClaims(other, "d")]
        pages = await asyncio.gather(*(c.claim("vk", limit=60) for c in claims))
        ids = [r.id for page in pages for r in page]
        assert len(ids) == len(set(ids)) == 200
        late = OutboxClaims(pg, "e")
        assert await late.claim("vk") == [], "a row another worker holds was claimed"
    finally:
        await other.close()


async def test_a_dead_workers_rows_come_back_after_its_lease(pg: PgDatabase) -> None:
    """Rows of a worker that stopped renewing are free once the lease ended, not before."""
    await _fill(pg, 5)
    clock = [1_000_000]
    dead = OutboxClaims(pg, "dead", lease=30, clock_ms=lambda: clock[0])
    alive = OutboxClaims(pg, "alive", lease=30, clock_ms=lambda: clock[0])
    assert len(await dead.claim("vk")) == 5
    assert await alive.claim("vk") == []
    clock[0] += 29_000
    assert await alive.claim("vk") == []
    clock[0] += 2_000
    assert [r.idem_key for r in await alive.claim("vk")] == [f"k{i}" for i in range(5)]


async def test_released_rows_are_free_at_once_and_finished_rows_are_never_claimed(pg: PgDatabase) -> None:
    """A page given back is anyone's; a sent row is nobody's."""
    await _fill(pg, 4)
    a, b = OutboxClaims(pg, "a"), OutboxClaims(pg, "b")
    rows = await a.claim("vk")
    await a.release([rows[2].id, rows[3].id])
    async with pg.transaction() as conn:
        await conn.execute("UPDATE outbox SET status = 'sent' WHERE id = ?", (rows[2].id,))
    assert [r.id for r in await b.claim("vk")] == [rows[3].id]
    assert [r.id for r in await a.claim("vk", after_id=rows[0].id)] == [rows[1].id]


async def _events(db: PgDatabase, keys: list[str]) -> list[int]:
    stored = await InboxRepo(db).store([(f"max:e{i}", "message_created", key, {"n": i}) for i, key in enumerate(keys)],
                                       None)
    return [e.id for e in stored]


async def test_a_persons_events_are_never_handled_out_of_order_across_workers(pg: PgDatabase) -> None:
    """Anna's second message waits while her first is held by another worker; Boris's goes at once."""
    first_anna, second_anna, boris = await _events(pg, ["user:1", "user:1", "user:2"])
    a, b = InboxClaims(pg, "a"), InboxClaims(pg, "b")
    assert [e.id for e in await a.claim("max:", limit=1)] == [first_anna]
    assert [e.id for e in await b.claim("max:")] == [boris]
    assert [e.id for e in await a.claim("max:")] == [first_anna, second_anna]
    assert [e.id for e in await b.claim("max:")] == [boris], "b still holds only Boris's"


async def test_a_later_event_waits_for_an_unclaimed_earlier_one(pg: PgDatabase) -> None:
    """In one claim the earlier event is taken, the later one of the same person only once the first is ours
    (and it goes to nobody else while the first is unfinished), or done."""
    first, second = await _events(pg, ["user:7", "user:7"])
    a, b = InboxClaims(pg, "a"), InboxClaims(pg, "b")
    assert [e.id for e in await a.claim("max:")] == [first]
    assert await b.claim("max:") == []
    await InboxRepo(pg).finish(first)
    assert [e.id for e in await b.claim("max:")] == [second]


async def test_a_dead_workers_events_come_back_in_order_after_its_lease(pg: PgDatabase) -> None:
    """Events a killed worker claimed are taken again after its lease, the earliest first."""
    first, second = await _events(pg, ["user:9", "user:9"])
    clock = [5_000_000]
    dead = InboxClaims(pg, "dead", lease=30, clock_ms=lambda: clock[0])
    alive = InboxClaims(pg, "alive", lease=30, clock_ms=lambda: clock[0])
    assert [e.id for e in await dead.claim("max:")] == [first]
    assert await alive.claim("max:") == []
    clock[0] += 31_000
    assert [e.id for e in await alive.claim("max:")] == [first]
    assert [e.id for e in await alive.claim("max:")] == [first, second]


async def test_any_left_sees_unfinished_rows_of_one_messenger(pg: PgDatabase) -> None:
    """The sweep's look-up: nothing stored, a pending VK row, then it is sent."""
    claims = OutboxClaims(pg, "a")
    assert not await claims.any_left("vk")
    await _fill(pg, 1)
    assert await claims.any_left("vk") and not await claims.any_left("max", ("pending", "sending"))
    async with pg.transaction() as conn:
        await conn.execute("UPDATE outbox SET status = 'sent'")
    assert not await claims.any_left("vk")
