"""Bots Long Poll over plain HTTP: events, holding, failed 1/2/3 and chats."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from tests.emulator.support import GROUP_ID, OTHER, USER, VKCall
from vk_emulator import Emulator, EmulatorControl

CHAT_PEER = 2_000_000_003


class Poller:
    def __init__(self, vk: VKCall, session: aiohttp.ClientSession) -> None:
        self.vk = vk
        self.session = session
        self.server = ""
        self.key = ""
        self.ts = ""

    async def connect(self) -> None:
        body = (await self.vk("groups.getLongPollServer", group_id=GROUP_ID))["response"]
        assert isinstance(body["ts"], str)
        assert body["server"].startswith("http://127.0.0.1:")
        self.server, self.key, self.ts = body["server"], body["key"], body["ts"]

    async def check(self, wait: float = 0, *, post: bool = False) -> dict[str, Any]:
        params = {"act": "a_check", "key": self.key, "ts": self.ts, "wait": str(wait)}
        request = self.session.post if post else self.session.get
        async with request(self.server, params=params) as response:
            body: dict[str, Any] = await response.json()
        if "ts" in body:
            assert isinstance(body["ts"], str)
            if "failed" not in body:
                self.ts = body["ts"]
        return body


@pytest.fixture
async def poller(vk: VKCall, session: aiohttp.ClientSession) -> Poller:
    p = Poller(vk, session)
    await p.connect()
    return p


async def test_message_new_shape(poller: Poller, control: EmulatorControl) -> None:
    await control.say(USER, "привет", payload={"command": "start"})
    body = await poller.check()
    (event,) = body["updates"]
    assert event["type"] == "message_new"
    assert event["group_id"] == GROUP_ID and event["v"] == "5.199"
    message = event["object"]["message"]
    assert message["text"] == "привет" and message["from_id"] == USER and message["out"] == 0
    assert message["payload"] == '{"command": "start"}'  # a JSON string, as VK sends it
    assert message["fwd_messages"] == [] and message["important"] is False
    assert "button_actions" in event["object"]["client_info"]


async def test_event_ids_are_unique(poller: Poller, control: EmulatorControl) -> None:
    for i in range(5):
        await control.say(USER, str(i))
    body = await poller.check(post=True)
    ids = [e["event_id"] for e in body["updates"]]
    assert len(ids) == 5 and len(set(ids)) == 5
    assert all(isinstance(i, str) and int(i, 16) >= 0 for i in ids)


async def test_request_is_held_until_an_event_arrives(
    poller: Poller, control: EmulatorControl
) -> None:
    pending = asyncio.create_task(poller.check(wait=20))
    held = await control.wait_listening(timeout=10)
    assert held["holding"] == 1
    assert not pending.done()
    await control.say(USER, "wake up")
    body = await asyncio.wait_for(pending, 10)
    assert body["updates"][0]["object"]["message"]["text"] == "wake up"


async def test_empty_updates_after_wait(poller: Poller) -> None:
    body = await poller.check(wait=0)
    assert body["updates"] == []


async def test_message_reply_and_message_event(
    poller: Poller, vk: VKCall, control: EmulatorControl
) -> None:
    items = (await vk("messages.send", peer_ids=USER, random_id=0, message="answer"))["response"]
    cmid = items[0]["conversation_message_id"]
    await control.press(USER, cmid, {"cmd": "yes"})
    updates = (await poller.check())["updates"]
    assert [u["type"] for u in updates] == ["message_reply", "message_event"]
    assert updates[0]["object"]["text"] == "answer" and updates[0]["object"]["out"] == 1
    assert updates[1]["object"]["payload"] == {"cmd": "yes"}  # an object, as VK sends it


async def test_allow_and_deny_events(poller: Poller, control: EmulatorControl) -> None:
    await control.allow(OTHER)
    await control.deny(OTHER)
    updates = (await poller.check())["updates"]
    assert [(u["type"], u["object"]["user_id"]) for u in updates] == [
        ("message_allow", OTHER),
        ("message_deny", OTHER),
    ]
    assert updates[0]["object"]["key"] == ""


async def test_failed_1_gives_new_ts_and_keeps_key(
    poller: Poller, control: EmulatorControl
) -> None:
    await control.faults(longpoll_failed=[1])
    body = await poller.check()
    assert body["failed"] == 1 and isinstance(body["ts"], str)
    poller.ts = body["ts"]
    await control.say(USER, "after 1")
    assert (await poller.check())["updates"][0]["object"]["message"]["text"] == "after 1"


async def test_failed_2_rejects_the_key_until_a_new_one(
    poller: Poller, control: EmulatorControl
) -> None:
    await control.faults(longpoll_failed=[2])
    assert await poller.check() == {"failed": 2}
    assert await poller.check() == {"failed": 2}  # the old key stays dead
    ts = poller.ts
    await poller.connect()
    poller.ts = ts  # keep the ts, as VK says
    await control.say(USER, "after 2")
    assert (await poller.check())["updates"][0]["object"]["message"]["text"] == "after 2"


async def test_failed_3_needs_new_key_and_ts(poller: Poller, control: EmulatorControl) -> None:
    await control.faults(longpoll_failed=[3])
    assert await poller.check() == {"failed": 3}
    assert (await poller.check())["failed"] == 2
    await poller.connect()
    await control.say(USER, "after 3")
    assert (await poller.check())["updates"][0]["object"]["message"]["text"] == "after 3"


async def test_events_follow_community_settings(poller: Poller, control: EmulatorControl) -> None:
    await control.community(events=["message_new"], api_version="5.131")
    await control.allow(OTHER)
    await control.say(USER, "x")
    updates = (await poller.check())["updates"]
    assert [u["type"] for u in updates] == ["message_new"]
    assert updates[0]["v"] == "5.131"


async def test_chat_join_and_mentions(poller: Poller, control: EmulatorControl) -> None:
    await control.add_chat(3, "5Б", [USER, OTHER])
    await control.say(USER, "просто болтаем", peer_id=CHAT_PEER)
    await control.say(USER, f"[club{GROUP_ID}|@bot] помоги", peer_id=CHAT_PEER)
    await control.say(OTHER, "/help", peer_id=CHAT_PEER)
    updates = (await poller.check())["updates"]
    join = updates[0]["object"]["message"]
    assert join["action"] == {"type": "chat_invite_user", "member_id": -GROUP_ID}
    assert join["id"] == 0 and join["peer_id"] == CHAT_PEER
    texts = [u["object"]["message"]["text"] for u in updates[1:]]
    assert texts == [f"[club{GROUP_ID}|@bot] помоги", "/help"]
    assert all(u["object"]["message"]["id"] == 0 for u in updates[1:])
    cmids = [u["object"]["message"]["conversation_message_id"] for u in updates]
    assert cmids == [1, 3, 4]  # the unseen message still took cmid 2


async def test_bot_reading_all_chat_messages(poller: Poller, control: EmulatorControl) -> None:
    await control.add_chat(3, "5Б", [USER], bot_reads_all=True)
    said = await control.say(USER, "просто болтаем", peer_id=CHAT_PEER)
    assert said["event_id"]
    updates = (await poller.check())["updates"]
    assert updates[-1]["object"]["message"]["text"] == "просто болтаем"


async def test_wrong_act_or_ts(poller: Poller, emu: Emulator) -> None:
    poller.ts = "999999"
    body = await poller.check()
    assert body["failed"] == 1 and body["ts"] == str(emu.state.lp_ts)


async def test_advancing_the_clock_ends_a_hold(poller: Poller, control: EmulatorControl) -> None:
    await control.clock(frozen=True)
    pending = asyncio.create_task(poller.check(wait=25))
    await control.wait_listening(timeout=10)
    await control.clock(advance_s=10)
    # Still held: 15 s of the 25 s wait remain on the emulator's clock.
    assert (await control.wait_listening(timeout=5))["holding"] == 1
    assert not pending.done()
    await control.clock(advance_s=16)
    body = await asyncio.wait_for(pending, 10)
    assert body["updates"] == []
