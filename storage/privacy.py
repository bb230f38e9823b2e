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


# A forgotten recipient: the message goes, the account goes (0 is nobody's; idempotency keys may name
# it, bot.services.reminders), unsent rows are not sent.
_BLANK_OUTBOX = ("message = '', keyboard = NULL, legacy_keyboard = NULL, attachment = NULL, fingerprint = NULL, "
                 "idem_key = 'forgotten:' || CAST(id AS TEXT), "
                 "status = CASE WHEN status IN ('pending', 'sending') THEN 'failed' ELSE status END")

# Where each messenger's account shows up outside `person_id` columns: (table, condition on the
# account, what forget sets there — None: the row is deleted). Every condition names its messenger,
# so that the same number in the other messenger is left alone.
_OUTBOX = f"{_BLANK_OUTBOX}, peer_id = 0"
_ACCOUNT_ROWS: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "vk": (
        ("outbox", "messenger = 'vk' AND peer_id = ?", _OUTBOX),
        ("vk_users", "vk_id = ?", None),
        ("reach", "messenger = 'vk' AND account = ?", None),
        ("binding_requests", "messenger = 'vk' AND vk_id = ?", None),
        # A deputy's decisions on other people's requests: the request stays, the decider goes.
        ("binding_requests", "decided_by_messenger = 'vk' AND decided_by = ?",
         "decided_by = NULL, decided_by_messenger = NULL"),
        ("privacy_consents", "messenger = 'vk' AND vk_id = ?", None),
        ("conversation_state", "messenger = 'vk' AND user_id = ?", None),
        ("import_confirmations", "actor_messenger = 'vk' AND actor_id = ?", None),
        ("imports", "imported_by_messenger = 'vk' AND imported_by = ?",
         "imported_by = NULL, imported_by_messenger = NULL"),
        ("audit_log", "actor_vk_id = ?", "actor_vk_id = NULL, actor_person_id = NULL"),
        # A deputy's broadcasts keep their VK id (bot.services.broadcasts; 0: none).
        ("broadcasts", "created_by = ?", "created_by = 0"),
        ("broadcasts", "progress_messenger = 'vk' AND progress_peer = ?", "progress_peer = NULL, progress_cmid = NULL"),
        # bot.vk.runtime.order_key: a VK user's events.
        ("inbox", "order_key = 'user:' || ?", None),
    ),
    "max": (
        # A MAX dialog is addressed by the user id or by its own chat id (max_dialogs, one per bot),
        # so the outbox goes before max_dialogs.
        ("outbox", "messenger = 'max' AND (peer_id = ? OR peer_id IN "
                   "(SELECT chat_id FROM max_dialogs WHERE user_id = ?))", _OUTBOX),
        ("reach", "messenger = 'max' AND account = ?", None),
        ("max_dialogs", "user_id = ?", None),
        ("binding_requests", "messenger = 'max' AND vk_id = ?", None),
        ("binding_requests", "decided_by_messenger = 'max' AND decided_by = ?",
         "decided_by = NULL, decided_by_messenger = NULL"),
        ("privacy_consents", "messenger = 'max' AND vk_id = ?", None),
        ("conversation_state", "messenger = 'max' AND user_id = ?", None),
        ("import_confirmations", "actor_messenger = 'max' AND actor_id = ?", None),
        ("imports", "imported_by_messenger = 'max' AND imported_by = ?",
         "imported_by = NULL, imported_by_messenger = NULL"),
        ("audit_log", "actor_max_id = ?", "actor_max_id = NULL, actor_person_id = NULL"),
        # A MAX deputy's decision audited before 0025 named them only in its details (the last key).
        ("audit_log", "action IN ('approve_binding', 'reject_binding') AND details LIKE "
                      "'%\"decided_by_max\":' || ? || '}'", "details = '{}'"),
        ("invite_links", "used_by = ?", "used_by = NULL"),
        ("broadcasts", "progress_messenger = 'max' AND progress_peer = ?", "progress_peer = NULL, progress_cmid = NULL"),
        # bot.max.polling.order_key: a MAX user's events.
        ("inbox", "order_key = 'max:' || ?", None),
    ),
}
_ACCOUNT_FORGET = {
    messenger: tuple((table, f"DELETE FROM {table} WHERE {where}" if change is None  # noqa: S608 - fixed names
                      else f"UPDATE {table} SET {change} WHERE {where}")  # noqa: S608 - fixed names
                     for table, where, change in specs)
    for messenger, specs in _ACCOUNT_ROWS.items()
}


