"""Personal data keyed by a VK or MAX account (not by the person): export finds it, forget removes it,
and a MAX user 5 is never VK user 5 (issue 15)."""

from __future__ import annotations

import re
from typing import Any

from bot.composition import privacy_stores
from bot.config import Settings
from bot.domain.models import Organization, Role
from bot.messaging.events import ChatRef, Identity, Messenger
from bot.messaging.state import StateKey
from bot.services.privacy import PrivacyService
from storage.audit import AuditRepo
from storage.conversation_state import ConversationStateRepo
from storage.db import Database
from storage.identity import IdentityRepo
from storage.people import PeopleRepo
from storage.sql import Connection

# Anna's VK id is Pyotr's MAX id and the other way round.
ANNA_VK, ANNA_MAX = 2001, 7001
NOW = "2026-11-20T10:00:00+00:00"


async def _account_rows(db: Database, messenger: str, account: int, person_id: int) -> None:
    """One row in every table that keeps this account (as the bot writes them)."""
    tag = f"{messenger}{account}"
    dialog_chat = account + 50000
    async with db.transaction() as conn:
        q = conn.execute
        if messenger == "vk":
            await q("INSERT INTO vk_users(vk_id, updated_at) VALUES (?, ?)", (account, NOW))
            await q("INSERT INTO reach(messenger, bot, account, can_write, updated_at) VALUES ('vk', 'north', ?, 1, ?)",
                    (account, NOW))
            await q("INSERT INTO broadcasts(org_id, created_by, audience, text, progress_messenger, progress_peer, "
                    "created_at) VALUES ('school1', ?, 'all', 'Собрание в пятницу', 'vk', ?, ?)", (account, account, NOW))
            order_key = f"user:{account}"
        else:
            await q("INSERT INTO reach(messenger, bot, account, can_write, updated_at) VALUES ('max', 'main', ?, 1, ?)",
                    (account, NOW))
            await q("INSERT INTO max_dialogs(bot, user_id, chat_id, updated_at) VALUES ('main', ?, ?, ?)",
                    (account, dialog_chat, NOW))
            await q("INSERT INTO invite_links(token, person_id, org_id, created_at, expires_at, used_at, used_by, "
                    "outcome) VALUES (?, ?, 'school1', ?, ?, ?, ?, 'used')", (tag, person_id, NOW, NOW, NOW, account))
            await q("INSERT INTO outbox(idem_key, kind, messenger, peer_id, message, status, created_at) "
                    "VALUES (?, 'reply', 'max', ?, 'Через чат диалога', 'sent', ?)", (tag + "d", dialog_chat, NOW))
            order_key = f"max:{account}"
        await q("INSERT INTO binding_requests(vk_id, org_id, typed_name, messenger, created_at) "
                "VALUES (?, 'school1', 'Иванова Анна', ?, ?)", (account, messenger, NOW))
        await q("INSERT INTO privacy_consents(messenger, vk_id, org_id, text_version, accepted_at) "
                "VALUES (?, ?, 'school1', 'v1', ?)", (messenger, account, NOW))
        await q("INSERT INTO outbox(idem_key, kind, messenger, peer_id, message, status, created_at) "
                "VALUES (?, 'reply', ?, ?, 'Здравствуйте!', 'pending', ?)", (tag, messenger, account, NOW))
        await q("INSERT INTO inbox(event_id, event_type, order_key, body, received_at) VALUES (?, 'message', ?, ?, ?)",
                (tag, order_key, '{"text": "мой статус"}', NOW))
        await q("INSERT INTO import_confirmations(org_id, actor_id, actor_messenger, kind, file_name, source, preview, "
                "created_at) VALUES ('school1', ?, ?, 'roster', 'staff.xlsx', 'x', 'preview', ?)", (account, messenger, NOW))
        await q("INSERT INTO imports(org_id, kind, file_name, rows_read, rows_imported, imported_by, "
                "imported_by_messenger, imported_at) VALUES ('school1', 'roster', 'staff.xlsx', 1, 1, ?, ?, ?)",
                (account, messenger, NOW))
    who = Identity(messenger=Messenger(messenger), external_id=account)
    await AuditRepo(db).write(actor=who, org_id="school1", action="import_roster", outcome="ok")
    # The account, as a deputy, turned down someone else's binding request (a VK account of its own number).
    identity = IdentityRepo(db)
    asked = await identity.create_request(account + 900000, "school1", "Сидоров Иван", None)
    assert await identity.decide(asked.id, False, account, "school1", decided_by_vk=messenger == "vk")
    await ConversationStateRepo(db).set(StateKey.of(1, ChatRef.dialog_with(who), who, "chats"), "link", {})


