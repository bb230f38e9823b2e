"""Personal data: export everything about one person, forget one person, retention.

The queries look tables up in the catalogue (sqlite_master, information_schema on PostgreSQL), so
tables that features add later (with a `person_id` column) are covered without editing this module.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from storage._util import iso
from storage.sql import Connection, Database

# Tables whose rows are figures: they stay (attached to an anonymized record) so that
# the school's totals for past periods do not change when a person is forgotten.
COUNT_TABLES = frozenset({"person_stats", "live_counts"})
# Tables that are the person record itself.
SELF_TABLES = frozenset({"people"})
ANONYMOUS_NAME = "Удалённый сотрудник"


async def _tables_with(conn: Connection, column: str) -> list[str]:
    if conn.dialect == "postgres":
        async with conn.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND column_name = ? ORDER BY table_name::text COLLATE \"C\"", (column,)
        ) as cur:
            return [str(r[0]) for r in await cur.fetchall()]
    async with conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    ) as cur:
        tables = [r[0] for r in await cur.fetchall()]
    found = []
    for table in tables:
        async with conn.execute(f"PRAGMA table_info({table})") as cur:
            if any(col[1] == column for col in await cur.fetchall()):
                found.append(table)
    return found


async def _rows(conn: Connection, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
    async with conn.execute(sql, params) as cur:
        return [dict(r) for r in await cur.fetchall()]


class PrivacyRepo:
    """Export, forget and retention over every table that holds personal data."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def person_vk_id(self, person_id: int) -> tuple[bool, int | None]:
        """(exists, vk_id) of a person."""
        async with self._db.read() as conn, conn.execute(
            "SELECT vk_id FROM people WHERE id = ?", (person_id,)
        ) as cur:
            row = await cur.fetchone()
        return (row is not None, row[0] if row else None)

    async def export(self, person_id: int) -> dict[str, list[dict[str, Any]]]:
        """Every row about the person, table by table (empty tables left out)."""
        result: dict[str, list[dict[str, Any]]] = {}
        async with self._db.read() as conn:
            person = await _rows(conn, "SELECT * FROM people WHERE id = ?", (person_id,))
            if not person:
                return {}
            result["people"] = person
            vk_id = person[0]["vk_id"]
            for table in await _tables_with(conn, "person_id"):
                rows = await _rows(conn, f"SELECT * FROM {table} WHERE person_id = ?", (person_id,))  # noqa: S608 - table names from sqlite_master
                if rows:
                    result[table] = rows
            # Consents are kept per messenger (0022): the person's VK and MAX accounts each.
            for messenger, account in (("vk", vk_id), ("max", person[0].get("max_id"))):
                if account is not None:
                    rows = await _rows(conn, "SELECT * FROM privacy_consents WHERE messenger = ? AND vk_id = ?",
                                       (messenger, account))
                    if rows:
                        result.setdefault("privacy_consents", []).extend(rows)
            if vk_id is not None:
                for table, column in (("vk_users", "vk_id"), ("binding_requests", "vk_id"),
                                      ("audit_log", "actor_vk_id")):
                    rows = await _rows(conn, f"SELECT * FROM {table} WHERE {column} = ?", (vk_id,))  # noqa: S608 - fixed names
                    if rows:
                        result.setdefault(table, []).extend(
                            r for r in rows if r not in result.get(table, []))
                outbox = await _rows(conn, "SELECT * FROM outbox WHERE peer_id = ? AND person_id IS DISTINCT FROM ?",
                                     (vk_id, person_id))
                if outbox:
                    result.setdefault("outbox", []).extend(outbox)
            if person[0].get("max_id") is not None:
                rows = await _rows(conn, "SELECT * FROM audit_log WHERE actor_max_id = ?", (person[0]["max_id"],))
                known = result.setdefault("audit_log", [])
                known.extend(r for r in rows if r not in known)
                if not known:
                    del result["audit_log"]
            # Open dialog steps, kept by account (VK and MAX) rather than by person.
            steps = await _rows(conn, "SELECT * FROM conversation_state WHERE (messenger = 'vk' AND user_id = ?) "
                                      "OR (messenger = 'max' AND user_id = ?)", (vk_id, person[0].get("max_id")))
            if steps:
                result["conversation_state"] = steps
        return result

    async def forget(self, person_id: int) -> dict[str, int]:
        """Remove the person's data; their figures stay under an anonymous record.

        Returns how many rows were removed or anonymized per table.
        """
        changed: dict[str, int] = {}
        async with self._db.transaction() as conn:
            async with conn.execute("SELECT vk_id, max_id FROM people WHERE id = ?", (person_id,)) as cur:
                row = await cur.fetchone()
            if row is None:
                return {}
            vk_id, max_id = row[0], row[1]
            if max_id is not None:
                cur = await conn.execute("DELETE FROM privacy_consents WHERE messenger = 'max' AND vk_id = ?",
                                         (max_id,))
                if cur.rowcount:
                    changed["privacy_consents"] = cur.rowcount
                # What the person did from MAX stays in the audit log, without who did it (as for VK).
                cur = await conn.execute("UPDATE audit_log SET actor_max_id = NULL, actor_person_id = NULL "
                                         "WHERE actor_max_id = ?", (max_id,))
                if cur.rowcount:
                    changed["audit_log"] = cur.rowcount
            for table in await _tables_with(conn, "person_id"):
                if table in COUNT_TABLES or table in SELF_TABLES:
                    continue
                if table == "outbox":
                    cur = await conn.execute(
                        "UPDATE outbox SET message = '', keyboard = NULL, attachment = NULL, person_id = NULL "
                        "WHERE person_id = ?", (person_id,))
                elif table == "pending_rows":
                    cur = await conn.execute("UPDATE pending_rows SET person_id = NULL WHERE person_id = ?",
                                             (person_id,))
                else:
                    cur = await conn.execute(f"DELETE FROM {table} WHERE person_id = ?", (person_id,))  # noqa: S608 - table names from sqlite_master
                if cur.rowcount:
                    changed[table] = cur.rowcount
            if vk_id is not None:
                for sql, table in (
                    ("DELETE FROM vk_users WHERE vk_id = ?", "vk_users"),
                    ("DELETE FROM binding_requests WHERE vk_id = ?", "binding_requests"),
                    ("DELETE FROM privacy_consents WHERE messenger = 'vk' AND vk_id = ?", "privacy_consents"),
                    ("DELETE FROM conversation_state WHERE messenger = 'vk' AND user_id = ?", "conversation_state"),
                    ("DELETE FROM inbox WHERE order_key = CAST(? AS TEXT)", "inbox"),
                    ("UPDATE outbox SET message = '', keyboard = NULL, attachment = NULL WHERE peer_id = ?", "outbox"),
                    ("UPDATE audit_log SET actor_vk_id = NULL, actor_person_id = NULL WHERE actor_vk_id = ?", "audit_log"),
                ):
                    cur = await conn.execute(sql, (vk_id,))
                    if cur.rowcount:
                        changed[table] = changed.get(table, 0) + cur.rowcount
            cur = await conn.execute(
                "DELETE FROM conversation_state WHERE messenger = 'max' AND user_id = "
                "(SELECT max_id FROM people WHERE id = ?)", (person_id,))
            if cur.rowcount:
                changed["conversation_state"] = changed.get("conversation_state", 0) + cur.rowcount
            cur = await conn.execute(
                "UPDATE people SET full_name = ?, name_key = '', vk_id = NULL, vk_screen_name = NULL, "
                "phone = NULL, email = NULL, active = 0, left_at = COALESCE(left_at, ?), updated_at = ? "
                "WHERE id = ?",
                (f"{ANONYMOUS_NAME} №{person_id}", iso(), iso(), person_id),
            )
            changed["people"] = cur.rowcount
        return changed

    async def expired_people(self, org_id: str, left_before: dt.datetime) -> list[int]:
        """People of `org_id` who left before `left_before` and are not anonymized yet."""
        async with self._db.read() as conn, conn.execute(
            "SELECT id FROM people WHERE org_id = ? AND active = 0 AND left_at IS NOT NULL "
            "AND left_at < ? AND name_key != '' ORDER BY id",
            (org_id, iso(left_before)),
        ) as cur:
            return [r[0] for r in await cur.fetchall()]

    async def delete_statistics_before(self, org_id: str, day: dt.date) -> int:
        """Drop statistics of periods that started before `day`."""
        total = 0
        async with self._db.transaction() as conn:
            for table in ("person_stats", "org_stats"):
                cur = await conn.execute(
                    f"DELETE FROM {table} WHERE org_id = ? AND period_start < ?",  # noqa: S608 - fixed names
                    (org_id, day.isoformat()))
                total += cur.rowcount
            cur = await conn.execute(
                "DELETE FROM live_counts WHERE period_start < ? AND person_id IN "
                "(SELECT id FROM people WHERE org_id = ?)", (day.isoformat(), org_id))
            total += cur.rowcount
        return total

    async def delete_old_service_rows(self, before: dt.datetime) -> int:
        """Handled inbox events and delivered outbox messages older than `before`."""
        async with self._db.transaction() as conn:
            a = await conn.execute("DELETE FROM inbox WHERE status = 'done' AND received_at < ?", (iso(before),))
            b = await conn.execute(
                "UPDATE outbox SET message = '', keyboard = NULL WHERE status != 'pending' AND created_at < ? "
                "AND message != ''", (iso(before),))
            return a.rowcount + b.rowcount
