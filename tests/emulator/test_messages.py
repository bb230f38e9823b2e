"""messages.*: permissions, deduplication, chats, keyboards, edits, callback answers, intents."""

from __future__ import annotations

import json

from tests.emulator.support import GROUP_ID, OTHER, USER, VKCall
from vk_emulator import EmulatorControl

CHAT_PEER = 2_000_000_005


def keyboard(rows: int, cols: int, *, inline: bool = False, label: str = "b") -> str:
    buttons = [
        [{"action": {"type": "text", "label": label}, "color": "primary"} for _ in range(cols)]
        for _ in range(rows)
    ]
    return json.dumps({"one_time": False, "inline": inline, "buttons": buttons})


async def test_send_to_a_user_who_allowed_messages(vk: VKCall, control: EmulatorControl) -> None:
    body = await vk("messages.send", peer_id=USER, random_id=0, message="hello")
    assert isinstance(body["response"], int) and body["response"] > 0
    items = (await control.sent(USER))["items"]
    assert [i["text"] for i in items] == ["hello"]


async def test_user_who_never_wrote_gets_901_until_they_write(
    vk: VKCall, control: EmulatorControl
) -> None:
    assert (await vk("messages.send", peer_id=OTHER, random_id=0, message="x"))["error"][
        "error_code"
    ] == 901
    await control.say(OTHER, "hi")
    assert "response" in await vk("messages.send", peer_id=OTHER, random_id=0, message="x")
    users = {u["id"]: u for u in (await control.users())["items"]}
    assert users[OTHER]["last_message_date"] is not None


async def test_allow_then_deny(vk: VKCall, control: EmulatorControl) -> None:
    await control.allow(OTHER)
    assert (await vk("messages.isMessagesFromGroupAllowed", group_id=GROUP_ID, user_id=OTHER))[
        "response"
    ] == {"is_allowed": 1}
    await control.deny(OTHER)
    assert (await vk("messages.send", peer_id=OTHER, random_id=0, message="x"))["error"][
        "error_code"
    ] == 901
    assert (await vk("messages.isMessagesFromGroupAllowed", group_id=GROUP_ID, user_id=OTHER))[
        "response"
    ] == {"is_allowed": 0}


async def test_blocking_user_gets_902(vk: VKCall, control: EmulatorControl) -> None:
    await control.add_user(103, "B", "C", allows_messages=True, blocks_messages=True)
    body = await vk("messages.send", peer_id=103, random_id=0, message="x")
    assert body["error"]["error_code"] == 902


async def test_random_id_deduplication(vk: VKCall, control: EmulatorControl) -> None:
    first = await vk("messages.send", peer_id=USER, random_id=42, message="once")
    second = await vk("messages.send", peer_id=USER, random_id=42, message="once")
    assert first["response"] == second["response"]
    assert len((await control.sent(USER))["items"]) == 1
    stats = await control.stats()
    assert stats["deduplicated"] == 1 and stats["delivered"] == 1
    # random_id 0 disables the check; the same id for another peer is another message.
    await vk("messages.send", peer_id=USER, random_id=0, message="a")
    await vk("messages.send", peer_id=USER, random_id=0, message="a")
    await control.allow(OTHER)
    await vk("messages.send", peer_id=OTHER, random_id=42, message="once")
    assert len((await control.sent(USER))["items"]) == 3
    assert len((await control.sent(OTHER))["items"]) == 1


async def test_dedupe_window_expires_with_the_clock(vk: VKCall, control: EmulatorControl) -> None:
    await control.limits(rps=None, dedupe_window_s=60)
    await control.clock(frozen=True)
    await vk("messages.send", peer_id=USER, random_id=7, message="a")
    await control.clock(advance_s=61)
    await vk("messages.send", peer_id=USER, random_id=7, message="a")
    assert len((await control.sent(USER))["items"]) == 2


async def test_peer_ids_give_per_peer_results_and_errors(vk: VKCall) -> None:
    body = await vk("messages.send", peer_ids=f"{USER},{OTHER}", random_id=0, message="x")
    ok, failed = body["response"]
    assert ok["peer_id"] == USER and ok["message_id"] > 0 and ok["conversation_message_id"] > 0
    assert "error" not in ok
    assert failed["peer_id"] == OTHER
    assert failed["error"]["code"] == 901 and failed["error"]["description"]


