"""BroadcastService on in-memory stores only (no database): the run, its keys, outcomes and report."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.domain.models import Person, Role
from bot.messaging.events import Messenger
from bot.services.broadcasts import BroadcastRefused, BroadcastService
from bot.services.reachability import ReachabilityService
from bot.stores.broadcasts import AudiencePerson
from tests.broadcasts.test_service import FakeSender
from tests.fakes.broadcasts import FakeBroadcastStore, FakeStats

DEPUTY = Person(id=1, org_id="school1", full_name="Белова Ирина", role=Role.DEPUTY, vk_id=1002)
ANNA = AudiencePerson(person_id=2, full_name="Иванова Анна", vk_id=2001)
OLEG = AudiencePerson(person_id=3, full_name="Кузнецов Олег", vk_id=2005)
MARIA = AudiencePerson(person_id=4, full_name="Сидорова Мария", vk_id=None)


class NoReach:
    """Reachability must not be asked while a started broadcast runs."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"reachability asked: {name}")


def _service(settings: Settings, store: FakeBroadcastStore, sender: FakeSender,
             stats: FakeStats | None = None) -> BroadcastService:
    return BroadcastService(store, stats or FakeStats(), settings, sender, ReachabilityService(NoReach()),  # type: ignore[arg-type]
                            messengers={Messenger.VK: sender})


async def test_a_started_broadcast_reaches_each_person_once_and_reports(settings: Settings) -> None:
    """Each addressable person gets one message under broadcast:{id}:{person}; the store keeps every
    outcome (a VK refusal, no address) and the deputy's report counts and names them."""
    store = FakeBroadcastStore(staff={"school1": [ANNA, OLEG, MARIA]})
    sender = FakeSender({2005: 901})
    svc = _service(settings, store, sender)
    draft = await store.create("school1", 1002, "all", None, "Совещание в 15:00")
    await svc.start(draft.id, DEPUTY)
    assert [m.idem_key for m in sender.bulk] == [f"broadcast:{draft.id}:2"]
    outcomes = {r.person_id: (r.status, r.error_code) for r in await store.recipients(draft.id)}
    assert outcomes == {2: ("sent", None), 3: ("unreachable", 901), 4: ("skipped", None)}
    assert (await store.get(draft.id)).status == "done"  # type: ignore[union-attr]
    report = sender.replies[-1].text
    assert report.startswith("Рассылка отправлена. Доставлено: 1 из 3.")
    assert "Кузнецов Олег" in report and "Сидорова Мария" in report
    assert await svc.run(draft.id) is None  # finished: a second run sends nothing
    assert len(sender.bulk) == 1


async def test_threshold_audiences_need_a_table_and_classes_come_from_the_store(settings: Settings) -> None:
    """Without an imported period the «below» audience is refused; a typed class is matched to the store's."""
    store = FakeBroadcastStore(leads={"school1": {"5А": [ANNA]}})
    svc = _service(settings, store, FakeSender())
    with pytest.raises(BroadcastRefused, match="таблицы статистики"):
        await svc.audience("school1", "below")
    assert await svc.find_class("school1", "5 a") == "5А"
    assert await svc.audience("school1", "class", "5А") == [ANNA]
    with pytest.raises(BroadcastRefused, match="В списке есть: 5А"):
        await svc.find_class("school1", "7Б")
