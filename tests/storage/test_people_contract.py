"""One contract for every PeopleStore: SQLite, PostgreSQL and the in-memory fake."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain.models import Organization, Role
from bot.domain.names import name_key
from bot.ports import PeopleStore
from storage.people import PeopleRepo
from tests.conftest import open_backend
from tests.fakes.people import FakePeopleStore


@pytest.fixture(params=["sqlite", "postgres", "fake"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[PeopleStore]:
    if request.param == "fake":
        yield FakePeopleStore()
        return
    db = await open_backend(request.param, tmp_path, request)
    repo = PeopleRepo(db)
    await repo.sync_organizations([Organization(id="s1", name="Школа 1"), Organization(id="s2", name="Школа 2")])
    try:
        yield repo
    finally:
        await db.close()


async def test_add_and_get(store: PeopleStore) -> None:
    """A person comes back with the same fields, classes deduplicated in order."""
    added = await store.add("s1", "Иванова Анна Петровна", Role.TEACHER, vk_id=5, classes=["5А", "5А", "7Б"])
    got = await store.get(added.id)
    assert got == added and got.classes == ("5А", "7Б")
    assert await store.get(added.id + 100) is None


async def test_lookups(store: PeopleStore) -> None:
    """By VK id, by organization (sorted by name) and by normalized name."""
    b = await store.add("s1", "Петров Пётр", Role.TEACHER, vk_id=7)
    a = await store.add("s1", "Алексеева Вера", Role.DEPUTY)
    await store.add("s2", "Петров Пётр", Role.TEACHER)
    assert [p.id for p in await store.by_vk_id(7)] == [b.id]
    assert [p.id for p in await store.in_org("s1")] == [a.id, b.id]
    assert len(await store.by_name_key(name_key("петров петр"))) == 2
    assert [p.id for p in await store.by_name_key(name_key("Петров Петр"), "s1")] == [b.id]


async def test_bind_vk(store: PeopleStore) -> None:
    """Binding a VK account makes the person findable by it."""
    person = await store.add("s1", "Сидоров Павел", Role.TEACHER)
    assert await store.by_vk_id(42) == []
    await store.bind_vk(person.id, 42)
    assert [p.id for p in await store.by_vk_id(42)] == [person.id]


async def test_in_orgs_is_in_org_of_each(store: PeopleStore) -> None:
    """`in_orgs` answers for each organization asked what `in_org` answers, with the same filters and order."""
    await store.add("s1", "Яковлева Анна", Role.TEACHER, classes=["5А"])
    await store.add("s1", "Белова Ирина", Role.DEPUTY)
    await store.add("s2", "Абрамов Олег", Role.TEACHER)
    for kwargs in ({}, {"roles": [Role.DEPUTY]}, {"active_only": False}):
        found = await store.in_orgs(["s1", "s2", "s3"], **kwargs)  # type: ignore[arg-type]
        assert found == {org: await store.in_org(org, **kwargs) for org in ("s1", "s2", "s3")}  # type: ignore[arg-type]
    assert [p.full_name for p in (await store.in_orgs(["s1"]))["s1"]] == ["Белова Ирина", "Яковлева Анна"]