async def test_more_than_100_peer_ids_is_error_100(vk: VKCall) -> None:
    peers = ",".join(str(i) for i in range(1, 102))
    assert (await vk("messages.send", peer_ids=peers, random_id=0, message="x"))["error"][
        "error_code"
    ] == 100


async def test_chat_messages_have_id_0_and_growing_cmids(
    vk: VKCall, control: EmulatorControl
) -> None:
    created = await control.add_chat(5, "7А", [USER, OTHER])
    assert created["peer_id"] == CHAT_PEER
    assert (await vk("messages.send", peer_id=CHAT_PEER, random_id=0, message="a"))["response"] == 0
    items = (await vk("messages.send", peer_ids=CHAT_PEER, random_id=0, message="b"))["response"]
    assert items[0]["message_id"] == 0
    sent = (await control.sent(CHAT_PEER))["items"]
    # cmid 1 is the bot's own chat_invite_user service message.
    assert [s["conversation_message_id"] for s in sent] == [2, 3]
    assert items[0]["conversation_message_id"] == 3


async def test_message_or_attachment_is_required_and_length_limit(
    vk: VKCall, control: EmulatorControl
) -> None:
    assert (await vk("messages.send", peer_id=USER, random_id=0))["error"]["error_code"] == 100
    assert (await vk("messages.send", random_id=0, message="x"))["error"]["error_code"] == 100
    long = "я" * 4097
    assert (await vk("messages.send", peer_id=USER, random_id=0, message=long))["error"][
        "error_code"
    ] == 914
    assert "response" in await vk("messages.send", peer_id=USER, random_id=0, message=long[:4096])
    await control.limits(rps=None, max_message_length=10)
    assert (await vk("messages.send", peer_id=USER, random_id=0, message="x" * 11))["error"][
        "error_code"
    ] == 914


async def test_unknown_attachment_is_error_100(vk: VKCall) -> None:
    for attachment in ("doc1_999", "video1_2", "garbage"):
        body = await vk("messages.send", peer_id=USER, random_id=0, attachment=attachment)
        assert body["error"]["error_code"] == 100, attachment


async def test_payload_must_be_json(vk: VKCall) -> None:
    body = await vk("messages.send", peer_id=USER, random_id=0, message="x", payload="{bad")
    assert body["error"]["error_code"] == 100
    ok = await vk("messages.send", peer_id=USER, random_id=0, message="x", payload='{"a":1}')
    assert "response" in ok


async def test_keyboard_limits(vk: VKCall, control: EmulatorControl) -> None:
    async def code(kb: str) -> int | None:
        body = await vk("messages.send", peer_id=USER, random_id=0, message="x", keyboard=kb)
        return body["error"]["error_code"] if "error" in body else None

    assert await code(keyboard(10, 4)) is None
    assert await code(keyboard(8, 5)) is None
    assert await code(keyboard(9, 5)) == 911  # 45 buttons
    assert await code(keyboard(11, 1)) == 911
    assert await code(keyboard(1, 6)) == 911
    assert await code(keyboard(2, 5, inline=True)) is None
    assert await code(keyboard(3, 4, inline=True)) == 911  # 12 buttons
    assert await code(keyboard(7, 1, inline=True)) == 911
    assert await code(keyboard(1, 1, label="x" * 40)) is None
    assert await code(keyboard(1, 1, label="x" * 41)) == 911
    assert await code(json.dumps({"buttons": []})) is None
    assert await code("{not json") == 911
    long_payload = {
        "buttons": [
            [{"action": {"type": "text", "label": "a", "payload": json.dumps({"k": "v" * 260})}}]
        ]
    }
    assert await code(json.dumps(long_payload)) == 911
    bad_color = {"buttons": [[{"action": {"type": "text", "label": "a"}, "color": "red"}]]}
    assert await code(json.dumps(bad_color)) == 911
    secondary = {
        "buttons": [
            [
                {
                    "action": {"type": "callback", "label": "a", "payload": {"c": 1}},
                    "color": "secondary",
                }
            ]
        ]
    }
    assert await code(json.dumps(secondary)) is None
    await control.community(bots_capabilities=False)
    assert await code(keyboard(1, 1)) == 912
    assert await code(json.dumps({"buttons": []})) == 912


