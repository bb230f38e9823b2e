"""MAX's rates: 30 requests a second per token, 2 sends a second into one chat, 429 beyond."""

from __future__ import annotations

from max_emulator.control import Control
from tests.max_emulator.support import ANNA, GROUP, PETR, Call


async def test_thirty_requests_a_second(api: Call, ctl: Control) -> None:
    """The 31st request within a second is 429 too.many.requests; a second later it passes;
    refused requests count toward the 30."""
    ctl.set_limits({"rps": 30, "per_chat_rps": None})
    ctl.set_clock({"frozen": True})
    for _ in range(20):
        assert (await api("GET", "/me")).status == 200
    for _ in range(10):
        assert (await api("GET", "/chats/-404")).status == 404
    refused = await api("GET", "/me")
    assert (refused.status, refused.body["code"]) == (429, "too.many.requests")
    ctl.set_clock({"advance_s": 1.0})
    assert (await api("GET", "/me")).status == 200
    assert ctl.core.stats.rate_limited == 1


async def test_two_sends_a_second_per_chat(api: Call, ctl: Control) -> None:
    """A third send into one dialog within a second is 429; another chat is not affected."""
    ctl.set_limits({"rps": None, "per_chat_rps": 2})
    ctl.set_clock({"frozen": True})
    ctl.start(ANNA, {})
    ctl.start(PETR, {})
    assert (await api("POST", "/messages", {"text": "1"}, user_id=ANNA)).status == 200
    assert (await api("POST", "/messages", {"text": "2"}, user_id=ANNA)).status == 200
    third = await api("POST", "/messages", {"text": "3"}, user_id=ANNA)
    assert (third.status, third.body["code"]) == (429, "too.many.requests")
    assert (await api("POST", "/messages", {"text": "1"}, user_id=PETR)).status == 200
    ctl.set_clock({"advance_s": 1.0})
    assert (await api("POST", "/messages", {"text": "3"}, user_id=ANNA)).status == 200
    assert [i["text"] for i in ctl.sent_items(ctl.core.users[ANNA].dialog_id, None)] == [
        "1",
        "2",
        "3",
    ]


async def test_answers_count_toward_the_chat(api: Call, ctl: Control) -> None:
    """POST /answers shares the chat's 2 a second with POST /messages."""
    ctl.set_limits({"rps": None, "per_chat_rps": 2})
    ctl.set_clock({"frozen": True})
    ctl.start(ANNA, {})
    keyboard = {
        "type": "inline_keyboard",
        "payload": {"buttons": [[{"type": "callback", "text": "Да", "payload": "yes"}]]},
    }
    sent = await api("POST", "/messages", {"text": "?", "attachments": [keyboard]}, user_id=ANNA)
    mid = sent.body["message"]["body"]["mid"]
    callback_id = ctl.press({"user_id": ANNA, "mid": mid, "payload": "yes"})["callback_id"]
    assert (
        await api("POST", "/answers", {"notification": "Ок"}, callback_id=callback_id)
    ).status == 200
    assert (await api("POST", "/messages", {"text": "!"}, user_id=ANNA)).status == 429


async def test_refused_sends_do_not_count_toward_the_chat(api: Call, ctl: Control) -> None:
    """Sends refused with 400 or 403 leave the chat's 2 a second untouched."""
    ctl.set_limits({"rps": None, "per_chat_rps": 2})
    ctl.set_clock({"frozen": True})
    ctl.add_chat({"chat_id": GROUP, "title": "Учителя", "members": [ANNA]})
    for _ in range(3):
        assert (await api("POST", "/messages", {"text": "x" * 4001}, chat_id=GROUP)).status == 400
    assert (await api("POST", "/messages", {"text": "1"}, chat_id=GROUP)).status == 200
    assert (await api("POST", "/messages", {"text": "2"}, chat_id=GROUP)).status == 200
    assert (await api("POST", "/messages", {"text": "3"}, chat_id=GROUP)).status == 429
