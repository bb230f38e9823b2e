"""execute, the rate limit, faults and the clock."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from tests.emulator.support import OTHER, TOKEN, USER, VKCall
from vk_emulator import Emulator, EmulatorControl


def sends(count: int, start: int = 1) -> str:
    calls = [
        f'API.messages.send({{"peer_id": {USER}, "random_id": {start + i}, "message": "m{i}"}})'
        for i in range(count)
    ]
    return "return [" + ", ".join(calls) + "];"


async def test_execute_with_25_calls(vk: VKCall, control: EmulatorControl) -> None:
    body = await vk("execute", code=sends(25))
    assert len(body["response"]) == 25 and all(isinstance(r, int) for r in body["response"])
    assert "execute_errors" not in body
    stats = await control.stats()
    assert stats["requests"] == {"execute": 1}
    assert stats["delivered"] == 25


async def test_execute_with_26_calls_is_error_13(vk: VKCall, control: EmulatorControl) -> None:
    body = await vk("execute", code=sends(26))
    assert body["error"]["error_code"] == 13
    assert (await control.sent(USER))["items"] == []


async def test_execute_limit_is_configurable(vk: VKCall, control: EmulatorControl) -> None:
    await control.limits(rps=None, execute_max_calls=2)
    assert (await vk("execute", code=sends(3)))["error"]["error_code"] == 13


async def test_execute_failed_inner_calls(vk: VKCall) -> None:
    code = (
        f'var a = API.users.get({{"user_ids": [{USER}]}});'
        f'var b = API.messages.send({{"peer_id": {OTHER}, "random_id": 0, "message": "x"}});'
        f'var c = API.messages.send({{"peer_id": {USER}, "random_id": 0}});'
        "return [a, b, c];"
    )
    body = await vk("execute", code=code)
    users, denied, missing = body["response"]
    assert users[0]["id"] == USER
    assert denied is False and missing is False
    assert [(e["method"], e["error_code"]) for e in body["execute_errors"]] == [
        ("messages.send", 901),
        ("messages.send", 100),
    ]


async def test_execute_variables_and_single_return(vk: VKCall) -> None:
    body = await vk("execute", code=f'var u = API.users.get({{"user_ids": "{USER}"}}); return u;')
    assert body["response"][0]["id"] == USER
    body = await vk("execute", code="return API.groups.getById();")
    assert body["response"]["groups"]
    body = await vk("execute", code='return {"n": 1, "u": API.users.get({"user_ids": [101]})};')
    assert body["response"]["n"] == 1


async def test_execute_dedupes_inner_sends(vk: VKCall, control: EmulatorControl) -> None:
    await vk("execute", code=sends(3))
    await vk("execute", code=sends(3))
    assert len((await control.sent(USER))["items"]) == 3
    assert (await control.stats())["deduplicated"] == 3


@pytest.mark.parametrize(
    "code",
    ["return API.users.get({", "var = 1; return 1;", "while (1) { }", " ", "API.users.get({});"],
)
async def test_unparsable_execute_is_error_12(vk: VKCall, code: str) -> None:
    body = await vk("execute", code=code)
    assert body["error"]["error_code"] == 12


async def test_strict_execute_inner_unknown_parameter(vk: VKCall) -> None:
    body = await vk("execute", code=f'return [API.users.get({{"user_ids": [{USER}], "x": 1}})];')
    assert body["response"] == [False]
    assert body["execute_errors"][0]["error_code"] == 100


async def test_rate_limit_under_100_concurrent_requests(
    vk: VKCall, control: EmulatorControl
) -> None:
    await control.limits(rps=20)
    await control.clock(frozen=True)
    bodies = await asyncio.gather(*(vk("users.get", user_ids=USER) for _ in range(100)))
    codes = [b["error"]["error_code"] for b in bodies if "error" in b]
    assert codes == [6] * 80
    assert (await control.stats())["rate_limited"] == 80
    # The window slides with the clock.
    await control.clock(advance_s=1.0)
    assert "response" in await vk("users.get", user_ids=USER)


async def test_execute_counts_once_against_the_rate_limit(
    vk: VKCall, control: EmulatorControl
) -> None:
    await control.limits(rps=2)
    await control.clock(frozen=True)
    assert "response" in await vk("execute", code=sends(25))
    assert "response" in await vk("users.get", user_ids=USER)
    assert (await vk("users.get", user_ids=USER))["error"]["error_code"] == 6


async def test_error_rate_fault(vk: VKCall, control: EmulatorControl) -> None:
    await control.faults(error_rate={"9": 1.0})
    body = await vk("users.get", user_ids=USER)
    assert body["error"]["error_code"] == 9
    await control.faults()
    assert "response" in await vk("users.get", user_ids=USER)


async def test_http_500_fault(
    emu: Emulator, session: aiohttp.ClientSession, control: EmulatorControl
) -> None:
    await control.faults(http_500_rate=1.0)
    async with session.post(
        emu.api_url + "users.get", data={"access_token": TOKEN, "user_ids": str(USER)}
    ) as response:
        assert response.status == 500


async def test_dropped_request_takes_effect(
    emu: Emulator, session: aiohttp.ClientSession, control: EmulatorControl
) -> None:
    await control.faults(drop_rate=1.0)
    form = {"access_token": TOKEN, "peer_id": str(USER), "random_id": "9", "message": "lost"}
    with pytest.raises(aiohttp.ClientError):
        async with session.post(emu.api_url + "messages.send", data=form) as response:
            await response.read()
    assert [i["text"] for i in (await control.sent(USER))["items"]] == ["lost"]
    # The retry with the same random_id is deduplicated.
    await control.faults()
    async with session.post(emu.api_url + "messages.send", data=form) as response:
        body = await response.json()
    assert "response" in body
    assert len((await control.sent(USER))["items"]) == 1


async def test_delay_fault_and_bad_fault_input(vk: VKCall, control: EmulatorControl) -> None:
    from vk_emulator.client import ControlAPIError

    await control.faults(delay_ms=[1, 2])
    assert "response" in await vk("users.get", user_ids=USER)
    with pytest.raises(ControlAPIError):
        await control.faults(delay_ms=[5, 1])
    with pytest.raises(ControlAPIError):
        await control.faults(longpoll_failed=[4])


async def test_clock_freeze_and_advance(control: EmulatorControl, vk: VKCall) -> None:
    frozen = await control.clock(frozen=True)
    assert frozen["frozen"] is True
    later = await control.clock(advance_s=3600)
    assert later["now"] == pytest.approx(frozen["now"] + 3600)
    await vk("messages.send", peer_id=USER, random_id=0, message="x")
    (item,) = (await control.sent(USER))["items"]
    assert item["date"] == int(later["now"])
    running = await control.clock(frozen=False)
    assert running["frozen"] is False and running["now"] >= later["now"]


async def test_reset_restores_limits_and_faults(control: EmulatorControl) -> None:
    await control.limits(rps=1, intent_window_hours=24)
    await control.faults(error_rate={"10": 0.5})
    await control.reset()
    assert (await control.get_faults())["error_rate"] == {}
    assert (await control.get_limits())["intent_window_hours"] is None


async def test_json_payload_round_trip_in_execute(vk: VKCall, control: EmulatorControl) -> None:
    kb = {
        "inline": True,
        "buttons": [[{"action": {"type": "callback", "label": "ok", "payload": {"c": 1}}}]],
    }
    code = (
        "return API.messages.send("
        + json.dumps({"peer_id": USER, "random_id": 0, "message": "x", "keyboard": kb})
        + ");"
    )
    body = await vk("execute", code=code)
    assert isinstance(body["response"], int)
    assert (await control.sent(USER))["items"][0]["keyboard"]["inline"] is True
