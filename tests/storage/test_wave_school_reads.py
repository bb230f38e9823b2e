"""The multi-school reads a reminder wave makes of other features' data, on SQLite and PostgreSQL: the chats
migration of several schools (`ChatsSql.schools`) and what a bot knows of writing to their people
(`ReachRepo.people_of`) give each school exactly what its own read gives, in the same order."""

from __future__ import annotations

from bot.domain.models import Organization, Role
from storage.chats import ChatsRepo, ChatsSql
from storage.people import ORG_CHUNK, PeopleRepo
from storage.reach import ReachRepo
from storage.sql import Database as AnyDatabase

SCHOOLS = ["s1", "s2", "s3"]  # s3 has nobody


async def _region(db: AnyDatabase) -> dict[str, list[int]]:
    """Three schools; s1 and s2 with teachers (one of them gone), a deputy, added chats and confirmations."""
    people = PeopleRepo(db)
    await people.sync_organizations([Organization(id=org, name=f"Школа {org}") for org in SCHOOLS])
    ids: dict[str, list[int]] = {}
    for n, org in enumerate(SCHOOLS[:2]):
        found = [(await people.add(org, f"{name} Анна Петровна", Role.TEACHER, vk_id=100 * (n + 1) + k)).id
                 for k, name in enumerate(["Яковлева", "Абрамова", "Миронова"])]
        found.append((await people.add(org, "Заместитель Ольга", Role.DEPUTY)).id)
        ids[org] = found
    async with db.transaction() as conn:
        await conn.execute("UPDATE people SET active = 0 WHERE id = ?", (ids["s2"][2],))
        for org in SCHOOLS[:2]:
            await ChatsRepo.add_custom(conn, org, ids[org][1], f"Кружок {org}")
            removed = await ChatsRepo.add_custom(conn, org, ids[org][0], "Убранный")
            await ChatsRepo.remove_custom(conn, ids[org][0], removed.id)
            conf = await ChatsRepo.ensure(conn, org, ids[org][0], "class:5А:parents", "Чат с родителями 5А")
            await ChatsRepo.confirm(conn, conf.id, {"messenger": "viber"}, f"AB{org.upper()}CD")
            await ChatsRepo.ensure(conn, org, ids[org][1], "class:6Б:pupils", "Чат с учениками 6Б")
    reach = ReachRepo(db)
    await reach.allow(100, bot="north")
    await reach.deny(101, bot="north")
    await reach.deny(200, bot="main")
    return ids


async def test_chats_of_several_schools_are_each_schools_own(each_db: AnyDatabase) -> None:
    """`schools` gives each school what `school` gives it (active people, added chats not removed, every
    confirmation, in order), an empty one for a school with nothing, and nothing for none asked."""
    await _region(each_db)
    store = ChatsSql(each_db)
    together = await store.schools(SCHOOLS)
    assert list(together) == SCHOOLS
    for org in SCHOOLS:
        assert together[org] == await store.school(org)
    assert [len(together[org].people) for org in SCHOOLS] == [4, 3, 0]
    assert [c.title for c in together["s1"].customs] == ["Кружок s1"]
    assert [c.status for c in together["s2"].confirmations] == ["confirmed", "draft"]
    assert await store.schools([]) == {}


async def test_chats_of_more_schools_than_one_query_reads(each_db: AnyDatabase) -> None:
    """Schools past `ORG_CHUNK` are read by the next query: every asked school is in the answer."""
    await _region(each_db)
    asked = [*SCHOOLS, *(f"x{n}" for n in range(ORG_CHUNK))]
    together = await ChatsSql(each_db).schools(asked)
    assert list(together) == asked and len(together["s1"].people) == 4 and together["x0"].people == []


async def test_reach_of_several_schools_is_each_schools_own(each_db: AnyDatabase) -> None:
    """`people_of` gives each school the rows `people` gives it through the same bots (the bot's own row
    first, then the carried-over one), in the same order; a school with nobody has no rows."""
    await _region(each_db)
    repo = ReachRepo(each_db)
    for bots in (("north", "main"), ("main",)):
        together = await repo.people_of(SCHOOLS, bots=bots)
        assert list(together) == SCHOOLS
        for org in SCHOOLS:
            assert together[org] == await repo.people(org, bots=bots)
    rows = await repo.people_of(["s1", "s2"], bots=("north", "main"))
    assert [(r.vk_id, r.can_message, r.code) for r in rows["s1"]] == [
        (101, False, 902), (None, None, None), (102, None, None), (100, True, None)]
    assert [(r.vk_id, r.unreachable) for r in rows["s2"]] == [(201, False), (None, True), (200, True)]
