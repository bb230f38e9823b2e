"""Two workers share MAX's outbox on a real PostgreSQL with a lease shorter than a page takes to send:
the lease is renewed while sending, a worker that lost its rows stops, and no row is posted twice.

Time is a clock the test moves: each POST takes a fifth of a second of it (a slow sender, as MAX's 30 requests/s
shared by many workers, or a long 429 wait), and the lease heartbeat waits on the same clock.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from bot.max.budget import MaxBudget
from bot.max.client import MaxClient
from bot.max.messenger import MaxMessenger
from bot.max.outbound import MaxOutbound
from bot.messaging.events import Messenger
from bot.messaging.leases import HeldRows
from bot.ports import OutMessage
from max_emulator import MaxEmulator
from storage.claims import OutboxClaims
from storage.outbox import OutboxRepo
from storage.pg import PgDatabase

LEASE = 2.0
PEOPLE = [60_000 + i for i in range(60)]


class Time:
    """A clock in ms that only the test (and the fake sender) moves. A live worker's heartbeat is on time: when
    the clock moves, every sleeper it wakes does its beat (renews, and sleeps again or ends) before it moves on."""

    def __init__(self) -> None:
        self.ms = 1_800_000_000_000
        self._sleepers: list[tuple[int, asyncio.Future[None], asyncio.Task[Any]]] = []
        self._beating: dict[asyncio.Task[Any], asyncio.Event] = {}

    def now_ms(self) -> int:
        return self.ms

    async def advance(self, seconds: float) -> None:
        self.ms += int(seconds * 1000)
        due = [s for s in self._sleepers if s[0] <= self.ms]
        self._sleepers = [s for s in self._sleepers if s[0] > self.ms]
        for _, woken, task in due:
            if woken.done():  # its sleeper was cancelled (a heartbeat stopped) and has not run its finally yet
                continue
            self._beating[task] = asyncio.Event()
            woken.set_result(None)
        for _, _, task in due:
            beat = self._beating.get(task)
            if beat is None:
                continue
            done = asyncio.ensure_future(beat.wait())
            await asyncio.wait([done, task], return_when=asyncio.FIRST_COMPLETED)
            done.cancel()
            self._beating.pop(task, None)

    async def sleep(self, seconds: float) -> None:
        me = asyncio.current_task()
        assert me is not None
        if (beat := self._beating.pop(me, None)) is not None:
            beat.set()
        woken = asyncio.get_running_loop().create_future()
        entry = (self.ms + int(seconds * 1000), woken, me)
        self._sleepers.append(entry)
        try:
            await woken
        finally:
            if entry in self._sleepers:
                self._sleepers.remove(entry)


class SlowMax:
    """A MAX that takes every POST, each a fifth of a second of the test's clock; counts what each person got."""

    def __init__(self, time: Time, posts: Counter[tuple[int, str]]) -> None:
        self.time = time
        self.posts = posts
        self.budget = MaxBudget()
        self.count = 0

    async def call(self, verb: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None,
                   chat: int | None = None, **_: Any) -> dict[str, Any]:
        assert (verb, path) == ("POST", "/messages") and params is not None
        self.posts[(params["user_id"], body["text"])] += 1
        self.count += 1
        await self.time.advance(0.2)
        return {"message": {"body": {"mid": f"mid.{params['user_id']}.{self.count}.{id(self)}", "seq": self.count}}}


def _worker(db: PgDatabase, name: str, time: Time, posts: Counter[tuple[int, str]]) -> tuple[MaxOutbound, SlowMax]:
    client = SlowMax(time, posts)

    async def backoff(_: float) -> None:
        await time.advance(0.1)  # waiting for the other worker's rows lets time pass, as it does

    sender = MaxOutbound(client, OutboxRepo(db), MaxMessenger(client), concurrency=2, sleep=backoff)  # type: ignore[arg-type]
    sender.claims = OutboxClaims(db, name, lease=LEASE, clock_ms=time.now_ms)
    sender.lease_sleep = time.sleep
    return sender, client


def _wave() -> list[OutMessage]:
    return [OutMessage(peer_id=p, messenger=Messenger.MAX, text=f"Напоминание для {p}", kind="reminder",
                       idem_key=f"s1:reminder:w:{p}") for p in PEOPLE]


async def test_two_workers_with_a_short_lease_post_each_row_once(pools: list[PgDatabase]) -> None:
    """A page takes far longer than the 2 s lease to send; both workers drain at once: every person gets their
    message exactly once, every row ends 'sent', and both workers took part."""
    time, posts = Time(), Counter[tuple[int, str]]()
    (first, first_max), (second, second_max) = _worker(pools[0], "a", time, posts), _worker(pools[1], "b", time, posts)
    await first._outbox.enqueue([row for m in _wave() for row in first._rows(m)])
    await asyncio.wait_for(asyncio.gather(first._drain(), second._drain()), 60)
    assert posts == Counter({(p, f"Напоминание для {p}"): 1 for p in PEOPLE})
    assert await first._outbox.counts("max") == {"sent": len(PEOPLE)}
    assert first_max.count > 0 and second_max.count > 0
    assert time.ms - 1_800_000_000_000 > 4 * LEASE * 1000, "the wave took less than a few leases: nothing tested"


