"""Organizations, people, their classes and VK accounts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.domain.models import Organization, Person, Role
from bot.domain.names import name_key
from storage._util import iso
from storage.sql import Connection, Database, insert_id

_PERSON_COLS = "p.id, p.org_id, p.full_name, p.role, p.vk_id, p.active, p.source, p.max_id"
# Values in one IN (...) list: well below SQLite's and asyncpg's limits on bound parameters (32,766).
IN_CHUNK = 5000
# Organizations read by one query of `in_orgs` (a region's schools of ~60 people each: ~12,000 rows).
ORG_CHUNK = 200


async def _classes(conn: Connection, ids: list[int]) -> dict[int, tuple[str, ...]]:
    result: dict[int, list[str]] = {i: [] for i in ids}
    if not ids:
        return {}
    if conn.dialect == "postgres":
        # One array instead of IN lists of thousands of placeholders (each a new statement to parse and plan).
        async with conn.execute("SELECT person_id, class_name FROM person_classes WHERE person_id = ANY(?::bigint[]) "
                                "ORDER BY class_name", (ids,)) as cur:
            async for row in cur:
                result[row[0]].append(row[1])
        return {k: tuple(v) for k, v in result.items()}
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start:start + IN_CHUNK]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT person_id, class_name FROM person_classes WHERE person_id IN ({marks}) ORDER BY class_name"  # noqa: S608 - placeholders only
        async with conn.execute(sql, chunk) as cur:
            async for row in cur:
                result[row[0]].append(row[1])
    return {k: tuple(v) for k, v in result.items()}


async def _people(conn: Connection, where: str, params: Iterable[object]) -> list[Person]:
    sql = f"SELECT {_PERSON_COLS} FROM people p WHERE {where} ORDER BY p.full_name, p.id"  # noqa: S608 - fixed fragments
    async with conn.execute(sql, tuple(params)) as cur:
        rows = list(await cur.fetchall())
    classes = await _classes(conn, [r[0] for r in rows])
    # Every field is given with its type (the schema's CHECKs and column types keep them so):
    # a school of thousands is built without validating each value again.
    return [
        Person.model_construct(
            id=r[0], org_id=r[1], full_name=r[2], role=Role(r[3]), vk_id=r[4],
            active=bool(r[5]), source=r[6], classes=classes.get(r[0], ()), max_id=r[7],
        )
        for r in rows
    ]


class PeopleRepo:
    """Organizations and people in SQLite."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def sync_organizations(self, orgs: Iterable[Organization]) -> None:
        """Insert or update the organizations named in the config."""
        async with self._db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO organizations(id, name, timezone, inn) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET name=excluded.name, timezone=excluded.timezone, inn=excluded.inn",
                [(o.id, o.name, o.timezone, o.inn) for o in orgs],
            )

    async def organizations(self) -> list[Organization]:
        async with self._db.read() as conn, conn.execute(
            "SELECT id, name, timezone, inn FROM organizations ORDER BY id"
        ) as cur:
            return [Organization(id=r[0], name=r[1], timezone=r[2], inn=r[3]) for r in await cur.fetchall()]

    async def ensure_config_person(self, org_id: str | None, vk_id: int, role: Role, full_name: str) -> Person:
        """The person named in the config (a deputy, the director, a district official)."""
        async with self._db.transaction() as conn:
            found = await _people(conn, "p.vk_id = ? AND p.org_id IS NOT DISTINCT FROM ?", (vk_id, org_id))
            if not found and role is Role.DIRECTOR:
                # The school's director the config already named by a MAX id: the same person.
                found = (await _people(conn, "p.vk_id IS NULL AND p.org_id IS NOT DISTINCT FROM ? AND p.role = ? AND "
                                       "p.source = 'config'", (org_id, role.value)))[:1]
            now = iso()
            if found:
                person = found[0]
                await conn.execute(
                    "UPDATE people SET role = ?, vk_id = ?, source = 'config', active = 1, left_at = NULL, "
                    "updated_at = ? WHERE id = ?",
                    (role.value, vk_id, now, person.id),
                )
                return person.model_copy(update={"role": role, "vk_id": vk_id, "source": "config", "active": True})
            new_id = await insert_id(
                conn, "INSERT INTO people(org_id, full_name, name_key, role, vk_id, source, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, 'config', ?, ?)",
                (org_id, full_name, name_key(full_name), role.value, vk_id, now, now),
            )
            return Person(id=new_id or 0, org_id=org_id, full_name=full_name, role=role,
                          vk_id=vk_id, source="config")

    async def ensure_config_max_person(self, org_id: str | None, max_id: int, role: Role,
                                       full_name: str) -> Person:
        """The person the config names by a MAX id: the one already bound to it, else the config person
        of that role in the school still without a MAX id (the same director named by VK id), else new."""
        async with self._db.transaction() as conn:
            now = iso()
            found = await _people(conn, "p.max_id = ? AND p.org_id IS NOT DISTINCT FROM ?", (max_id, org_id))
            if not found:
                found = await _people(conn, "p.max_id IS NULL AND p.org_id IS NOT DISTINCT FROM ? AND p.role = ? AND p.source = 'config'",
                                      (org_id, role.value))
                found = found[:1] if role is Role.DIRECTOR else []
            if found:
                person = found[0]
                await conn.execute(
                    "UPDATE people SET role = ?, max_id = ?, source = 'config', active = 1, left_at = NULL, "
                    "updated_at = ? WHERE id = ?", (role.value, max_id, now, person.id))
                return person.model_copy(update={"role": role, "max_id": max_id, "source": "config",
                                                 "active": True})
            new_id = await insert_id(
                conn, "INSERT INTO people(org_id, full_name, name_key, role, max_id, source, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, 'config', ?, ?)",
                (org_id, full_name, name_key(full_name), role.value, max_id, now, now),
            )
            return Person(id=new_id or 0, org_id=org_id, full_name=full_name, role=role,
                          max_id=max_id, source="config")

    async def by_max_id(self, max_id: int) -> list[Person]:
        """The active people bound to this MAX account."""
        async with self._db.read() as conn:
            return await _people(conn, "p.max_id = ? AND p.active = 1", (max_id,))

    async def add(self, org_id: str | None, full_name: str, role: Role, *, vk_id: int | None = None,
                  classes: Iterable[str] = (), source: str = "roster") -> Person:
        """Add one person (used by fixtures, tests and identification)."""
        async with self._db.transaction() as conn:
            return await self.add_in(conn, org_id, full_name, role, vk_id=vk_id, classes=classes, source=source)

    @staticmethod
    async def add_in(conn: Connection, org_id: str | None, full_name: str, role: Role, *,
                     vk_id: int | None = None, classes: Iterable[str] = (), source: str = "roster") -> Person:
        """`add` inside a transaction the caller holds."""
        now = iso()
        pid = await insert_id(
            conn, "INSERT INTO people(org_id, full_name, name_key, role, vk_id, source, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (org_id, full_name, name_key(full_name), role.value, vk_id, source, now, now),
        ) or 0
        cls = tuple(dict.fromkeys(classes))
        await conn.executemany("INSERT INTO person_classes(person_id, class_name) VALUES (?, ?)",
                               [(pid, c) for c in cls])
        return Person(id=pid, org_id=org_id, full_name=full_name, role=role, vk_id=vk_id,
                      classes=cls, source=source)

    async def get(self, person_id: int) -> Person | None:
        async with self._db.read() as conn:
            found = await _people(conn, "p.id = ?", (person_id,))
        return found[0] if found else None

    async def by_vk_id(self, vk_id: int) -> list[Person]:
        """Active people bound to this VK account (one per organization at most)."""
        async with self._db.read() as conn:
            return await _people(conn, "p.vk_id = ? AND p.active = 1", (vk_id,))

    async def in_org(self, org_id: str, *, active_only: bool = True,
                     roles: Sequence[Role] | None = None) -> list[Person]:
        """The organization's people (of `roles` only, when given)."""
        async with self._db.read() as conn:
            where = "p.org_id = ?" + (" AND p.active = 1" if active_only else "")
            params: list[object] = [org_id]
            if roles is not None:
                where += f" AND p.role IN ({','.join('?' * len(roles))})"
                params += [r.value for r in roles]
            return await _people(conn, where, params)

    async def in_orgs(self, org_ids: Sequence[str], *, active_only: bool = True,
                      roles: Sequence[Role] | None = None) -> dict[str, list[Person]]:
        """`in_org` of several organizations at once (a regional wave): each one's people in `in_org`'s order."""
        found: dict[str, list[Person]] = {org_id: [] for org_id in org_ids}
        wanted = list(found)
        async with self._db.read() as conn:
            for start in range(0, len(wanted), ORG_CHUNK):
                chunk = wanted[start:start + ORG_CHUNK]
                where = f"p.org_id IN ({','.join('?' * len(chunk))})" + (" AND p.active = 1" if active_only else "")
                params: list[object] = list(chunk)
                if roles is not None:
                    where += f" AND p.role IN ({','.join('?' * len(roles))})"
                    params += [r.value for r in roles]
                for person in await _people(conn, where, params):
                    found[person.org_id or ""].append(person)
        return found

    async def by_name_key(self, key: str, org_id: str | None = None) -> list[Person]:
        async with self._db.read() as conn:
            if org_id is None:
                return await _people(conn, "p.name_key = ? AND p.active = 1", (key,))
            return await _people(conn, "p.name_key = ? AND p.org_id = ? AND p.active = 1", (key, org_id))

    async def bind_vk(self, person_id: int, vk_id: int) -> None:
        """Bind a VK account to a roster person."""
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE people SET vk_id = ?, updated_at = ? WHERE id = ?",
                               (vk_id, iso(), person_id))

    async def bind_max(self, person_id: int, max_id: int) -> None:
        """Bind a person to a MAX account."""
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE people SET max_id = ?, updated_at = ? WHERE id = ?",
                               (max_id, iso(), person_id))

    async def by_surname_any(self, surname_key: str) -> list[Person]:
        """Everyone (also people who left) whose normalized name starts with this surname (operators' look-ups)."""
        async with self._db.read() as conn:
            return await _people(conn, "p.name_key = ? OR p.name_key LIKE ? ESCAPE '\\'",
                                 (surname_key, _like_prefix(surname_key) + " %"))

    async def by_vk_id_any(self, vk_id: int) -> list[Person]:
        """Everyone bound to this VK account, people who left included (operators' look-ups)."""
        async with self._db.read() as conn:
            return await _people(conn, "p.vk_id = ?", (vk_id,))

    async def by_max_id_any(self, max_id: int) -> list[Person]:
        """Everyone bound to this MAX account, people who left included (operators' look-ups)."""
        async with self._db.read() as conn:
            return await _people(conn, "p.max_id = ?", (max_id,))


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
