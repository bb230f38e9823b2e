"""A MAX row is marked 'sending' only while the poster's claim holds, and a lease is renewed only for its
holder (migration 0026's columns), on SQLite and PostgreSQL."""

from __future__ import annotations

from storage.claims import OutboxClaims
from storage.outbox import NewOutboxMessage, OutboxRepo
from storage.sql import Database

NOW = 1_800_000_000_000


async def _row_held_by(each_db: Database, worker: str | None, lease_until: int | None) -> int:
    outbox = OutboxRepo(each_db)
    await outbox.enqueue([NewOutboxMessage(idem_key="k1", peer_id=5, messenger="max", message="Напоминание")])
    async with each_db.transaction() as conn:
        await conn.execute("UPDATE outbox SET claimed_by = ?, lease_until = ?", (worker, lease_until))
    return (await outbox.by_keys(["k1"]))["k1"].id


async def test_only_the_holder_with_enough_lease_left_may_mark_a_row_sending(each_db: Database) -> None:
    """Another worker's row, or ours with less lease left than asked: refused and unchanged; ours: marked."""
    row_id = await _row_held_by(each_db, "a", NOW + 10_000)
    outbox = OutboxRepo(each_db)
    assert not await outbox.mark_sending(row_id, "f", held=("b", NOW))
    assert not await outbox.mark_sending(row_id, "f", held=("a", NOW + 10_001))
    assert (await outbox.by_keys(["k1"]))["k1"].status == "pending"
    assert await outbox.mark_sending(row_id, "f", held=("a", NOW + 10_000))
    row = (await outbox.by_keys(["k1"]))["k1"]
    assert (row.status, row.attempts) == ("sending", 1)


async def test_without_claims_a_row_is_marked_as_before(each_db: Database) -> None:
    """One process alone (SQLite, or PostgreSQL with one worker): no claim is asked for."""
    row_id = await _row_held_by(each_db, None, None)
    assert await OutboxRepo(each_db).mark_sending(row_id, "f")


async def test_renewal_extends_only_the_holders_rows(each_db: Database) -> None:
    """Our row's lease moves on; a row another worker took is not ours: renewal leaves it and says so."""
    row_id = await _row_held_by(each_db, "a", NOW + 1_000)
    ours = OutboxClaims(each_db, "a", lease=60, clock_ms=lambda: NOW + 500)
    assert await ours.renew([row_id]) == {row_id}
    assert ours.fence() == ("a", NOW + 500 + 30_000)
    assert await OutboxRepo(each_db).mark_sending(row_id, "f", held=ours.fence()), "the renewed lease did not hold"
    other = OutboxClaims(each_db, "b", lease=60, clock_ms=lambda: NOW + 500)
    assert await other.renew([row_id]) == set()
    async with each_db.read() as conn, conn.execute("SELECT claimed_by, lease_until FROM outbox") as cur:
        assert tuple(await cur.fetchone() or ()) == ("a", NOW + 60_500)


async def test_chats_with_unfinished_rows_not_ours_are_named_with_their_earliest(each_db: Database) -> None:
    """Chat 5 has an unclaimed row and another worker's, chat 6 only ours, chat 7 only finished rows, chat 8 a
    row of another bot: only chat 5 is named, with its earliest such row."""
    outbox = OutboxRepo(each_db)
    await outbox.enqueue([NewOutboxMessage(idem_key=f"k{n}", peer_id=peer, messenger="max", message="м", bot=bot)
                          for n, (peer, bot) in enumerate([(5, "main"), (5, "main"), (6, "main"), (7, "main"),
                                                           (8, "other")])])
    ids = {k: r.id for k, r in (await outbox.by_keys([f"k{n}" for n in range(5)])).items()}
    async with each_db.transaction() as conn:
        await conn.execute("UPDATE outbox SET claimed_by = 'b' WHERE id = ?", (ids["k1"],))
        await conn.execute("UPDATE outbox SET claimed_by = 'a' WHERE id = ?", (ids["k2"],))
        await conn.execute("UPDATE outbox SET status = 'sent' WHERE id = ?", (ids["k3"],))
    ours = OutboxClaims(each_db, "a")
    assert await ours.held_elsewhere("max", [5, 6, 7, 8], ids["k4"] + 1, ("pending", "sending"), ("main",)) == {
        5: ids["k0"]}
    assert await ours.held_elsewhere("max", [5, 6], ids["k0"], ("pending", "sending"), ("main",)) == {}, \
        "a row at or after `before` counted"
    assert await ours.held_elsewhere("max", [], 100, ("pending",)) == {}
