"""SummaryService on an in-memory store only (no database): figures from the store, the weekly send once."""

from __future__ import annotations

from bot.config import Settings
from bot.domain.indicators import TableCounts
from bot.services.summary import SummaryService
from bot.stores.summary import RosterCounts, SummaryData
from tests.fakes.summary import FakeSummaryStore
from tests.summary.conftest import WEEK1, WEEK2, FixedClock
from tests.summary.test_service import FakeOutbound

DATA = SummaryData(
    periods={"school1": [WEEK2, WEEK1]},
    tables={("school1", WEEK2.key): TableCounts(rows=4, teachers_total=4, teachers_3plus=3, registered_people=4,
                                                 has_registered=True),
            ("school1", WEEK1.key): TableCounts(rows=4, teachers_total=4, teachers_3plus=1, registered_people=4,
                                                 has_registered=True)},
    roster={"school1": RosterCounts(people=4, from_roster=4, classes=2)},
)


async def test_the_summary_reads_the_store_and_the_weekly_send_goes_once(settings: Settings) -> None:
    """The latest period's figures and the week before come from the store; the weekly summary reaches the
    director and the deputy, is marked in the store, and a second call sends nothing."""
    store, out = FakeSummaryStore(DATA), FakeOutbound()
    service = SummaryService(store, settings, clock=FixedClock(), outbound=out)
    summary = await service.school("school1", names=False)
    assert summary.period == WEEK2 and summary.has_data
    assert summary.as_json()["indicators"]["teachers_3plus"]["count"] == 3
    assert await service.send_weekly("school1") is True
    assert sorted(m.peer_id for m in out.bulk) == [1001, 1002] and store.sent == {("school1", WEEK2.key)}
    assert await service.send_weekly("school1") is False
    assert len(out.bulk) == 2


async def test_a_school_without_a_period_has_no_data_and_sends_nothing(settings: Settings) -> None:
    """No imported period in the store: the summary says so and the weekly send does not go."""
    store, out = FakeSummaryStore(SummaryData()), FakeOutbound()
    service = SummaryService(store, settings, clock=FixedClock(), outbound=out)
    assert not (await service.school("school1")).has_data
    assert await service.send_weekly("school1") is False and out.bulk == [] and store.sent == set()
