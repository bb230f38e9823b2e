"""Auth, unknown paths and verbs, the bot's info and the 400 that names the field."""

from __future__ import annotations

import aiohttp

from max_emulator import MaxEmulator
from max_emulator.control import Control
from tests.max_emulator.support import ANNA, BOT_ID, TOKEN, Call


async def test_me_answers_the_bot(api: Call) -> None:
    """GET /me describes the bot under its id, as a bot."""
    answer = await api("GET", "/me")
    assert answer.status == 200
    assert answer.body["user_id"] == BOT_ID and answer.body["is_bot"] is True


async def test_missing_or_wrong_token_is_401(api: Call) -> None:
    """No header, a wrong token and a `Bearer` prefix all get 401 verify.token."""
    for token in (None, "wrong", f"Bearer {TOKEN}"):
        answer = await api("GET", "/me", token=token)
        assert answer.status == 401
        assert answer.body["code"] == "verify.token"


async def test_token_in_query_is_refused(api: Call) -> None:
    """`access_token` in the query string is refused even beside a good header."""
    answer = await api("GET", "/me", access_token=TOKEN)
    assert (answer.status, answer.body["code"]) == (401, "verify.token")
    answer = await api("GET", "/me", token=None, access_token=TOKEN)
    assert answer.status == 401


async def test_unknown_path_404_and_wrong_verb_405(api: Call) -> None:
    """GET /chats (removed in 2026) is 404; PATCH /messages is 405; both carry code and message."""
    listing = await api("GET", "/chats")
    assert listing.status == 404 and listing.body["code"] == "not.found"
    wrong = await api("PATCH", "/messages")
    assert wrong.status == 405 and wrong.body["message"]


async def test_bad_query_names_the_field(api: Call) -> None:
    """A query value the schema refuses gets 400 naming the parameter."""
    answer = await api("GET", "/updates", limit=0)
    assert answer.status == 400 and answer.body["message"].startswith("limit:")
    answer = await api("GET", "/updates", timeout="soon")
    assert answer.status == 400 and answer.body["message"].startswith("timeout:")


async def test_bad_body_names_the_field(api: Call, ctl: Control) -> None:
    """A body the schema refuses gets 400 naming the field, and an unparsable one names body."""
    ctl.start(ANNA, {})
    answer = await api("POST", "/messages", {"text": "x", "format": "bbcode"}, user_id=ANNA)
    assert answer.status == 400 and answer.body["message"].startswith("format:")
    answer = await api("POST", "/messages", raw_body=b"{not json", user_id=ANNA)
    assert answer.status == 400 and answer.body["message"].startswith("body:")
    answer = await api("POST", "/messages", user_id=ANNA)
    assert answer.status == 400 and answer.body["message"].startswith("body:")


async def test_required_query_parameter(api: Call) -> None:
    """PUT /messages without message_id is 400 naming message_id."""
    answer = await api("PUT", "/messages", {"text": "x"})
    assert answer.status == 400 and answer.body["message"].startswith("message_id:")


async def test_chat_path_must_be_an_integer(api: Call) -> None:
    """GET /chats/abc is 400 naming chatId."""
    answer = await api("GET", "/chats/abc")
    assert answer.status == 400 and answer.body["message"].startswith("chatId:")


async def test_stats_count_requests_by_template(
    emu: MaxEmulator, api: Call, session: aiohttp.ClientSession
) -> None:
    """`/_emu/stats` counts requests as "VERB /template" and errors by code."""
    await api("GET", "/me")
    await api("GET", "/chats/-5")
    await api("GET", "/me", token="bad")
    async with session.get(emu.base_url + "/_emu/stats") as response:
        stats = await response.json()
    assert stats["requests"]["GET /me"] == 2
    assert stats["requests"]["GET /chats/{chatId}"] == 1
    assert stats["errors"]["verify.token"] == 1 and stats["errors"]["chat.not.found"] == 1