async def test_a_renewed_lease_keeps_the_rows_and_a_lost_one_stops_the_worker(pools: list[PgDatabase]) -> None:
    """Renewed at 1.5 s, the rows stay the first worker's past the first lease's end; not renewed for longer
    than a lease, another worker takes them, and the first learns so and may post none of them."""
    time = Time()
    outbox = OutboxRepo(pools[0])
    await outbox.enqueue([row for m in _wave()[:10] for row in _worker(pools[0], "x", time, Counter())[0]._rows(m)])
    a = OutboxClaims(pools[0], "a", lease=LEASE, clock_ms=time.now_ms)
    b = OutboxClaims(pools[1], "b", lease=LEASE, clock_ms=time.now_ms)
    rows = await a.claim("max", statuses=("pending", "sending"))
    held = HeldRows(a, [r.id for r in rows])
    await time.advance(1.5)
    await held.renew()
    await time.advance(1.5)  # past the first lease's end, inside the renewed one
    assert await b.claim("max", statuses=("pending", "sending")) == []
    assert held.lost == set()

    await time.advance(LEASE + 0.1)  # no renewal for longer than a lease (the database did not answer)
    taken = await b.claim("max", statuses=("pending", "sending"))
    assert [r.id for r in taken] == [r.id for r in rows]
    await held.renew()
    assert held.lost == {r.id for r in rows} and held.unsent == set()
    assert not await outbox.mark_sending(rows[0].id, "f", held=a.fence()), "the old holder could still post"
    assert await outbox.mark_sending(rows[0].id, "f", held=b.fence())


async def test_a_page_is_sized_to_the_workers_share_of_the_rate(pools: list[PgDatabase]) -> None:
    """At 4 requests/s (MAX's 30 shared by seven workers) and a 2 s lease, a worker claims 4 rows, not 300."""
    time = Time()
    sender, client = _worker(pools[0], "a", time, Counter())
    await sender._outbox.enqueue([row for m in _wave() for row in sender._rows(m)])
    client.budget.overall.set_rps(4)
    assert len(await sender._page(0)) == 4
    client.budget.overall.set_rps(30)
    assert len(await sender._page(0)) == 30, "the held rows are ours again, and the page grows with the rate"


async def test_a_chats_later_rows_wait_for_its_earlier_ones_held_by_another_worker(pools: list[PgDatabase]) -> None:
    """Two messages to one person: the first worker holds the first, so the second worker's page leaves the
    second (given back, unclaimed) and keeps the other chats' rows; once the first is sent it is anyone's."""
    time = Time()
    first, _ = _worker(pools[0], "a", time, Counter())
    second, _ = _worker(pools[1], "b", time, Counter())
    person, other = PEOPLE[0], PEOPLE[1]
    messages = [OutMessage(peer_id=p, messenger=Messenger.MAX, text=f"Сообщение {n}", idem_key=f"k{n}:{p}")
                for n, p in ((1, person), (2, person), (3, other))]
    await first._outbox.enqueue([row for m in messages for row in first._rows(m)])
    first.claim_page = 1
    [held] = await first._page(0)
    assert (held.peer_id, held.message) == (person, "Сообщение 1")
    assert [(r.peer_id, r.message) for r in await second._page(0)] == [(other, "Сообщение 3")]
    rows = await first._outbox.by_keys([f"k2:{person}"])
    assert rows[f"k2:{person}"].status == "pending"
    async with pools[0].read() as conn, conn.execute(
            "SELECT claimed_by FROM outbox WHERE idem_key = ?", (f"k2:{person}",)) as cur:
        assert tuple(await cur.fetchone() or ()) == (None,), "the row was kept from the others"
    await first._outbox.finish_max(held.id, "sent", mid="mid.1")
    assert [(r.peer_id, r.message) for r in await second._page(0)] == [(person, "Сообщение 2"), (other, "Сообщение 3")]


async def test_two_workers_write_into_each_chat_in_order_through_the_emulator(pools: list[PgDatabase]) -> None:
    """Four messages to each of ten people, stored wave by wave; two workers (each its own client and budget, as
    two processes) send in small pages at once through the MAX emulator with its 2 sends/s per chat: each person
    gets each message once and in order."""
    emu = MaxEmulator(token="mt", bot_id=9000, seed=5)
    await emu.start()
    people = PEOPLE[:10]
    emu.seed_users([{"user_id": p, "first_name": f"Учитель{p}"} for p in people])
    clients = [MaxClient("mt", emu.base_url), MaxClient("mt", emu.base_url)]
    try:
        senders = []
        for name, db, client in zip(("a", "b"), pools, clients, strict=True):
            sender = MaxOutbound(client, OutboxRepo(db), MaxMessenger(client), concurrency=4, retry_base=0.01)
            sender.claims = OutboxClaims(db, name, lease=60)
            sender.claim_page = 6
            senders.append(sender)
        for person in people:
            await senders[0].remember_dialog(person, emu.ops.start(person, {})["chat_id"])
        wave = [OutMessage(peer_id=p, messenger=Messenger.MAX, text=f"Часть {n}", idem_key=f"k{n}:{p}")
                for n in range(1, 5) for p in people]
        await senders[0]._outbox.enqueue([row for m in wave for row in senders[0]._rows(m)])
        await asyncio.wait_for(asyncio.gather(*(s._drain() for s in senders)), 60)
        for person in people:
            chat = int(emu.ops.core.users[person].dialog_id)
            assert [m["text"] for m in emu.ops.sent_items(chat, None)] == [f"Часть {n}" for n in range(1, 5)]
        assert await senders[0]._outbox.counts("max") == {"sent": 40}
    finally:
        for client in clients:
            await client.close()
        await emu.stop()
    assert emu.state.schema_violations == []
