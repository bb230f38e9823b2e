"""The chats migration: confirmations, chats people added themselves, dialogs in progress.

Every method takes the connection of the caller's transaction (or read), so a use case of
`bot.services.chats` reads and writes all it needs in one `db.transaction()`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from bot.domain.models import Person
from storage._util import iso
from storage.people import _people
from storage.sql import Connection, insert_id

_CONF_COLS = ("id, org_id, person_id, chat_key, title, status, old_messenger, link, link_kind, no_link_reason, "
              "members_estimate, old_chat, code, checked, chat_peer_id, members_counted, checked_at, "
              "not_needed_reason, decided_by, confirmed_at")


class Confirmation(BaseModel):
    """One person's confirmation for one chat, with every step's answer."""

    id: int
    org_id: str
    person_id: int
    chat_key: str
    title: str
    status: str
    old_messenger: str | None = None
    link: str | None = None
    link_kind: str | None = None
    no_link_reason: str | None = None
    members_estimate: int | None = None
    old_chat: str | None = None
    code: str | None = None
    checked: bool = False
    chat_peer_id: int | None = None
    members_counted: int | None = None
    checked_at: str | None = None
    not_needed_reason: str | None = None
    decided_by: int | None = None
    confirmed_at: str | None = None


class CustomChat(BaseModel):
    """A chat a person added that is not on the orders' list."""

    id: int
    org_id: str
    person_id: int
    title: str


def _confirmation(row: Any) -> Confirmation:
    keys = [c.strip() for c in _CONF_COLS.split(",")]
    data = dict(zip(keys, tuple(row), strict=True))
    data["checked"] = bool(data["checked"])
    return Confirmation.model_validate(data)


class ChatsRepo:
    """SQL of the chats migration; static methods on the caller's connection."""

    # --- people ---------------------------------------------------------------------------

    @staticmethod
    async def people_in(conn: Connection, org_id: str) -> list[Person]:
        """Active people of a school, with their classes."""
        return await _people(conn, "p.org_id = ? AND p.active = 1", (org_id,))

    @staticmethod
    async def person_in(conn: Connection, person_id: int) -> Person | None:
        found = await _people(conn, "p.id = ?", (person_id,))
        return found[0] if found else None

    # --- confirmations --------------------------------------------------------------------

    @staticmethod
    async def confirmations(conn: Connection, org_id: str,
                            person_id: int | None = None) -> list[Confirmation]:
        """A school's confirmations (or one person's), oldest first."""
        sql = f"SELECT {_CONF_COLS} FROM chat_confirmations WHERE org_id = ?"  # noqa: S608 - fixed columns
        params: list[Any] = [org_id]
        if person_id is not None:
            sql += " AND person_id = ?"
            params.append(person_id)
        async with conn.execute(sql + " ORDER BY id", params) as cur:
            return [_confirmation(r) for r in await cur.fetchall()]

    @staticmethod
    async def confirmation(conn: Connection, person_id: int, key: str) -> Confirmation | None:
        sql = f"SELECT {_CONF_COLS} FROM chat_confirmations WHERE person_id = ? AND chat_key = ?"  # noqa: S608
        async with conn.execute(sql, (person_id, key)) as cur:
            row = await cur.fetchone()
        return _confirmation(row) if row else None

    @staticmethod
    async def ensure(conn: Connection, org_id: str, person_id: int, key: str,
                     title: str) -> Confirmation:
        """The confirmation row for a chat, created as a draft when there is none."""
        now = iso()
        await conn.execute(
            "INSERT INTO chat_confirmations(org_id, person_id, chat_key, title, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(person_id, chat_key) DO NOTHING",
            (org_id, person_id, key, title, now, now))
        found = await ChatsRepo.confirmation(conn, person_id, key)
        assert found is not None  # noqa: S101 - inserted just above
        return found

    @staticmethod
    async def confirm(conn: Connection, confirmation_id: int, answers: dict[str, Any],
                      code: str | None) -> None:
        """Write the dialog's answers and mark the chat confirmed."""
        now = iso()
        await conn.execute(
            "UPDATE chat_confirmations SET status = 'confirmed', old_messenger = ?, link = ?, link_kind = ?, "
            "no_link_reason = ?, members_estimate = ?, old_chat = ?, code = COALESCE(code, ?), "
            "not_needed_reason = NULL, decided_by = NULL, confirmed_at = ?, updated_at = ? WHERE id = ?",
            (answers.get("messenger"), answers.get("link"), answers.get("link_kind"), answers.get("no_link_reason"),
             answers.get("members"), answers.get("old_chat"), code, now, now, confirmation_id))

    @staticmethod
    async def set_status(conn: Connection, confirmation_id: int, status: str, *,
                         reason: str | None = None, decided_by: int | None = None) -> None:
        """Withdraw, or mark not needed (with the deputy's reason)."""
        await conn.execute(
            "UPDATE chat_confirmations SET status = ?, not_needed_reason = ?, decided_by = ?, updated_at = ? "
            "WHERE id = ?", (status, reason, decided_by, iso(), confirmation_id))

    @staticmethod
    async def open_codes(conn: Connection, codes: list[str]) -> list[Confirmation]:
        """Confirmed, not yet checked confirmations holding one of these codes."""
        if not codes:
            return []
        marks = ",".join("?" * len(codes))
        sql = (f"SELECT {_CONF_COLS} FROM chat_confirmations "  # noqa: S608 - placeholders only
               f"WHERE code IN ({marks}) AND status = 'confirmed' AND checked = 0 ORDER BY id")
        async with conn.execute(sql, codes) as cur:
            return [_confirmation(r) for r in await cur.fetchall()]

    @staticmethod
    async def mark_checked(conn: Connection, confirmation_id: int, peer_id: int,
                           members: int | None) -> None:
        now = iso()
        await conn.execute(
            "UPDATE chat_confirmations SET checked = 1, chat_peer_id = ?, members_counted = ?, checked_at = ?, "
            "updated_at = ? WHERE id = ?", (peer_id, members, now, now, confirmation_id))

    # --- chats people added ---------------------------------------------------------------

    @staticmethod
    async def custom_chats(conn: Connection, org_id: str,
                           person_id: int | None = None) -> list[CustomChat]:
        sql = "SELECT id, org_id, person_id, title FROM custom_chats WHERE org_id = ? AND removed = 0"
        params: list[Any] = [org_id]
        if person_id is not None:
            sql += " AND person_id = ?"
            params.append(person_id)
        async with conn.execute(sql + " ORDER BY id", params) as cur:
            return [CustomChat(id=r[0], org_id=r[1], person_id=r[2], title=r[3]) for r in await cur.fetchall()]

    @staticmethod
    async def add_custom(conn: Connection, org_id: str, person_id: int, title: str) -> CustomChat:
        new_id = await insert_id(
            conn, "INSERT INTO custom_chats(org_id, person_id, title, created_at) VALUES (?, ?, ?, ?)",
            (org_id, person_id, title, iso()))
        return CustomChat(id=new_id or 0, org_id=org_id, person_id=person_id, title=title)

    @staticmethod
    async def remove_custom(conn: Connection, person_id: int, custom_id: int) -> None:
        await conn.execute("UPDATE custom_chats SET removed = 1 WHERE id = ? AND person_id = ?",
                           (custom_id, person_id))