async def test_sent_shows_parsed_keyboard(vk: VKCall, control: EmulatorControl) -> None:
    await vk("messages.send", peer_id=USER, random_id=0, message="x", keyboard=keyboard(1, 2))
    item = (await control.sent(USER))["items"][0]
    assert item["keyboard"]["buttons"][0][1]["action"]["label"] == "b"


async def test_edit_by_cmid_and_message_id(vk: VKCall, control: EmulatorControl) -> None:
    await control.add_chat(5, "chat", [USER])
    cmid = (await vk("messages.send", peer_ids=CHAT_PEER, random_id=0, message="old"))["response"][
        0
    ]["conversation_message_id"]
    assert (
        await vk("messages.edit", peer_id=CHAT_PEER, conversation_message_id=cmid, message="new")
    )["response"] == 1
    assert (await control.sent(CHAT_PEER))["items"][0]["text"] == "new"
    message_id = (await vk("messages.send", peer_id=USER, random_id=0, message="a"))["response"]
    assert (
        await vk(
            "messages.edit",
            peer_id=USER,
            message_id=message_id,
            message="b",
            keyboard=keyboard(1, 1),
        )
    )["response"] == 1
    item = (await control.sent(USER))["items"][0]
    assert item["text"] == "b" and item["keyboard"] is not None
    assert (await vk("messages.edit", peer_id=USER, cmid=999, message="z"))["error"][
        "error_code"
    ] == 100


async def test_message_event_answer_and_expiry(vk: VKCall, control: EmulatorControl) -> None:
    await control.clock(frozen=True)
    cmid = (await vk("messages.send", peer_ids=USER, random_id=0, message="kb"))["response"][0][
        "conversation_message_id"
    ]
    event_id = (await control.press(USER, cmid, {"cmd": "ok"}))["event_id"]
    data = json.dumps({"type": "show_snackbar", "text": "Готово"})
    ok = await vk(
        "messages.sendMessageEventAnswer",
        event_id=event_id,
        user_id=USER,
        peer_id=USER,
        event_data=data,
    )
    assert ok["response"] == 1
    snackbars = (await control.snackbars(USER))["items"]
    assert snackbars == [
        {"event_id": event_id, "event_data": {"type": "show_snackbar", "text": "Готово"}}
    ]
    wrong_user = await vk(
        "messages.sendMessageEventAnswer", event_id=event_id, user_id=OTHER, peer_id=USER
    )
    assert wrong_user["error"]["error_code"] == 100
    too_long = json.dumps({"type": "show_snackbar", "text": "x" * 1000})
    assert (
        await vk(
            "messages.sendMessageEventAnswer",
            event_id=event_id,
            user_id=USER,
            peer_id=USER,
            event_data=too_long,
        )
    )["error"]["error_code"] == 100
    await control.clock(advance_s=61)
    expired = await vk(
        "messages.sendMessageEventAnswer",
        event_id=event_id,
        user_id=USER,
        peer_id=USER,
        event_data=data,
    )
    assert expired["error"]["error_code"] == 100
    assert "expired" in expired["error"]["error_msg"]


async def test_get_conversation_members_needs_admin(vk: VKCall, control: EmulatorControl) -> None:
    await control.add_chat(5, "plain", [USER, OTHER])
    assert (await vk("messages.getConversationMembers", peer_id=CHAT_PEER))["error"][
        "error_code"
    ] == 917
    await control.add_chat(6, "admin", [USER, OTHER], bot_is_admin=True)
    body = await vk("messages.getConversationMembers", peer_id=2_000_000_006, fields="screen_name")
    members = {m["member_id"] for m in body["response"]["items"]}
    assert members == {USER, OTHER, -GROUP_ID}
    assert {p["id"] for p in body["response"]["profiles"]} == {USER, OTHER}