def _accounts(person: dict[str, Any]) -> list[tuple[str, int]]:
    """The person's (messenger, account id) pairs."""
    return [(m, person[column]) for m, column in (("vk", "vk_id"), ("max", "max_id"))
            if person.get(column) is not None]


def _params(sql: str, account: int) -> tuple[Any, ...]:
    """The account for each placeholder; text where it is glued to a prefix (inbox order keys)."""
    value: Any = str(account) if "|| ?" in sql else account
    return (value,) * sql.count("?")


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
        """Every row about the person, table by table (empty tables left out): rows keyed by the
        person and rows keyed by their VK or MAX account."""
        result: dict[str, list[dict[str, Any]]] = {}
        async with self._db.read() as conn:
            person = await _rows(conn, "SELECT * FROM people WHERE id = ?", (person_id,))
            if not person:
                return {}
            result["people"] = person
            for table in await _tables_with(conn, "person_id"):
                rows = await _rows(conn, f"SELECT * FROM {table} WHERE person_id = ?", (person_id,))  # noqa: S608 - table names from sqlite_master
                if rows:
                    result[table] = rows
            for messenger, account in _accounts(person[0]):
                for table, where, _ in _ACCOUNT_ROWS[messenger]:
                    rows = await _rows(conn, f"SELECT * FROM {table} WHERE {where}",  # noqa: S608 - fixed names
                                       _params(where, account))
                    known = result.setdefault(table, [])
                    known.extend(r for r in rows if r not in known)
                    if not known:
                        del result[table]
        return result

    async def forget(self, person_id: int) -> dict[str, int]:
        """Remove the person's data; their figures stay under an anonymous record.

        Rows keyed by the person's VK or MAX account go too (each only in its own messenger: a MAX
        user 5 is not VK user 5). Returns how many rows were removed or anonymized per table.
        """
        changed: dict[str, int] = {}

        def count(table: str, rows: int) -> None:
            if rows:
                changed[table] = changed.get(table, 0) + rows

        async with self._db.transaction() as conn:
            person = await _rows(conn, "SELECT vk_id, max_id FROM people WHERE id = ?", (person_id,))
            if not person:
                return {}
            for table in await _tables_with(conn, "person_id"):
                if table in COUNT_TABLES or table in SELF_TABLES:
                    continue
                if table == "outbox":
                    cur = await conn.execute(
                        f"UPDATE outbox SET {_BLANK_OUTBOX}, person_id = NULL WHERE person_id = ?",  # noqa: S608 - fixed
                        (person_id,))
                elif table == "pending_rows":
                    cur = await conn.execute("UPDATE pending_rows SET person_id = NULL WHERE person_id = ?",
                                             (person_id,))
                else:
                    cur = await conn.execute(f"DELETE FROM {table} WHERE person_id = ?", (person_id,))  # noqa: S608 - table names from sqlite_master
                count(table, cur.rowcount)
            for messenger, account in _accounts(person[0]):
                for table, sql in _ACCOUNT_FORGET[messenger]:
                    cur = await conn.execute(sql, _params(sql, account))
                    count(table, cur.rowcount)
            # These audit lines about the person name their account in the details (the MAX account a
            # deep link bound, who asked for an export); the action and its time stay.
            cur = await conn.execute("UPDATE audit_log SET details = '{}', actor_person_id = NULL "
                                     "WHERE target = ? AND action IN ('invite_redeemed', 'export_person')",
                                     (str(person_id),))
            count("audit_log", cur.rowcount)
            cur = await conn.execute(
                "UPDATE people SET full_name = ?, name_key = '', vk_id = NULL, vk_screen_name = NULL, max_id = NULL, "
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
