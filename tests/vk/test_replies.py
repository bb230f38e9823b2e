"""Replies waiting for the same rate slot share one execute; each keeps its own result."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import aiohttp
import pytest

from bot.ratelimit import Priority, current_priority
from bot.vk.replies import ReplyBatcher
from bot.vk.rules import CallResult, send_params


class FakeVK:
    """Answers messages.send and execute like VK; a gate holds every request until it is opened."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any], Priority]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.refuse: set[int] = set()  # peers whose send VK refuses with 901
        self.raise_: BaseException | None = None

    async def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((method, params, current_priority()))
        await self.gate.wait()
        if self.raise_ is not None:
            raise self.raise_
        if method == "messages.send":
            return {"response": [self._sent(int(params["peer_ids"]))]}
        peers = [int(p) for p in re.findall(r'"peer_ids":(\d+)', params["code"])]
        response: list[Any] = []
        errors = []
        for peer in peers:
            if peer in self.refuse:
                response.append(False)
                errors.append({"method": "messages.send", "error_code": 901, "error_msg": "can't send"})
            else:
                response.append([self._sent(peer)])
        return {"response": response, **({"execute_errors": errors} if errors else {})}

    @staticmethod
    def _sent(peer: int) -> dict[str, int]:
        return {"peer_id": peer, "message_id": peer * 10, "conversation_message_id": peer + 1}


def _failure(exc: BaseException) -> CallResult:
    return CallResult(ok=False, error_code=-1, error=str(exc))


def _batcher(vk: FakeVK, lanes: int = 1) -> ReplyBatcher:
    return ReplyBatcher(vk.request, _failure, errors=(aiohttp.ClientError,), lanes=lanes)


def _params(peer: int) -> dict[str, Any]:
    return send_params(peer, 1000 + peer, f"Ответ {peer}", peer_ids=True)


async def test_a_lone_reply_is_one_messages_send_at_interactive_priority() -> None:
    vk = FakeVK()
    result = await _batcher(vk).send(_params(5))
    assert result.ok and result.message_id == 50 and result.cmid == 6
    assert [(m, p) for m, p, _ in vk.calls] == [("messages.send", _params(5))]
    assert vk.calls[0][2] is Priority.INTERACTIVE


async def test_replies_waiting_behind_a_busy_lane_go_25_to_an_execute_in_order() -> None:
    vk = FakeVK()
    vk.gate.clear()
    batcher = _batcher(vk)
    first = asyncio.create_task(batcher.send(_params(1)))
    await asyncio.sleep(0)  # the lane took the first reply and waits for VK
    rest = [asyncio.create_task(batcher.send(_params(peer))) for peer in range(100, 130)]
    await asyncio.sleep(0)
    vk.gate.set()
    results = await asyncio.gather(first, *rest)
    assert [r.message_id for r in results] == [10, *(peer * 10 for peer in range(100, 130))]
    assert [m for m, _, _ in vk.calls] == ["messages.send", "execute", "execute"]
    assert batcher.requests == 3
    first_execute = vk.calls[1][1]["code"]
    assert [int(p) for p in re.findall(r'"peer_ids":(\d+)', first_execute)] == list(range(100, 125))
    assert json.loads(re.findall(r"API\.messages\.send\((\{.*?\})\)", first_execute)[0]) == _params(100)
    assert all(priority is Priority.INTERACTIVE for _, _, priority in vk.calls)


async def test_a_refused_call_fails_alone_and_a_failed_request_fails_its_batch() -> None:
    vk = FakeVK()
    vk.refuse = {201}
    vk.gate.clear()
    batcher = _batcher(vk)
    tasks = [asyncio.create_task(batcher.send(_params(peer))) for peer in (199, 200, 201, 202)]
    await asyncio.sleep(0)
    vk.gate.set()
    results = await asyncio.gather(*tasks)
    assert [(r.ok, r.error_code) for r in results] == [(True, None), (True, None), (False, 901), (True, None)]

    vk.raise_ = aiohttp.ClientConnectionError("reset")
    vk.gate.clear()
    tasks = [asyncio.create_task(batcher.send(_params(peer))) for peer in (300, 301, 302)]
    await asyncio.sleep(0)
    vk.gate.set()
    results = await asyncio.gather(*tasks)
    assert [(r.ok, r.error_code, r.error) for r in results] == [(False, -1, "reset")] * 3


