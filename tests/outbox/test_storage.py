"""OutboxRepo on real SQLite: insert-or-ignore, state transitions, reachability."""

from __future__ import annotations

from storage.db import Database
from storage.outbox import NewOutboxMessage, OutboxRepo, SendResult
from storage.reach import mark_reachable_in


def _msg(key: str, peer: int = 5, text: str = "привет") -> NewOutboxMessage:
    return NewOutboxMessage(idem_key=key, peer_id=peer, random_id=123, message=text, kind="reminder")


async def _vk_user(db: Database, vk_id: int) -> tuple[int | None, int | None] | None:
    """What the default community knows of writing to `vk_id`: (can write, code)."""
    async with db.read() as conn, conn.execute(
        "SELECT can_write, code FROM reach WHERE messenger = 'vk' AND bot = 'main' AND account = ?", (vk_id,)
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else (row[0], row[1])


async def test_enqueue_ignores_known_keys(db: Database) -> None:
    """A second enqueue of the same idem_key stores nothing and keeps the first text."""
    repo = OutboxRepo(db)
    assert await repo.enqueue([_msg("a"), _msg("b")]) == 2
    assert await repo.enqueue([_msg("a", text="другой"), _msg("c")]) == 1
    rows = await repo.by_keys(["a", "b", "c", "zzz"])
    assert sorted(rows) == ["a", "b", "c"]
    assert rows["a"].message == "привет" and rows["a"].status == "pending"
    assert await repo.counts() == {"pending": 3}


async def test_each_bot_reads_only_its_rows(db: Database) -> None:
    """A row records the bot that sends it; pending() and counts() with `bots` see only those bots' rows
    (rows stored without a bot are the single form's, "main")."""
    repo = OutboxRepo(db)
    await repo.enqueue([_msg("old"), _msg("n1").model_copy(update={"bot": "north"}),
                        _msg("s1").model_copy(update={"bot": "south"}),
                        _msg("m1").model_copy(update={"bot": "south", "messenger": "max"})])
    assert [r.idem_key for r in await repo.pending(bots=("north", "main"))] == ["old", "n1"]
    assert [r.idem_key for r in await repo.pending(bots=("south",))] == ["s1"]
    assert [r.idem_key for r in await repo.pending(messenger="max", bots=("south",))] == ["m1"]
    assert [r.idem_key for r in await repo.pending()] == ["old", "n1", "s1"]
    assert await repo.counts("vk", bots=("south",)) == {"pending": 1}
    assert await repo.counts(bots=("south",)) == {"pending": 2}
    assert await repo.counts("vk") == {"pending": 3}


async def test_pending_pages_by_id(db: Database) -> None:
    """pending() returns pending rows after a cursor, oldest first."""
    repo = OutboxRepo(db)
    await repo.enqueue([_msg(f"k{i}") for i in range(5)])
    first = await repo.pending(limit=2)
    rest = await repo.pending(after_id=first[-1].id, limit=10)
    assert [r.idem_key for r in first + rest] == [f"k{i}" for i in range(5)]


async def test_state_transitions_and_sent_is_final(db: Database) -> None:
    """Rows move pending → sent/unreachable/failed; a sent row never changes again."""
    repo = OutboxRepo(db)
    await repo.enqueue([_msg("s", 11), _msg("u", 12), _msg("f", 13), _msg("p", 14)])
    rows = await repo.by_keys(["s", "u", "f", "p"])
    await repo.start_batch([r.id for r in rows.values()], "b1")
    await repo.record([
        SendResult(row_id=rows["s"].id, peer_id=11, status="sent", message_id=77),
        SendResult(row_id=rows["u"].id, peer_id=12, status="unreachable", error_code=901, error_msg="no"),
        SendResult(row_id=rows["f"].id, peer_id=13, status="failed", error_code=914, error_msg="long"),
        SendResult(row_id=rows["p"].id, peer_id=14, status="pending", error_code=6, error_msg="rate"),
    ])
    after = await repo.by_keys(["s", "u", "f", "p"])
    assert {k: r.status for k, r in after.items()} == {
        "s": "sent", "u": "unreachable", "f": "failed", "p": "pending"}
    assert after["s"].message_id == 77 and after["s"].sent_at is not None
    assert after["p"].attempts == 1 and after["p"].error_code == 6 and after["p"].batch == "b1"
    # A late, conflicting result for a sent row is ignored.
    await repo.record([SendResult(row_id=after["s"].id, peer_id=11, status="failed", error_code=10)])
    assert (await repo.by_keys(["s"]))["s"].status == "sent"
    assert await repo.counts() == {"sent": 1, "unreachable": 1, "failed": 1, "pending": 1}


async def test_reachability_is_recorded(db: Database) -> None:
    """Unreachable sends set vk_users.can_message=0 with the code; a later success sets 1."""
    repo = OutboxRepo(db)
    await repo.enqueue([_msg("u", 12), _msg("chat", 2000000001)])
    rows = await repo.by_keys(["u", "chat"])
    await repo.record([
        SendResult(row_id=rows["u"].id, peer_id=12, status="unreachable", error_code=902),
        SendResult(row_id=rows["chat"].id, peer_id=2000000001, status="unreachable", error_code=917),
    ])
    assert await _vk_user(db, 12) == (0, 902)
    assert await _vk_user(db, 2000000001) is None
    await repo.mark_user(12, None)
    assert await _vk_user(db, 12) == (1, None)
    await repo.mark_user(12, 944)
    assert await _vk_user(db, 12) == (0, 944)


async def test_rearm_failed_only(db: Database) -> None:
    """rearm_failed puts failed rows back to pending with fresh attempts, nothing else."""
    repo = OutboxRepo(db)
    await repo.enqueue([_msg("f", 1), _msg("u", 2), _msg("s", 3)])
    rows = await repo.by_keys(["f", "u", "s"])
    await repo.start_batch([r.id for r in rows.values()], "b")
    await repo.record([
        SendResult(row_id=rows["f"].id, peer_id=1, status="failed", error_code=10),
        SendResult(row_id=rows["u"].id, peer_id=2, status="unreachable", error_code=901),
        SendResult(row_id=rows["s"].id, peer_id=3, status="sent", message_id=1),
    ])
    assert await repo.rearm_failed(["f", "u", "s"]) == 1
    after = await repo.by_keys(["f", "u", "s"])
    assert (after["f"].status, after["f"].attempts) == ("pending", 0)
    assert after["u"].status == "unreachable" and after["s"].status == "sent"


async def test_a_persons_dialog_is_kept_per_max_bot(db: Database) -> None:
    """Each MAX bot has its own dialog with a person: remembering one leaves the other's alone."""
    repo = OutboxRepo(db)
    await repo.set_dialog(5, 77)
    await repo.set_dialog(5, 88, "south")
    await repo.set_dialog(5, 79)
    assert (await repo.dialog_of(5), await repo.dialog_of(5, "south"), await repo.dialog_of(5, "north")) == (79, 88, None)


async def test_a_batch_is_started_and_recorded_set_wise(db: Database) -> None:
    """start_batch and record take a page of rows (past one statement's 500) in a few statements: every row
    gets its own message id (cmid NULL where VK gave none), one attempt and the batch tag; a person sent two
    chunks in one batch is marked reachable once; rows not pending are left alone."""
    repo = OutboxRepo(db)
    await repo.enqueue([_msg(f"k{i}", 1000 + i // 2) for i in range(620)])
    rows = sorted((await repo.by_keys([f"k{i}" for i in range(620)])).values(), key=lambda r: r.id)
    done = rows[0]
    await repo.record([SendResult(row_id=done.id, peer_id=done.peer_id, status="failed", error_code=914)])
    await repo.start_batch([r.id for r in rows], "big")
    await repo.record([SendResult(row_id=r.id, peer_id=r.peer_id, status="sent", message_id=50_000 + i,
                                  cmid=(i if i % 3 else None)) for i, r in enumerate(rows)])
    after = await repo.by_keys([f"k{i}" for i in range(620)])
    assert after["k0"].status == "failed" and after["k0"].attempts == 0 and after["k0"].message_id is None
    for i in range(1, 620):
        row = after[f"k{i}"]
        assert (row.status, row.message_id, row.cmid, row.attempts, row.batch) == (
            "sent", 50_000 + i, i if i % 3 else None, 1, "big"), i
        assert row.sent_at is not None and row.error_code is None
    assert await repo.counts() == {"sent": 619, "failed": 1}
    assert await _vk_user(db, 1000) == (1, None) and await _vk_user(db, 1309) == (1, None)
    async with db.read() as conn, conn.execute("SELECT COUNT(*) FROM reach") as cur:
        assert (await cur.fetchone())[0] == 310


async def test_a_reachable_person_is_not_rewritten(db: Database) -> None:
    """Marking a reachable person reachable again leaves their row as it was (no write per message)."""
    repo = OutboxRepo(db)
    await repo.mark_user(7, None)
    before = await _updated_at(db, 7)
    async with db.transaction() as conn:
        await mark_reachable_in(conn, "main", [(7, "2099-01-01T00:00:00+00:00"), (8, "2099-01-01T00:00:00+00:00")])
    assert await _updated_at(db, 7) == before and await _vk_user(db, 8) == (1, None)


async def _updated_at(db: Database, vk_id: int) -> str:
    async with db.read() as conn, conn.execute("SELECT updated_at FROM reach WHERE messenger = 'vk' AND bot = 'main' AND account = ?", (vk_id,)) as cur:
        row = await cur.fetchone()
    return str(row[0])
