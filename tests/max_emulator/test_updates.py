"""Long polling and its markers, and which group-chat events reach the bot."""

from __future__ import annotations

import asyncio

from max_emulator import MaxEmulator
from max_emulator.control import Control
from tests.max_emulator.support import ANNA, BOT_ID, GROUP, OLGA, PETR, Call


def types_of(body: dict) -> list[str]:
    return [u["update_type"] for u in body["updates"]]


async def test_marker_confirms_and_never_redelivers(api: Call, ctl: Control) -> None:
    """Without a marker the unconfirmed updates come again; with one they are confirmed for good."""
    ctl.start(ANNA, {})
    first = await api("GET", "/updates", timeout=0)
    again = await api("GET", "/updates", timeout=0)
    assert types_of(first.body) == types_of(again.body) == ["bot_started"]
    marker = first.body["marker"]
    assert isinstance(marker, int) and marker > 0
    ctl.say({"user_id": ANNA, "text": "Привет"})
    after = await api("GET", "/updates", timeout=0, marker=marker)
    assert types_of(after.body) == ["message_created"]
    assert after.body["marker"] > marker
    empty = await api("GET", "/updates", timeout=0, marker=after.body["marker"])
    assert empty.body["updates"] == [] and empty.body["marker"] == after.body["marker"]
    unconfirmed = await api("GET", "/updates", timeout=0)
    assert unconfirmed.body["updates"] == []


async def test_limit_and_types(api: Call, ctl: Control) -> None:
    """`limit` caps a batch and `types` filters it."""
    for user in (ANNA, PETR, OLGA):
        ctl.say({"user_id": user, "text": "Привет"})
    two = await api("GET", "/updates", timeout=0, limit=2)
    assert len(two.body["updates"]) == 2
    created = await api("GET", "/updates", timeout=0, types=["message_created"])
    assert types_of(created.body) == ["message_created"] * 3


async def test_long_poll_waits_for_an_update(api: Call, ctl: Control, emu: MaxEmulator) -> None:
    """A held poll returns as soon as an update comes."""
    poll = asyncio.create_task(api("GET", "/updates", timeout=30))
    assert await emu.state.updates.wait_poller(10)
    ctl.say({"user_id": ANNA, "text": "Есть кто?"})
    answer = await asyncio.wait_for(poll, 10)
    assert "message_created" in types_of(answer.body)


async def test_long_poll_ends_when_the_clock_passes_timeout(
    api: Call, ctl: Control, emu: MaxEmulator
) -> None:
    """Advancing the emulator's clock past the timeout ends a held poll with no updates."""
    ctl.set_clock({"frozen": True})
    poll = asyncio.create_task(api("GET", "/updates", timeout=60))
    assert await emu.state.updates.wait_poller(10)
    ctl.set_clock({"advance_s": 61})
    answer = await asyncio.wait_for(poll, 10)
    assert answer.body["updates"] == []


async def test_bot_added_without_user(api: Call, ctl: Control) -> None:
    """bot_added carries chat_id and is_channel but no user, even where the bot is no admin."""
    ctl.add_chat({"chat_id": GROUP, "title": "Учителя", "members": [ANNA]})
    update = (await api("GET", "/updates", timeout=0)).body["updates"][0]
    assert update["update_type"] == "bot_added"
    assert update["chat_id"] == GROUP and update["is_channel"] is False and "user" not in update


async def test_group_events_only_where_admin(api: Call, ctl: Control) -> None:
    """Without admin rights the bot gets no group events; as admin without read_all_messages it
    gets joins but no message_created; with it, messages too."""
    ctl.add_chat({"chat_id": GROUP, "title": "Учителя", "members": [ANNA]})
    ctl.join(GROUP, {"user_id": PETR})
    ctl.say({"user_id": ANNA, "chat_id": GROUP, "text": "раз"})
    marker = (await api("GET", "/updates", timeout=0)).body["marker"]
    ctl.set_bot(GROUP, {"is_admin": True, "reads_all": False})
    ctl.join(GROUP, {"user_id": OLGA})
    said = ctl.say({"user_id": ANNA, "chat_id": GROUP, "text": "два"})
    assert said["delivered_to_bot"] is False
    body = (await api("GET", "/updates", timeout=0, marker=marker)).body
    assert types_of(body) == ["bot_admin_permissions_changed", "user_added"]
    rights = body["updates"][0]
    assert rights["bot_id"] == BOT_ID and rights["is_admin"] is True
    assert "read_all_messages" not in rights["permissions"]
    ctl.set_bot(GROUP, {"is_admin": True, "reads_all": True})
    ctl.say({"user_id": ANNA, "chat_id": GROUP, "text": "три"})
    body = (await api("GET", "/updates", timeout=0, marker=body["marker"])).body
    assert types_of(body) == ["bot_admin_permissions_changed", "message_created"]
    assert body["updates"][1]["message"]["recipient"] == {"chat_id": GROUP, "chat_type": "chat"}


