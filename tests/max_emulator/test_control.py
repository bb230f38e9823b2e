"""The `/_emu/` control API over HTTP, as tests written by anyone drive it."""

from __future__ import annotations

import base64
from typing import Any

import aiohttp
import pytest

from max_emulator import MaxEmulator
from tests.max_emulator.support import ANNA, GROUP, PETR, Call


@pytest.fixture
def emu_call(emu: MaxEmulator, session: aiohttp.ClientSession) -> Any:
    async def call(verb: str, path: str, body: Any = None, **params: Any) -> tuple[int, Any]:
        async with session.request(
            verb, emu.base_url + path, json=body, params={k: str(v) for k, v in params.items()}
        ) as response:
            return response.status, await response.json()

    return call


async def test_users_start_and_stop(emu_call: Any, api: Call) -> None:
    """People are created and listed; start answers the dialog's chat_id; stop closes it."""
    status, body = await emu_call(
        "POST",
        "/_emu/users",
        {"user_id": 900, "first_name": "Ирина", "last_name": "Орлова", "username": "irina"},
    )
    assert (status, body) == (200, {"user_id": 900})
    status, users = await emu_call("GET", "/_emu/users")
    assert any(u["user_id"] == 900 and u["username"] == "irina" for u in users["items"])
    status, started = await emu_call("POST", "/_emu/users/900/start", {"payload": "invite-42"})
    chat_id = started["chat_id"]
    assert (await api("POST", "/messages", {"text": "Привет"}, chat_id=chat_id)).status == 200
    status, _ = await emu_call("POST", "/_emu/users/900/stop", {})
    assert status == 200
    assert (await api("POST", "/messages", {"text": "Привет"}, chat_id=chat_id)).status == 403
    assert (await emu_call("POST", "/_emu/users/12345/start", {}))[0] == 400


async def test_bad_control_requests_are_400(emu_call: Any) -> None:
    """A positive group chat id, an unknown field and a non-JSON body are refused."""
    status, body = await emu_call("POST", "/_emu/chats", {"chat_id": 5, "title": "x"})
    assert status == 400 and "negative" in body["error"]
    assert (await emu_call("POST", "/_emu/users", {"user_id": 1, "first_name": "a", "age": 3}))[
        0
    ] == 400
    assert (await emu_call("POST", "/_emu/faults", {"drop_rate": 2}))[0] == 400
    assert (await emu_call("GET", "/_emu/nothing"))[0] == 404


async def test_chat_join_leave_and_rights(emu_call: Any) -> None:
    """Chats, members and the bot's rights change through the control API."""
    status, body = await emu_call(
        "POST",
        "/_emu/chats",
        {
            "chat_id": GROUP,
            "title": "Учителя",
            "members": [ANNA],
            "bot_is_admin": True,
            "bot_reads_all": True,
        },
    )
    assert body == {"chat_id": GROUP}
    status, joined = await emu_call("POST", f"/_emu/chats/{GROUP}/join", {"user_id": PETR})
    assert joined["delivered_to_bot"] is True
    status, left = await emu_call("POST", f"/_emu/chats/{GROUP}/leave", {"user_id": PETR})
    assert status == 200
    status, rights = await emu_call("POST", f"/_emu/chats/{GROUP}/bot", {"is_admin": False})
    assert rights["bot_is_admin"] is False and rights["bot_reads_all"] is False
    status, chats = await emu_call("GET", "/_emu/chats")
    assert chats["items"][0]["members"] == [ANNA]


async def test_say_with_a_file(
    emu_call: Any, emu: MaxEmulator, session: aiohttp.ClientSession, api: Call
) -> None:
    """A person's file arrives in message_created with a url that downloads it."""
    content = "Отчёт за неделю".encode()
    status, said = await emu_call(
        "POST",
        "/_emu/say",
        {
            "user_id": ANNA,
            "text": "Вот отчёт",
            "attachments": [
                {
                    "type": "file",
                    "filename": "report.txt",
                    "content_base64": base64.b64encode(content).decode(),
                }
            ],
        },
    )
    assert status == 200 and said["mid"].startswith("mid.")
    updates = (await api("GET", "/updates", timeout=0)).body["updates"]
    attachment = updates[-1]["message"]["body"]["attachments"][0]
    assert attachment["type"] == "file" and attachment["filename"] == "report.txt"
    async with session.get(attachment["payload"]["url"]) as response:
        assert await response.read() == content


