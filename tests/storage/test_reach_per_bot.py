"""Reachability per (messenger, bot, account) on SQLite and PostgreSQL: what one bot learnt is not another's;
the default bot reads what was carried over from before bots had names (migration 0029)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain.models import Organization, Role
from storage.identity import IdentityRepo
from storage.max_users import MaxUsersRepo
from storage.outbox import OutboxRepo, SendResult
from storage.people import PeopleRepo
from storage.reach import ReachRepo
from storage.sql import Database
from tests.conftest import open_backend

NORTH, SOUTH = ("north", "main"), ("south",)  # north is the default bot; south a further one


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_backend(request.param, tmp_path, request)
    await PeopleRepo(database).sync_organizations([Organization(id="s1", name="Школа 1")])
    try:
        yield database
    finally:
        await database.close()


async def _reach(db: Database) -> list[tuple[str, str, int, int, int | None]]:
    async with db.read() as conn, conn.execute(
            "SELECT messenger, bot, account, can_write, code FROM reach ORDER BY messenger, bot, account") as cur:
        return [tuple(r) for r in await cur.fetchall()]  # type: ignore[misc]


async def test_one_bots_permission_is_not_anothers(db: Database) -> None:
    """Allowed in north, denied in south: each bot reads its own; south checks the person, north does not."""
    await PeopleRepo(db).add("s1", "Иванова Анна", Role.TEACHER, vk_id=11)
    repo = ReachRepo(db)
    await repo.allow(11, bot="north")
    await repo.deny(11, bot="south")
    [north] = await repo.people("s1", bots=NORTH)
    [south] = await repo.people("s1", bots=SOUTH)
    assert (north.unreachable, north.can_message) == (False, True)
    assert (south.unreachable, south.code) == (True, 902)
    assert await repo.to_check("s1", bots=NORTH) == []
    assert await repo.to_check("s1", bots=SOUTH) == [11]
    await repo.apply_checks([(11, True)], bot="south")
    assert (await repo.people("s1", bots=SOUTH))[0].can_message is True
    assert await _reach(db) == [("vk", "north", 11, 1, None), ("vk", "south", 11, 1, None)]


async def test_the_default_bot_reads_carried_rows_until_it_learns_its_own(db: Database) -> None:
    """A 'main' row counts for the default bot (named north) and for no further bot; north's own row wins."""
    await PeopleRepo(db).add("s1", "Иванова Анна", Role.TEACHER, vk_id=12)
    repo = ReachRepo(db)
    await repo.allow(12, bot="main")
    assert (await repo.people("s1", bots=NORTH))[0].can_message is True
    assert (await repo.people("s1", bots=SOUTH))[0].can_message is None
    await repo.deny(12, bot="north")
    assert (await repo.people("s1", bots=NORTH))[0].code == 902
    assert await repo.to_check("s1", bots=NORTH) == [12]


async def test_sends_and_messages_record_the_bot_that_learnt_it(db: Database) -> None:
    """A batch sent by south, a direct reply by north and a message to south are each recorded for that bot."""
    outbox = OutboxRepo(db)
    await outbox.record([SendResult(row_id=1, peer_id=21, status="unreachable", error_code=901),
                         SendResult(row_id=2, peer_id=22, status="sent")], bot="south")
    await outbox.mark_user(21, None, bot="north")
    await IdentityRepo(db).note_user(23, "Анна", "Иванова", wrote=True, bot="south")
    await IdentityRepo(db).note_user(24, "Пётр", "Петров")  # seen, never wrote: nothing known
    assert await _reach(db) == [("vk", "north", 21, 1, None), ("vk", "south", 21, 0, 901),
                                ("vk", "south", 22, 1, None), ("vk", "south", 23, 1, None)]


async def test_max_bots_know_their_own_dialogs(db: Database) -> None:
    """A MAX user who started north is unknown to south; south's 403 does not touch north's row."""
    people = PeopleRepo(db)
    person = await people.add("s1", "Иванова Анна", Role.TEACHER)
    await people.bind_max(person.id, 7101)
    north, south = MaxUsersRepo(db, NORTH), MaxUsersRepo(db, SOUTH)
    await north.mark(7101, True)
    assert (await north.can_write(7101), await south.can_write(7101)) == (True, None)
    await south.mark(7101, False, "человек не запускал бота")
    assert (await north.can_write(7101), await south.reason(7101)) == (True, "человек не запускал бота")
    [row] = await ReachRepo(db).max_people("s1", bots=SOUTH)
    assert (row.can_write, row.reason) == (False, "человек не запускал бота")
    assert [r.can_write for r in await ReachRepo(db).max_people("s1", bots=NORTH)] == [True]
    await MaxUsersRepo(db, ("main",)).mark(7102, False)
    assert (await north.can_write(7102), await south.can_write(7102)) == (False, None)