async def test_group_messages_hidden_from_get_messages(api: Call, ctl: Control) -> None:
    """What the bot could not read does not appear in GET /messages either."""
    ctl.add_chat({"chat_id": GROUP, "title": "Учителя", "members": [ANNA]})
    ctl.say({"user_id": ANNA, "chat_id": GROUP, "text": "тайна"})
    listing = await api("GET", "/messages", chat_id=GROUP)
    assert listing.body["messages"] == []


async def test_members_need_admin_and_page_by_marker(api: Call, ctl: Control) -> None:
    """GET /chats/{id}/members is 403 for a non-admin; count ≤ 100 pages by marker; me and
    admins report rights."""
    ctl.add_chat({"chat_id": GROUP, "title": "Учителя", "members": [ANNA, PETR, OLGA]})
    denied = await api("GET", f"/chats/{GROUP}/members")
    assert (denied.status, denied.body["code"]) == (403, "chat.denied")
    me = await api("GET", f"/chats/{GROUP}/members/me")
    assert me.body["is_admin"] is False
    ctl.set_bot(GROUP, {"is_admin": True, "reads_all": True})
    assert (await api("GET", f"/chats/{GROUP}/members", count=101)).status == 400
    page = await api("GET", f"/chats/{GROUP}/members", count=2)
    ids = [m["user_id"] for m in page.body["members"]]
    assert len(ids) == 2 and page.body["marker"] is not None
    rest = await api("GET", f"/chats/{GROUP}/members", count=2, marker=page.body["marker"])
    ids += [m["user_id"] for m in rest.body["members"]]
    assert sorted(ids) == sorted([ANNA, PETR, OLGA, BOT_ID]) and rest.body["marker"] is None
    some = await api("GET", f"/chats/{GROUP}/members", user_ids=[PETR])
    assert [m["user_id"] for m in some.body["members"]] == [PETR]
    me = await api("GET", f"/chats/{GROUP}/members/me")
    assert me.body["is_admin"] is True and "read_all_messages" in me.body["permissions"]
    admins = await api("GET", f"/chats/{GROUP}/members/admins")
    assert {m["user_id"] for m in admins.body["members"]} == {BOT_ID, ANNA}


async def test_deep_link_payload(api: Call, ctl: Control) -> None:
    """A deep-link payload up to 128 characters arrives in bot_started; a longer one as null."""
    ctl.start(ANNA, {"payload": "t" * 128})
    ctl.start(PETR, {"payload": "t" * 129})
    updates = (await api("GET", "/updates", timeout=0)).body["updates"]
    assert [u["payload"] for u in updates] == ["t" * 128, None]
    assert updates[0]["user"]["user_id"] == ANNA and updates[0]["chat_id"] > 0


async def test_stop_leave_and_removal_updates(api: Call, ctl: Control) -> None:
    """bot_stopped, user_removed and bot_removed reach the bot."""
    ctl.start(ANNA, {})
    ctl.stop(ANNA)
    ctl.add_chat(
        {"chat_id": GROUP, "title": "Учителя", "members": [ANNA, PETR], "bot_is_admin": True}
    )
    ctl.leave(GROUP, {"user_id": PETR})
    ctl.set_bot(GROUP, {"removed": True})
    body = (await api("GET", "/updates", timeout=0)).body
    assert types_of(body) == [
        "bot_started",
        "bot_stopped",
        "bot_added",
        "user_removed",
        "bot_removed",
    ]


async def test_long_polling_keeps_updates_for_a_day(api: Call, ctl: Control) -> None:
    """An update not fetched within 24 hours (on the emulator's clock) is gone."""
    ctl.set_clock({"frozen": True})
    ctl.start(ANNA, {})
    ctl.set_clock({"advance_s": 23 * 3600})
    ctl.start(PETR, {})
    ctl.set_clock({"advance_s": 3600 + 1})
    body = (await api("GET", "/updates", timeout=0)).body
    assert [u["user"]["user_id"] for u in body["updates"]] == [PETR]
