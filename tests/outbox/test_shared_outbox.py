"""Two workers share one outbox on a real PostgreSQL against the VK emulator: each message once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.ports import OutMessage
from bot.vk.api import make_api
from bot.vk.outbound import VkOutbound
from bot.vk.rules import idem_key
from storage.claims import OutboxClaims
from storage.outbox import OutboxRepo
from storage.pg import PgDatabase
from tests.outbox.conftest import add_users, outbox_settings, sent_counts
from vk_emulator import Emulator, EmulatorControl


def _messages(ids: list[int], text: str = "Напоминание") -> list[OutMessage]:
    return [OutMessage(peer_id=i, text=f"{text} №{i}", org_id="school1", kind="reminder",
                       idem_key=idem_key("school1", "reminder", "2026-11-14", i)) for i in ids]


@pytest.fixture
async def workers(pg_url: str, emulator: Emulator, tmp_path: Path) -> AsyncIterator[list[VkOutbound]]:
    """Two senders, each with a database pool and an API of its own, claiming as workers w1 and w2."""
    made: list[tuple[VkOutbound, PgDatabase]] = []
    for name in ("w1", "w2"):
        db = await PgDatabase.open(pg_url)
        # Each worker gets half of the community's 20 requests/s (the budget is shared).
        api = make_api(outbox_settings(tmp_path, emulator.api_url, rps=10))
        api.backoff_base = 0.02
        sender = VkOutbound(api, OutboxRepo(db), outbox_settings(tmp_path, emulator.api_url), retry_base=0.02,
                            page_size=50)
        sender.claims = OutboxClaims(db, name)
        made.append((sender, db))
    try:
        yield [sender for sender, _ in made]
    finally:
        for sender, db in made:
            await sender._api.http_client.close()
            await db.close()


async def test_two_workers_deliver_a_wave_once_each(workers: list[VkOutbound], emulator: Emulator,
                                                    control: EmulatorControl) -> None:
    """One worker stores a wave and sends; the other sweeps at the same time: all arrive, none twice,
    both did part of it, and the one that stored it reports every message delivered."""
    ids = list(range(1000, 1400))
    add_users(emulator, ids)
    first, second = workers
    sending = asyncio.create_task(first.send_bulk(_messages(ids)))
    deadline = time.monotonic() + 30
    swept = 0
    while not sending.done() and time.monotonic() < deadline:
        swept += await second.resume()
        await asyncio.sleep(0.05)  # a sweep interval, not a wait for a result
    deliveries = await sending
    assert all(d.ok for d in deliveries)
    assert set((await sent_counts(control, ids)).values()) == {1}
    stats = await control.stats()
    assert stats["delivered"] == 400 and stats["rate_limited"] == 0
    assert swept > 0, "the second worker took no part"


async def test_rows_of_a_killed_worker_are_sent_once_after_its_lease(workers: list[VkOutbound], emulator: Emulator,
                                                                     control: EmulatorControl, pg_url: str) -> None:
    """A worker claimed a wave and died (its lease ended); some rows had reached VK before it died.
    The live worker sends the rest, and VK drops the re-sent ones by random_id: each person once."""
    ids = list(range(2000, 2100))
    add_users(emulator, ids)
    live, dying = workers
    await dying._outbox.enqueue([row for m in _messages(ids) for row in dying._rows(m)])
    ended = int(time.time() * 1000) - 120_000
    assert dying.claims is not None
    dead = OutboxClaims(dying.claims._db, "dead", lease=60, clock_ms=lambda: ended)  # type: ignore[attr-defined]
    assert len(await dead.claim("vk", limit=1000)) == 100
    # Before dying it had sent the first 10 (VK took them; their answers never got stored).
    for row in await dying._outbox.pending(limit=10):
        await dying._api.request("messages.send", VkOutbound._params(row))
    assert await live.resume() == 100
    assert set((await sent_counts(control, ids)).values()) == {1}
    assert await live._outbox.counts("vk") == {"sent": 100}


async def test_a_send_waits_for_its_rows_held_by_a_dead_worker_and_sends_them(workers: list[VkOutbound],
                                                                              emulator: Emulator,
                                                                              control: EmulatorControl) -> None:
    """A worker that died held the wave's rows under a lease ending in half a second: the sender's own
    send_bulk does not report «not delivered yet» but waits, takes them when the lease ends, and sends each once."""
    ids = list(range(3000, 3050))
    add_users(emulator, ids)
    sender = workers[0]
    await sender._outbox.enqueue([row for m in _messages(ids) for row in sender._rows(m)])
    ends = int(time.time() * 1000) + 500
    assert sender.claims is not None
    dead = OutboxClaims(sender.claims._db, "dead", lease=60, clock_ms=lambda: ends - 60_000)  # type: ignore[attr-defined]
    assert len(await dead.claim("vk")) == 50
    deliveries = await sender.send_bulk(_messages(ids))
    assert all(d.ok for d in deliveries)
    assert set((await sent_counts(control, ids)).values()) == {1}