async def test_intent_window_943_and_quota_944(vk: VKCall, control: EmulatorControl) -> None:
    await control.clock(frozen=True)
    await control.say(USER, "hi")
    await control.limits(rps=None, intent_window_hours=24, intent_quota=2)
    assert "response" in await vk("messages.send", peer_id=USER, random_id=0, message="in window")
    await control.clock(advance_s=24 * 3600 + 1)
    assert (await vk("messages.send", peer_id=USER, random_id=0, message="late"))["error"][
        "error_code"
    ] == 943
    for _ in range(2):
        assert "response" in await vk(
            "messages.send", peer_id=USER, random_id=0, message="i", intent="non_promo_newsletter"
        )
    assert (
        await vk(
            "messages.send", peer_id=USER, random_id=0, message="i", intent="non_promo_newsletter"
        )
    )["error"]["error_code"] == 944
    # Writing again reopens the window.
    await control.say(USER, "back")
    assert "response" in await vk("messages.send", peer_id=USER, random_id=0, message="ok")


async def test_intent_rules_are_off_by_default(vk: VKCall, control: EmulatorControl) -> None:
    await control.clock(frozen=True)
    await control.say(USER, "hi")
    await control.clock(advance_s=10 * 24 * 3600)
    assert "response" in await vk("messages.send", peer_id=USER, random_id=0, message="late")


async def test_wait_sent_returns_when_messages_arrive(vk: VKCall, control: EmulatorControl) -> None:
    import asyncio

    waiter = asyncio.create_task(control.wait_sent(USER, 2, timeout=10))
    await vk("messages.send", peer_id=USER, random_id=0, message="1")
    await vk("messages.send", peer_id=USER, random_id=0, message="2")
    items = await waiter
    assert [i["text"] for i in items] == ["1", "2"]
    after = items[-1]["seq"]
    try:
        await control.wait_sent(USER, 1, after=after, timeout=0.2)
    except TimeoutError:
        pass
    else:
        raise AssertionError("wait_sent returned without new messages")


async def test_reply_in_chat_by_forward(vk: VKCall, control: EmulatorControl) -> None:
    await control.add_chat(5, "chat", [USER], bot_reads_all=True)
    said = await control.say(USER, "вопрос", peer_id=CHAT_PEER)
    forward = {
        "peer_id": CHAT_PEER,
        "conversation_message_ids": [said["conversation_message_id"]],
        "is_reply": True,
    }
    body = await vk(
        "messages.send",
        peer_ids=CHAT_PEER,
        random_id=0,
        message="ответ",
        forward=json.dumps(forward),
    )
    assert body["response"][0]["message_id"] == 0
    (item,) = (await control.sent(CHAT_PEER))["items"]
    assert item["forward"] == forward
    bad = await vk("messages.send", peer_id=CHAT_PEER, random_id=0, message="x", forward="{no")
    assert bad["error"]["error_code"] == 100


async def test_users_get_lists_each_user_once(vk: VKCall) -> None:
    body = await vk("users.get", user_ids=f"{USER},anna,{USER}")
    assert [u["id"] for u in body["response"]] == [USER]


async def test_random_id_is_required_in_strict_mode(vk: VKCall) -> None:
    body = await vk("messages.send", peer_id=USER, message="x")
    assert body["error"]["error_code"] == 100
    assert "random_id" in body["error"]["error_msg"]


async def test_get_by_conversation_message_id_and_activity(
    vk: VKCall, control: EmulatorControl
) -> None:
    await control.add_chat(5, "chat", [USER], bot_reads_all=True)
    said = await control.say(USER, "полный текст", peer_id=CHAT_PEER)
    body = await vk(
        "messages.getByConversationMessageId",
        peer_id=CHAT_PEER,
        conversation_message_ids=f"{said['conversation_message_id']},999",
    )
    assert body["response"]["count"] == 1
    assert body["response"]["items"][0]["text"] == "полный текст"
    assert (await vk("messages.setActivity", peer_id=USER, type="typing"))["response"] == 1
    assert (await vk("messages.setActivity", peer_id=2_000_000_099, type="typing"))["error"][
        "error_code"
    ] == 917
    assert (await vk("messages.markAsRead", peer_id=USER))["response"] == 1


async def test_failed_edit_changes_nothing(vk: VKCall, control: EmulatorControl) -> None:
    message_id = (await vk("messages.send", peer_id=USER, random_id=0, message="old"))["response"]
    body = await vk(
        "messages.edit", peer_id=USER, message_id=message_id, message="new", keyboard="{broken"
    )
    assert body["error"]["error_code"] == 911
    assert (await control.sent(USER))["items"][0]["text"] == "old"
