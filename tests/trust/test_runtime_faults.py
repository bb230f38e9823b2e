"""Runtime fixes found under load: the long poll keeps its position, replies are idempotent."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from vkbottle.exception_factory import VKAPIError

from bot.config import parse_settings
from bot.ports import OutMessage
from bot.ratelimit import Backoff, RateLimiter
from bot.vk.api import RateLimitedAPI
from bot.vk.outbound import VkOutbound
from bot.vk.rules import random_id_for
from bot.vk.runtime import HandledEvent, InboxPoller, current_event
from storage.db import Database
from storage.outbox import OutboxRepo
from storage.runtime import InboxRepo
from tests.outbox.test_api import ScriptedHTTP


async def _no_answer(obj: dict[str, Any], text: str | None) -> None:
    return None


class ScriptedPoll:
    """getLongPollServer and a_check answers from a script; records the ts of every check."""

    def __init__(self, checks: list[dict[str, Any]], server_errors: int = 0) -> None:
        self.checks = checks
        self.server_errors = server_errors
        self.servers = 0
        self.checked_ts: list[str] = []
        self.poller: InboxPoller | None = None

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        assert method == "groups.getLongPollServer"
        if self.server_errors:
            self.server_errors -= 1
            raise VKAPIError[10](error_msg="Internal server error")
        self.servers += 1
        return {"server": "http://127.0.0.1:1/lp", "key": f"k{self.servers}", "ts": str(100 + self.servers)}

    async def check(self, server: Any) -> dict[str, Any]:
        self.checked_ts.append(server.ts)
        if not self.checks:
            assert self.poller is not None
            self.poller.stop()
            return {"ts": server.ts, "updates": []}
        return self.checks.pop(0)


async def _run(db: Database, script: ScriptedPoll, stored_ts: str | None = "5") -> list[float]:
    inbox = InboxRepo(db)
    if stored_ts is not None:
        await inbox.set_value("longpoll_ts", stored_ts)
    delays: list[float] = []

    async def sleep(delay: float) -> None:
        delays.append(delay)

    async def handle(update: dict[str, Any]) -> None:
        return None

    poller = InboxPoller(call=script.call, inbox=inbox, handle=handle, answer_callback=_no_answer,
                         group_id=1, backoff=Backoff(base=0.01), sleep=sleep)
    script.poller = poller
    poller._check = script.check  # type: ignore[method-assign]
    await asyncio.wait_for(poller.run(), 10)
    return delays


async def test_failed_1_asks_again_from_the_old_position_before_jumping(db: Database) -> None:
    """failed=1 once: the same ts again (nothing skipped); twice in a row: VK's new ts."""
    script = ScriptedPoll([{"failed": 1, "ts": "50"}, {"ts": "6", "updates": []},
                           {"failed": 1, "ts": "60"}, {"failed": 1, "ts": "60"}])
    await _run(db, script)
    assert script.checked_ts == ["5", "5", "6", "6", "60"]


async def test_failed_3_gets_a_new_key_but_keeps_the_position(db: Database) -> None:
    """failed=3: a new key from getLongPollServer, and the events after our own ts still come."""
    script = ScriptedPoll([{"failed": 3}, {"failed": 2}])
    await _run(db, script)
    assert script.servers == 3
    assert script.checked_ts == ["5", "5", "5"]


async def test_vk_errors_on_get_long_poll_server_are_waited_out(db: Database) -> None:
    """Error 10 from getLongPollServer (past the API's retries) backs off instead of killing the poller."""
    script = ScriptedPoll([], server_errors=2)
    delays = await _run(db, script, stored_ts=None)
    assert delays == [0.01, 0.02]
    assert script.checked_ts == ["101"]


def _outbound(http: ScriptedHTTP, tmp_path: Path, db: Database) -> VkOutbound:
    async def sleep(seconds: float) -> None:
        return None

    api = RateLimitedAPI("tok", limiter=RateLimiter(1000), http_client=http, max_attempts=2, sleep=sleep)
    api.API_URL = "http://127.0.0.1:1/method/"
    settings = parse_settings({"schools": [{"id": "school1"}]}, tmp_path)
    return VkOutbound(api, OutboxRepo(db), settings, reply_rounds=3, sleep=sleep)


async def test_replies_to_one_event_get_the_same_random_ids_on_a_replay(tmp_path: Path, db: Database) -> None:
    """The n-th reply while handling event E has the same random_id every time E is handled."""
    http = ScriptedHTTP({"response": [{"peer_id": 7, "message_id": 1, "conversation_message_id": 1}]})
    outbound = _outbound(http, tmp_path, db)
    for _ in range(2):  # the first handling, then the replay after a crash
        token = current_event.set(HandledEvent("ev-1"))
        try:
            await outbound.reply(OutMessage(peer_id=7, text="Ответ"))
            await outbound.reply(OutMessage(peer_id=7, text="Ещё"))
        finally:
            current_event.reset(token)
    ids = [int(data["random_id"]) for _, data in http.calls]
    assert ids[:2] == ids[2:] == [random_id_for("reply:ev-1:1"), random_id_for("reply:ev-1:2")]
    await outbound.reply(OutMessage(peer_id=7, text="Вне события"))
    assert int(http.calls[-1][1]["random_id"]) not in ids


@pytest.mark.parametrize(("fails", "ok"), [(5, True), (6, False)])
async def test_a_reply_outlasts_a_burst_of_faults_with_one_random_id(
        tmp_path: Path, db: Database, fails: int, ok: bool) -> None:
    """Transient faults past the API's retries: more rounds, one random_id, at most 3 rounds."""
    error = {"error": {"error_code": 10, "error_msg": "Internal server error", "request_params": []}}
    done = {"response": [{"peer_id": 7, "message_id": 1, "conversation_message_id": 1}]}
    http = ScriptedHTTP(*([error] * fails), done)
    delivery = await _outbound(http, tmp_path, db).reply(OutMessage(peer_id=7, text="Ответ"))
    assert delivery.ok is ok
    assert len({data["random_id"] for _, data in http.calls}) == 1
    assert len(http.calls) == min(fails + 1, 6)
