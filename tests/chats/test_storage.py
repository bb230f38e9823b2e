"""ChatsRepo on real SQLite: drafts, confirmations, codes, custom chats, the dialog."""

from __future__ import annotations

from storage.chats import ChatsRepo
from tests.chats.conftest import School


async def test_confirmation_lifecycle(school: School) -> None:
    """A draft becomes confirmed with its answers and code; its code is open until checked."""
    pid = school.people["ivanova"].id
    async with school.db.transaction() as conn:
        draft = await ChatsRepo.ensure(conn, "school1", pid, "class:5А:pupils", "Чат с учениками 5А")
        again = await ChatsRepo.ensure(conn, "school1", pid, "class:5А:pupils", "Чат с учениками 5А")
        assert draft.id == again.id and draft.status == "draft"
        await ChatsRepo.confirm(conn, draft.id, {"messenger": "viber", "members": 20, "old_chat": "closed"}, "AB3CDE")
        assert [c.id for c in await ChatsRepo.open_codes(conn, ["AB3CDE", "ZZ9ZZZ"])] == [draft.id]
        await ChatsRepo.mark_checked(conn, draft.id, 2000000001, 19)
        assert await ChatsRepo.open_codes(conn, ["AB3CDE"]) == []
    async with school.db.read() as conn:
        [stored] = await ChatsRepo.confirmations(conn, "school1", pid)
    assert (stored.status, stored.old_messenger, stored.members_estimate, stored.checked, stored.members_counted) == (
        "confirmed", "viber", 20, True, 19)


async def test_withdrawn_code_is_not_open(school: School) -> None:
    """Only confirmed, unchecked confirmations answer to their code."""
    pid = school.people["ivanova"].id
    async with school.db.transaction() as conn:
        conf = await ChatsRepo.ensure(conn, "school1", pid, "class:5А:parents", "Чат с родителями 5А")
        await ChatsRepo.confirm(conn, conf.id, {}, "QW2ERT")
        await ChatsRepo.set_status(conn, conf.id, "withdrawn")
        assert await ChatsRepo.open_codes(conn, ["QW2ERT"]) == []


async def test_custom_chats_round_trip(school: School) -> None:
    """A custom chat is listed until it is removed."""
    pid = school.people["petrov"].id
    async with school.db.transaction() as conn:
        custom = await ChatsRepo.add_custom(conn, "school1", pid, "Кружок")
    async with school.db.read() as conn:
        assert [c.title for c in await ChatsRepo.custom_chats(conn, "school1", pid)] == ["Кружок"]
    async with school.db.transaction() as conn:
        await ChatsRepo.remove_custom(conn, pid, custom.id)
        assert await ChatsRepo.custom_chats(conn, "school1") == []