async def _school(db: Database, *, with_pyotr: bool) -> tuple[int, int | None]:
    """Anna (VK 2001, MAX 7001) with rows under both accounts; Pyotr (VK 7001, MAX 2001) likewise."""
    people = PeopleRepo(db)
    await people.sync_organizations([Organization(id="school1", name="Школа")])
    anna = await people.add("school1", "Иванова Анна Петровна", Role.TEACHER, vk_id=ANNA_VK, classes=["5А"])
    await people.bind_max(anna.id, ANNA_MAX)
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO live_counts(person_id, period_start, messages) VALUES (?, '2026-11-14', 4)",
                           (anna.id,))
    await _account_rows(db, "vk", ANNA_VK, anna.id)
    await _account_rows(db, "max", ANNA_MAX, anna.id)
    if not with_pyotr:
        return anna.id, None
    pyotr = await people.add("school1", "Петров Пётр Петрович", Role.TEACHER, vk_id=ANNA_MAX)
    await people.bind_max(pyotr.id, ANNA_VK)
    await _account_rows(db, "vk", ANNA_MAX, pyotr.id)
    await _account_rows(db, "max", ANNA_VK, pyotr.id)
    return anna.id, pyotr.id


async def _tables(conn: Connection) -> list[str]:
    sql = ("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
           if conn.dialect == "postgres" else
           "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    async with conn.execute(sql) as cur:
        return [str(r[0]) for r in await cur.fetchall()]


async def cells_with(db: Any, number: int) -> list[str]:
    """`table.column` of every cell that holds `number` (a number, or a word of a text)."""
    word = re.compile(rf"(?<![\d.]){number}(?!\d)")
    found = []
    async with db.read() as conn:
        # The workers registry holds process ids, which may be any number.
        for table in set(await _tables(conn)) - {"workers"}:
            async with conn.execute(f"SELECT * FROM {table}") as cur:  # noqa: S608 - names from the catalogue
                rows = [dict(r) for r in await cur.fetchall()]
            found += [f"{table}.{column}" for row in rows for column, value in row.items()
                      if value == number or (isinstance(value, str) and word.search(value))]
    return sorted(set(found))


async def test_export_has_the_rows_of_both_accounts(db: Database, settings: Settings) -> None:
    """«Мои данные» and export-person list the MAX account's rows as the VK one's, and not the rows of
    another person whose VK id is this person's MAX id."""
    anna, _ = await _school(db, with_pyotr=True)
    data = await PrivacyService(privacy_stores(db), settings).export_person(anna)
    assert data is not None
    tables = data["tables"]
    for table in ("max_dialogs", "invite_links", "live_counts", "vk_users", "broadcasts"):
        assert len(tables[table]) == 1, table
    assert {(r["messenger"], r["account"]) for r in tables["reach"]} == {("vk", ANNA_VK), ("max", ANNA_MAX)}
    for table in ("privacy_consents", "inbox", "import_confirmations", "imports", "conversation_state"):
        assert len(tables[table]) == 2, table  # one per account
    # Per account: the request it made and the one it decided (with its audit line).
    assert len(tables["binding_requests"]) == 4 and len(tables["audit_log"]) == 4
    assert sorted((r["decided_by_messenger"], r["decided_by"]) for r in tables["binding_requests"]
                  if r["decided_by"] is not None) == [("max", ANNA_MAX), ("vk", ANNA_VK)]
    assert sorted(r["peer_id"] for r in tables["outbox"]) == [ANNA_VK, ANNA_MAX, ANNA_MAX + 50000]
    assert {(r["messenger"], r["peer_id"]) for r in tables["outbox"]} == {
        ("vk", ANNA_VK), ("max", ANNA_MAX), ("max", ANNA_MAX + 50000)}
    assert {r["order_key"] for r in tables["inbox"]} == {f"user:{ANNA_VK}", f"max:{ANNA_MAX}"}
    assert {(r["actor_messenger"], r["actor_id"]) for r in tables["import_confirmations"]} == {
        ("vk", ANNA_VK), ("max", ANNA_MAX)}


async def test_forget_leaves_neither_account_anywhere(db: Database, settings: Settings) -> None:
    """After forget no table holds the person's VK or MAX id; the live counts stay, anonymous."""
    anna, _ = await _school(db, with_pyotr=False)
    service = PrivacyService(privacy_stores(db), settings)
    await service.export_person(anna, actor=f"max:{ANNA_MAX}")
    assert "max_dialogs.user_id" in await cells_with(db, ANNA_MAX)
    changed = await service.forget_person(anna)
    assert changed is not None
    assert changed["reach"] == 2 and changed["max_dialogs"] == 1 and changed["outbox"] == 3
    assert changed["inbox"] == 2 and changed["imports"] == 2 and changed["import_confirmations"] == 2
    assert await cells_with(db, ANNA_MAX) == []
    assert await cells_with(db, ANNA_VK) == []
    async with db.read() as conn:
        async with conn.execute("SELECT messages FROM live_counts WHERE person_id = ?", (anna,)) as cur:
            assert [r[0] for r in await cur.fetchall()] == [4]
        async with conn.execute("SELECT status FROM outbox ORDER BY id") as cur:
            # Nothing is sent to a forgotten account any more.
            assert [r[0] for r in await cur.fetchall()] == ["failed", "sent", "failed"]


async def test_forgetting_a_max_user_spares_the_vk_user_with_the_same_number(db: Database,
                                                                             settings: Settings) -> None:
    """Anna's MAX id is Pyotr's VK id (and the other way round): forgetting Anna changes none of Pyotr's rows."""
    anna, pyotr = await _school(db, with_pyotr=True)
    assert pyotr is not None
    service = PrivacyService(privacy_stores(db), settings)
    before = await service.export_person(pyotr)
    await service.forget_person(anna)
    after = await service.export_person(pyotr)
    assert before is not None and after is not None
    # Only the audit line of the second export is new.
    after["tables"]["audit_log"] = [r for r in after["tables"]["audit_log"] if r["action"] != "export_person"]
    before["tables"]["audit_log"] = [r for r in before["tables"]["audit_log"] if r["action"] != "export_person"]
    assert after == before
    assert len(before["tables"]["outbox"]) == 3 and len(before["tables"]["reach"]) == 2
    assert (await service.export_person(anna) or {})["tables"].keys() == {"people", "live_counts"}


async def test_forget_clears_a_max_deciders_audit_details_of_before_0025(db: Database, settings: Settings) -> None:
    """A MAX deputy's decision audited before actor_max_id named them only in its details: forget empties
    those details, and leaves another decider's line (which names a VK account of the same number) alone."""
    anna, _ = await _school(db, with_pyotr=False)
    lines = ('{"vk_id":902001,"person_id":null,"decided_by_max":7001}',
             '{"vk_id":7001,"person_id":null,"decided_by_max":17001}')
    async with db.transaction() as conn:
        for details in lines:
            await conn.execute("INSERT INTO audit_log(at, org_id, action, target, outcome, details) "
                               "VALUES (?, 'school1', 'reject_binding', '99', 'ok', ?)", (NOW, details))
    await PrivacyService(privacy_stores(db), settings).forget_person(anna)
    async with db.read() as conn, conn.execute(
            "SELECT details FROM audit_log WHERE target = '99' ORDER BY id") as cur:
        assert [r[0] for r in await cur.fetchall()] == ["{}", lines[1]]
