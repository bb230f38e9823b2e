"""An in-memory PeopleStore for service tests (kept honest by the contract suite)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.domain.models import Person, Role
from bot.domain.names import name_key


class FakePeopleStore:
    def __init__(self) -> None:
        self._people: dict[int, Person] = {}

    async def add(self, org_id: str | None, full_name: str, role: Role, *, vk_id: int | None = None,
                  classes: Iterable[str] = (), source: str = "roster") -> Person:
        person = Person(id=len(self._people) + 1, org_id=org_id, full_name=full_name, role=role,
                        vk_id=vk_id, classes=tuple(dict.fromkeys(classes)), source=source)
        self._people[person.id] = person
        return person

    async def get(self, person_id: int) -> Person | None:
        return self._people.get(person_id)

    async def by_vk_id(self, vk_id: int) -> list[Person]:
        return [p for p in self._sorted() if p.vk_id == vk_id and p.active]

    async def by_max_id(self, max_id: int) -> list[Person]:
        return [p for p in self._sorted() if p.max_id == max_id and p.active]

    async def in_org(self, org_id: str, *, active_only: bool = True,
                     roles: Sequence[Role] | None = None) -> list[Person]:
        return [p for p in self._sorted() if p.org_id == org_id and (p.active or not active_only)
                and (roles is None or p.role in roles)]

    async def in_orgs(self, org_ids: Sequence[str], *, active_only: bool = True,
                      roles: Sequence[Role] | None = None) -> dict[str, list[Person]]:
        return {org_id: await self.in_org(org_id, active_only=active_only, roles=roles) for org_id in org_ids}

    async def by_name_key(self, key: str, org_id: str | None = None) -> list[Person]:
        return [p for p in self._sorted() if name_key(p.full_name) == key and p.active
                and (org_id is None or p.org_id == org_id)]

    async def bind_vk(self, person_id: int, vk_id: int) -> None:
        self._people[person_id] = self._people[person_id].model_copy(update={"vk_id": vk_id})

    def _sorted(self) -> list[Person]:
        return sorted(self._people.values(), key=lambda p: (p.full_name, p.id))
