"""The chats migration: confirmations and chats people added themselves.

`ChatsSql` is the `bot.stores.chats.ChatsStore` the service uses: each method one read or one
transaction. `ChatsRepo` holds the SQL, each statement on the caller's connection.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bot.domain.models import Person
from bot.messaging.events import ChatRef, Identity
from bot.stores.chats import Confirmation, CustomChat, SchoolChats
from storage._util import iso
from storage.audit import AuditRepo
from storage.people import ORG_CHUNK, _people
from storage.sql import Connection, Database, insert_id

__all__ = ["ChatsRepo", "ChatsSql", "Confirmation", "CustomChat"]

_CONF_COLS = ("id, org_id, person_id, chat_key, title, status, old_messenger, link, link_kind, no_link_reason, "
              "members_estimate, old_chat, code, checked, chat_peer_id, chat_messenger, members_counted, checked_at, "
              "not_needed_reason, decided_by, confirmed_at")


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
                           members: int | None, messenger: str = "vk") -> None:
        now = iso()
        await conn.execute(
            "UPDATE chat_confirmations SET checked = 1, chat_peer_id = ?, chat_messenger = ?, members_counted = ?, "
            "checked_at = ?, updated_at = ? WHERE id = ?", (peer_id, messenger, members, now, now, confirmation_id))

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
    async def schools_in(conn: Connection, org_ids: Sequence[str]) -> dict[str, SchoolChats]:
        """`school` of several schools at once (a regional wave): a few queries per `ORG_CHUNK` schools,
        each school's lists in the order `people_in`, `custom_chats` and `confirmations` give them."""
        found = {org_id: SchoolChats(people=[], customs=[], confirmations=[]) for org_id in org_ids}
        wanted = list(found)
        for start in range(0, len(wanted), ORG_CHUNK):
            chunk = wanted[start:start + ORG_CHUNK]
            marks = ",".join("?" * len(chunk))
            for person in await _people(conn, f"p.org_id IN ({marks}) AND p.active = 1", chunk):
                found[person.org_id or ""].people.append(person)
            async with conn.execute("SELECT id, org_id, person_id, title FROM custom_chats "  # noqa: S608 - marks only
                                    f"WHERE org_id IN ({marks}) AND removed = 0 ORDER BY id", chunk) as cur:
                for r in await cur.fetchall():
                    found[r[1]].customs.append(CustomChat(id=r[0], org_id=r[1], person_id=r[2], title=r[3]))
            async with conn.execute(f"SELECT {_CONF_COLS} FROM chat_confirmations "  # noqa: S608 - fixed columns
                                    f"WHERE org_id IN ({marks}) ORDER BY id", chunk) as cur:
                for r in await cur.fetchall():
                    conf = _confirmation(r)
                    found[conf.org_id].confirmations.append(conf)
        return found

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


class ChatsSql:
    """`bot.stores.chats.ChatsStore` over the database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def person(self, person_id: int) -> Person | None:
        async with self._db.read() as conn:
            return await ChatsRepo.person_in(conn, person_id)

    async def of_person(self, org_id: str, person_id: int) -> tuple[list[CustomChat], list[Confirmation]]:
        async with self._db.read() as conn:
            return (await ChatsRepo.custom_chats(conn, org_id, person_id),
                    await ChatsRepo.confirmations(conn, org_id, person_id))

    async def school(self, org_id: str) -> SchoolChats:
        async with self._db.read() as conn:
            return SchoolChats(people=await ChatsRepo.people_in(conn, org_id),
                               customs=await ChatsRepo.custom_chats(conn, org_id),
                               confirmations=await ChatsRepo.confirmations(conn, org_id))

    async def schools(self, org_ids: Sequence[str]) -> dict[str, SchoolChats]:
        async with self._db.read() as conn:
            return await ChatsRepo.schools_in(conn, org_ids)

    async def ensure(self, org_id: str, person_id: int, key: str, title: str) -> Confirmation:
        async with self._db.transaction() as conn:
            return await ChatsRepo.ensure(conn, org_id, person_id, key, title)

    async def add_custom(self, org_id: str, person_id: int, title: str,
                         key_of: Callable[[int], str]) -> CustomChat:
        async with self._db.transaction() as conn:
            custom = await ChatsRepo.add_custom(conn, org_id, person_id, title)
            await ChatsRepo.ensure(conn, org_id, person_id, key_of(custom.id), custom.title)
        return custom

    async def confirm(self, person_id: int, key: str, answers: dict[str, Any],
                      new_code: Callable[[], str]) -> Confirmation | None:
        async with self._db.transaction() as conn:
            conf = await ChatsRepo.confirmation(conn, person_id, key)
            if conf is None or conf.status == "not_needed":
                return conf
            code = None
            if not (conf.code or conf.checked):
                code = new_code()
                while await ChatsRepo.open_codes(conn, [code]):
                    code = new_code()
            await ChatsRepo.confirm(conn, conf.id, answers, code)
            return await ChatsRepo.confirmation(conn, person_id, key)

    async def not_needed(self, deputy: Person, actor: Identity | None, person_id: int, key: str, title: str,
                         reason: str) -> None:
        async with self._db.transaction() as conn:
            conf = await ChatsRepo.ensure(conn, deputy.org_id or "", person_id, key, title)
            await ChatsRepo.set_status(conn, conf.id, "not_needed", reason=reason, decided_by=deputy.id)
            await AuditRepo.write_in(conn, actor=actor, actor_vk_id=deputy.vk_id if actor is None else None,
                                     actor_person_id=deputy.id, org_id=deputy.org_id, action="chat_not_needed",
                                     outcome="ok", target=f"{person_id}:{key}", details={"reason": reason})

    async def withdraw(self, person_id: int, confirmation_id: int, custom_id: int | None) -> None:
        async with self._db.transaction() as conn:
            await ChatsRepo.set_status(conn, confirmation_id, "withdrawn")
            if custom_id is not None:
                await ChatsRepo.remove_custom(conn, person_id, custom_id)

    async def open_codes(self, codes: Sequence[str]) -> list[Confirmation]:
        async with self._db.read() as conn:
            return await ChatsRepo.open_codes(conn, list(codes))

    async def mark_checked(self, confirmation: Confirmation, chat: ChatRef, members: int | None,
                           actor: Identity) -> tuple[bool, Person | None]:
        async with self._db.transaction() as conn:
            if not await ChatsRepo.open_codes(conn, [confirmation.code or ""]):
                return False, None
            await ChatsRepo.mark_checked(conn, confirmation.id, chat.chat_id, members, chat.messenger.value)
            await AuditRepo.write_in(
                conn, actor=actor, org_id=confirmation.org_id, action="chat_checked", outcome="ok",
                target=f"{confirmation.person_id}:{confirmation.chat_key}",
                details={"peer_id": chat.chat_id, "members": members, "messenger": chat.messenger.value})
            return True, await ChatsRepo.person_in(conn, confirmation.person_id)