async def test_press_sent_and_answers(emu_call: Any, api: Call) -> None:
    """sent lists the bot's messages with seq and after; press gives a callback_id; answers
    lists what the bot answered."""
    status, started = await emu_call("POST", f"/_emu/users/{ANNA}/start", {})
    chat_id = started["chat_id"]
    keyboard: dict[str, Any] = {
        "type": "inline_keyboard",
        "payload": {"buttons": [[{"type": "callback", "text": "Да", "payload": "yes"}]]},
    }
    await api("POST", "/messages", {"text": "Первое"}, user_id=ANNA)
    second = await api(
        "POST", "/messages", {"text": "Второе", "attachments": [keyboard]}, user_id=ANNA
    )
    status, sent = await emu_call("GET", "/_emu/sent", chat_id=chat_id)
    items = sent["items"]
    assert [i["text"] for i in items] == ["Первое", "Второе"]
    assert items[1]["keyboard"] == keyboard["payload"]["buttons"]
    status, later = await emu_call("GET", "/_emu/sent", chat_id=chat_id, after=items[0]["seq"])
    assert [i["text"] for i in later["items"]] == ["Второе"]
    mid = second.body["message"]["body"]["mid"]
    status, pressed = await emu_call(
        "POST", "/_emu/press", {"user_id": ANNA, "mid": mid, "payload": "yes"}
    )
    await api("POST", "/answers", {"notification": "Принято"}, callback_id=pressed["callback_id"])
    status, answers = await emu_call("GET", "/_emu/answers", user_id=ANNA)
    assert answers["items"] == [
        {"callback_id": pressed["callback_id"], "notification": "Принято", "message": None}
    ]


async def test_sent_can_wait(emu_call: Any, api: Call, emu: MaxEmulator) -> None:
    """`wait` and `min_count` hold the read until enough messages came (bounded)."""
    status, started = await emu_call("POST", f"/_emu/users/{ANNA}/start", {})
    status, sent = await emu_call("GET", "/_emu/sent", chat_id=started["chat_id"], wait=0.2)
    assert sent["items"] == []


async def test_limits_faults_clock_and_reset(emu_call: Any, emu: MaxEmulator) -> None:
    """Limits and faults are replaced whole; the clock freezes and advances; reset forgets all."""
    status, limits = await emu_call("POST", "/_emu/limits", {"rps": None, "max_text": 100})
    assert limits == {
        "rps": None,
        "per_chat_rps": 2,
        "max_text": 100,
        "attachment_ready_after_s": 0.0,
    }
    status, faults = await emu_call("POST", "/_emu/faults", {"drop_rate": 0.5, "delay_ms": [1, 2]})
    assert faults["drop_rate"] == 0.5 and faults["http_500_rate"] == 0.0
    status, clock = await emu_call("POST", "/_emu/clock", {"frozen": True})
    status, moved = await emu_call("POST", "/_emu/clock", {"advance_s": 3600})
    assert moved["frozen"] is True and moved["now"] == pytest.approx(clock["now"] + 3600)
    status, _ = await emu_call("POST", "/_emu/reset", {})
    status, users = await emu_call("GET", "/_emu/users")
    assert users["items"] == []
    status, faults = await emu_call("GET", "/_emu/faults")
    assert faults["drop_rate"] == 0.0
    status, clock = await emu_call("GET", "/_emu/clock")
    assert clock["frozen"] is False
    status, stats = await emu_call("GET", "/_emu/stats")
    assert set(stats) >= {
        "requests",
        "rate_limited",
        "delivered",
        "errors",
        "webhook_deliveries",
        "webhook_failures",
    }
