"""Fault injection: dropped answers that took effect, 500s, 429s and delays."""

from __future__ import annotations

import aiohttp
import pytest

from max_emulator import MaxEmulator
from max_emulator.control import Control
from tests.max_emulator.support import ANNA, TOKEN, Call


async def test_drop_rate_delivers_but_loses_the_answer(
    emu: MaxEmulator, ctl: Control, session: aiohttp.ClientSession
) -> None:
    """With drop_rate 1 the message is delivered and the client gets no answer at all."""
    chat_id = ctl.start(ANNA, {})["chat_id"]
    ctl.set_faults({"drop_rate": 1.0})
    with pytest.raises(aiohttp.ClientError):
        async with session.post(
            emu.base_url + "/messages",
            params={"user_id": str(ANNA)},
            json={"text": "Доставлено?"},
            headers={"Authorization": TOKEN},
        ) as response:
            await response.read()
    assert [i["text"] for i in ctl.sent_items(chat_id, None)] == ["Доставлено?"]
    assert emu.state.stats.dropped_answers == 1


async def test_http_500_and_429_rates(api: Call, ctl: Control) -> None:
    """Injected 500s and 429s carry code and message and change nothing."""
    chat_id = ctl.start(ANNA, {})["chat_id"]
    ctl.set_faults({"http_500_rate": 1.0})
    failed = await api("POST", "/messages", {"text": "x"}, user_id=ANNA)
    assert failed.status == 500 and failed.body["code"]
    ctl.set_faults({"http_429_rate": 1.0})
    limited = await api("POST", "/messages", {"text": "x"}, user_id=ANNA)
    assert (limited.status, limited.body["code"]) == (429, "too.many.requests")
    assert ctl.sent_items(chat_id, None) == []
    ctl.set_faults({"delay_ms": [1, 2]})
    assert (await api("POST", "/messages", {"text": "x"}, user_id=ANNA)).status == 200
