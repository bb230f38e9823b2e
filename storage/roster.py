"""Roster upsert: update people matched by VK id or name, add new ones, mark the missing as left."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence

from bot.domain.models import Organization, Person, Role
from bot.domain.names import name_key
from bot.stores.imports import PersonRef, RosterChanges, RosterEntry
from storage._util import iso
from storage.sql import Connection


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


class RosterRepo:
    """Bulk roster reads and writes inside the caller's transaction."""

    @staticmethod
    async def people_in(conn: Connection, org_ids: Sequence[str], *,
                        include_left: bool = False) -> list[Person]:
        """People of these organizations with their classes (one query each, any roster size)."""
        if not org_ids:
            return []
        active = "" if include_left else " AND p.active = 1"
        cols = "p.id, p.org_id, p.full_name, p.role, p.vk_id, p.active, p.source, p.max_id"
        sql = f"SELECT {cols} FROM people p WHERE p.org_id IN ({_marks(org_ids)}){active} ORDER BY p.id"  # noqa: S608 - placeholders only
        classes: dict[int, list[str]] = defaultdict(list)
        join = "person_classes pc JOIN people p ON p.id = pc.person_id"
        csql = f"SELECT pc.person_id, pc.class_name FROM {join} WHERE p.org_id IN ({_marks(org_ids)}) ORDER BY pc.class_name"  # noqa: S608 - placeholders only
        async with conn.execute(csql, tuple(org_ids)) as cur:
            for pid, cls in await cur.fetchall():
                classes[pid].append(cls)
        async with conn.execute(sql, tuple(org_ids)) as cur:
            rows = await cur.fetchall()
        return [
            Person.model_construct(
                id=r[0], org_id=r[1], full_name=r[2], role=Role(r[3]), vk_id=r[4], active=bool(r[5]),
                source=r[6], classes=tuple(classes.get(r[0], ())), max_id=r[7],
            )
            for r in rows
        ]

    @staticmethod
    async def sync_config_in(conn: Connection, orgs: Sequence[Organization],
                             people: Sequence[tuple[str | None, int, Role, str]]) -> None:
        """The config's organizations and people (org_id, vk_id, role, placeholder name), inside
        the caller's transaction, so that a refused import leaves not even these behind."""
        await conn.executemany(
            "INSERT INTO organizations(id, name, timezone, inn) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET name=excluded.name, timezone=excluded.timezone, inn=excluded.inn",
            [(o.id, o.name, o.timezone, o.inn) for o in orgs],
        )
        now = iso()
        for org_id, vk_id, role, name in people:
            async with conn.execute("SELECT id FROM people WHERE vk_id = ? AND org_id IS NOT DISTINCT FROM ?", (vk_id, org_id)) as cur:
                found = await cur.fetchone()
            if found:
                await conn.execute(
                    "UPDATE people SET role = ?, source = 'config', active = 1, left_at = NULL, updated_at = ? "
                    "WHERE id = ?", (role.value, now, found[0]))
            else:
                await conn.execute(
                    "INSERT INTO people(org_id, full_name, name_key, role, vk_id, source, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, 'config', ?, ?)", (org_id, name, name_key(name), role.value, vk_id, now, now))

    @staticmethod
    async def refs_in(conn: Connection, org_ids: Sequence[str]) -> list[PersonRef]:
        """Active people of these organizations, light enough for a 50,000-row import."""
        if not org_ids:
            return []
        sql = f"SELECT id, org_id, full_name, vk_id, active, name_key FROM people WHERE org_id IN ({_marks(org_ids)}) AND active = 1 ORDER BY id"  # noqa: S608 - placeholders only
        async with conn.execute(sql, tuple(org_ids)) as cur:
            # Only active people are selected: `active` is True for every one of them.
            return [PersonRef(pid, org, name, vk, True, key) for pid, org, name, vk, _, key in await cur.fetchall()]

    @staticmethod
    async def apply_in(conn: Connection, org_ids: Sequence[str],
                       entries: Sequence[RosterEntry], *, store_contacts: bool = False,
                       keep_ids: Collection[int] = ()) -> RosterChanges:
        """Write the roster: update matched people, add new ones, mark the rest as left.

        «The rest» means active people of `org_ids` not named by any entry; people from
        the config are never marked as left and keep their role; nor are `keep_ids`.
        """
        now = iso()
        changes = RosterChanges()
        # Batched statements: one executemany per kind of change keeps a 50,000-row roster fast.
        updates = [e for e in entries if e.person_id is not None]
        # A MAX id is bound once per school: a person who left gives it up to the one named now.
        await conn.executemany(
            "UPDATE people SET max_id = NULL WHERE org_id = ? AND max_id = ? AND active = 0",
            [(e.org_id, e.max_id) for e in entries if e.max_id is not None])
        await conn.executemany(
            "UPDATE people SET full_name = ?, name_key = ?, "
            "role = CASE WHEN source = 'config' THEN role ELSE ? END, "
            "vk_id = COALESCE(?, vk_id), vk_screen_name = COALESCE(?, vk_screen_name), "
            "max_id = COALESCE(?, max_id), "
            "phone = CASE WHEN ? = 1 THEN COALESCE(?, phone) ELSE phone END, "
            "email = CASE WHEN ? = 1 THEN COALESCE(?, email) ELSE email END, "
            "active = 1, left_at = NULL, updated_at = ? WHERE id = ?",
            [(e.full_name, name_key(e.full_name), e.role.value, e.vk_id, e.vk_screen_name, e.max_id,
              int(store_contacts), e.phone, int(store_contacts), e.email, now, e.person_id) for e in updates],
        )
        await conn.executemany("DELETE FROM person_classes WHERE person_id = ?",
                               [(e.person_id,) for e in updates])
        changes.updated = len(updates)
        kept: set[int] = {e.person_id for e in updates if e.person_id is not None} | set(keep_ids)
        classes: list[tuple[int, str]] = [
            (e.person_id, c) for e in updates if e.person_id is not None for c in dict.fromkeys(e.classes)
        ]
        additions = [e for e in entries if e.person_id is None]
        if additions:
            # Explicit ids let one executemany insert them all.
            ids = await _new_person_ids(conn, len(additions))
            await conn.executemany(
                "INSERT INTO people(id, org_id, full_name, name_key, role, vk_id, vk_screen_name, max_id, phone, "
                "email, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'roster', ?, ?)",
                [(ids[n], e.org_id, e.full_name, name_key(e.full_name), e.role.value, e.vk_id,
                  e.vk_screen_name, e.max_id, e.phone if store_contacts else None,
                  e.email if store_contacts else None, now, now) for n, e in enumerate(additions)],
            )
            kept.update(ids)
            classes.extend((ids[n], c) for n, e in enumerate(additions) for c in dict.fromkeys(e.classes))
            changes.added = len(additions)
        await conn.executemany(
            "INSERT INTO person_classes(person_id, class_name) VALUES (?, ?) ON CONFLICT DO NOTHING", classes
        )
        if org_ids:
            sql = (
                f"SELECT id FROM people WHERE org_id IN ({_marks(org_ids)}) "  # noqa: S608 - placeholders only
                "AND active = 1 AND source != 'config'"
            )
            async with conn.execute(sql, tuple(org_ids)) as cur:
                gone = [r[0] for r in await cur.fetchall() if r[0] not in kept]
            await conn.executemany(
                "UPDATE people SET active = 0, left_at = ?, updated_at = ? WHERE id = ?",
                [(now, now, pid) for pid in gone],
            )
            changes.left = len(gone)
            changes.left_ids = gone
        return changes


async def _new_person_ids(conn: Connection, count: int) -> list[int]:
    """`count` unused ids for new people, for inserting them with explicit ids in one executemany."""
    if conn.dialect == "postgres":
        # Taken from the identity's sequence, so later inserts without an id (and other workers) never collide.
        async with conn.execute("SELECT nextval(pg_get_serial_sequence('people', 'id')) "
                                "FROM generate_series(1, ?)", (count,)) as cur:
            return sorted(int(r[0]) for r in await cur.fetchall())
    # SQLite: the write lock is ours, so the ids after the largest are free (rowid picks max + 1 next too).
    async with conn.execute("SELECT COALESCE(MAX(id), 0) FROM people") as cur:
        row = await cur.fetchone()
    first = int(row[0] if row else 0) + 1
    return list(range(first, first + count))
