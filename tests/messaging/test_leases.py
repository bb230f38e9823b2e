"""The lease heartbeat on a fake claims store: page sizes, rows lost to another worker, a failed renewal."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from bot.messaging.leases import HeldRows, holding, page_for


class FakeClaims:
    """Claims whose renewal keeps `ours` and can be made to fail; each renewal is recorded."""

    lease = 3.0

    def __init__(self, ours: set[int]) -> None:
        self.ours = ours
        self.asked: list[list[int]] = []
        self.fail = False

    async def renew(self, row_ids: Sequence[int]) -> set[int]:
        self.asked.append(list(row_ids))
        if self.fail:
            raise ConnectionError("база не отвечает")
        return set(row_ids) & self.ours


def test_a_page_is_what_the_rate_sends_in_half_the_lease() -> None:
    assert page_for(30, 60, 300) == 300  # alone: the whole page
    assert page_for(30 * 0.95 / 7, 60, 300) == 122  # seven workers share MAX's 30 requests/s
    assert page_for(0.01, 2, 300) == 1, "a worker sends at least one row a pass"


async def test_only_unsent_rows_are_renewed_and_those_taken_are_lost() -> None:
    claims = FakeClaims({1, 2})
    held = HeldRows(claims, [1, 2, 3, 4])
    held.done(4)
    await held.renew()
    assert claims.asked == [[1, 2, 3]]
    assert held.lost == {3} and not held.holds(3) and held.holds(1)
    await held.renew()
    assert claims.asked[-1] == [1, 2], "a lost row is asked for again"


async def test_the_heartbeat_beats_every_third_of_the_lease_and_outlives_a_failed_renewal(
        caplog: pytest.LogCaptureFixture) -> None:
    """The heartbeat's waits are handed out one by one: a failed renewal is logged, the next one still runs."""
    claims = FakeClaims({1})
    claims.fail = True
    waits: list[float] = []
    beats: asyncio.Queue[asyncio.Future[None]] = asyncio.Queue()

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        beat = asyncio.get_running_loop().create_future()
        beats.put_nowait(beat)
        await beat

    async with holding(claims, [1], sleep=sleep) as held:
        (await beats.get()).set_result(None)
        second = await beats.get()  # the second wait began: the failed renewal did not stop the heartbeat
        assert "не удалось продлить захват" in caplog.text
        claims.fail = False
        second.set_result(None)
        await beats.get()
        assert held.lost == set() and len(claims.asked) == 2
    assert waits[:3] == [1.0, 1.0, 1.0]