async def test_an_unexpected_error_reaches_every_sender_and_the_batcher_goes_on() -> None:
    vk = FakeVK()
    vk.raise_ = RuntimeError("bug")
    vk.gate.clear()
    batcher = _batcher(vk)
    tasks = [asyncio.create_task(batcher.send(_params(peer))) for peer in (400, 401)]
    await asyncio.sleep(0)
    vk.gate.set()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert [str(o) for o in outcomes] == ["bug", "bug"]
    vk.raise_ = None
    assert (await batcher.send(_params(402))).ok


async def test_lanes_in_flight_are_bounded_and_a_cancelled_last_lane_fails_the_waiting() -> None:
    vk = FakeVK()
    vk.gate.clear()
    batcher = _batcher(vk, lanes=2)
    tasks = []
    for peer in range(500, 505):  # one after another, as replies come
        tasks.append(asyncio.create_task(batcher.send(_params(peer))))
        for _ in range(2):
            await asyncio.sleep(0)
    assert [m for m, _, _ in vk.calls] == ["messages.send", "messages.send"]  # 2 lanes, 3 replies wait
    for lane in list(batcher._tasks):
        lane.cancel()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(o, asyncio.CancelledError) for o in outcomes)
    vk.gate.set()
    assert (await batcher.send(_params(506))).ok  # a new lane starts for the next reply


@pytest.mark.parametrize("lanes", [1, 4])
async def test_every_reply_is_sent_exactly_once(lanes: int) -> None:
    vk = FakeVK()
    batcher = _batcher(vk, lanes=lanes)
    results = await asyncio.gather(*(batcher.send(_params(peer)) for peer in range(600, 700)))
    assert [r.message_id for r in results] == [peer * 10 for peer in range(600, 700)]
    sent = [int(p) for method, params, _ in vk.calls
            for p in ([params["peer_ids"]] if method == "messages.send"
                      else re.findall(r'"peer_ids":(\d+)', params["code"]))]
    assert sorted(sent) == list(range(600, 700))
    assert len(vk.calls) < 100


def test_a_batcher_outliving_its_event_loop_serves_the_next_one() -> None:
    """A lane left hanging in a finished loop (asyncio.run returned) neither blocks nor counts in the next."""
    vk = FakeVK()
    batcher = _batcher(vk, lanes=1)

    async def stuck() -> None:
        vk.gate.clear()
        asyncio.get_running_loop().create_task(batcher.send(_params(700)))
        await asyncio.sleep(0)
        await asyncio.sleep(0)

    asyncio.run(stuck())
    vk.gate = asyncio.Event()
    vk.gate.set()

    async def again() -> CallResult:
        return await asyncio.wait_for(batcher.send(_params(701)), 5)

    assert asyncio.run(again()).message_id == 7010


@pytest.mark.parametrize("lanes", [1, 4])
async def test_a_reply_sent_the_moment_a_lane_ends_gets_a_lane(lanes: int) -> None:
    """Each sender sends again as soon as its reply is answered, in the same step as the lane that answered it
    ends: the ended lane must not count as busy, or the new reply waits for a lane that never comes."""
    vk = FakeVK()
    batcher = _batcher(vk, lanes=lanes)

    async def sender(first: int) -> list[int]:
        return [(await batcher.send(_params(peer))).message_id for peer in range(first, first + 5)]

    got = await asyncio.wait_for(asyncio.gather(*(sender(800 + 10 * i) for i in range(lanes))), 5)
    assert got == [[peer * 10 for peer in range(800 + 10 * i, 805 + 10 * i)] for i in range(lanes)]
