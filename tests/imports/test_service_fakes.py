"""The import service on a fake store (no database): who imported, previews that write nothing, kept-aside rows."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.domain.models import Person, Role
from bot.imports.reader import ImportRefused
from bot.imports.report import RosterResult
from bot.messaging.events import Identity, Messenger
from bot.services.imports import ImportService, Mode
from bot.stores.imports import Candidate, PendingRow
from tests.fakes.imports import FakeImportsStore
from tests.imports.conftest import FixedClock
from tests.imports.tables import ROSTER_HEADER, csv_bytes

DEPUTY_IN_MAX = Identity(messenger=Messenger.MAX, external_id=7002)
STAFF = [Person(id=n, org_id="school1", full_name=name, role=Role.TEACHER) for n, name in
         enumerate(["Иванова Анна Петровна", "Петров Игорь Сергеевич", "Сидоров Пётр Ильич"], 1)]


@pytest.fixture
def store() -> FakeImportsStore:
    return FakeImportsStore(STAFF)


@pytest.fixture
def service(store: FakeImportsStore, settings: Settings) -> ImportService:
    return ImportService(store, settings, clock=FixedClock())


def _roster(*names: str) -> bytes:
    return csv_bytes([ROSTER_HEADER, *[[n, "учитель", "", ""] for n in names]])


async def test_a_roster_from_max_is_recorded_under_the_max_account(service: ImportService,
                                                                   store: FakeImportsStore) -> None:
    """Applied from MAX: the import record and its audit line name the deputy's MAX account."""
    data = _roster("Иванова Анна Петровна", "Петров Игорь Сергеевич", "Сидоров Пётр Ильич", "Новикова Дарья")
    result = await service.import_roster(data, "staff.csv", imported_by=DEPUTY_IN_MAX, only_org="school1")
    assert isinstance(result, RosterResult) and (result.added, result.updated) == (1, 3)
    assert [(org, kind, by) for org, kind, _, _, _, by in store.of("import")] == [
        ("school1", "roster", DEPUTY_IN_MAX)]
    assert store.of("audit") == [("import_roster", DEPUTY_IN_MAX, "school1")]


async def test_a_preview_writes_nothing_and_only_its_account_applies_it(service: ImportService,
                                                                        store: FakeImportsStore) -> None:
    """A roster that would mark people as left waits; VK 7002 (the same number) cannot apply MAX 7002's."""
    shown = await service.submit(_roster("Иванова Анна Петровна"), "staff.csv", kind="roster", mode=Mode.AUTO,
                                 only_org="school1", imported_by=DEPUTY_IN_MAX)
    assert shown.preview is not None and shown.preview.left == 2 and store.writes == []
    held_id = await service.hold(shown, actor=DEPUTY_IN_MAX, org_id="school1", file_name="staff.csv", source="u",
                                 size=1)
    namesake = Identity(messenger=Messenger.VK, external_id=7002)
    assert not await service.cancel(held_id, namesake)
    held = await service.held(held_id)
    assert held is not None
    with pytest.raises(ImportRefused):
        await service.confirm(held.model_copy(update={"actor": namesake}), _roster("Иванова Анна Петровна"),
                              only_org="school1")
    assert store.writes == []
    applied = await service.confirm(held, _roster("Иванова Анна Петровна"), only_org="school1")
    assert isinstance(applied.result, RosterResult)
    assert (await service.held(held_id)).status == "applied"  # type: ignore[union-attr]


async def test_a_kept_aside_row_is_resolved_in_one_transaction(service: ImportService,
                                                               store: FakeImportsStore) -> None:
    """Choosing the person stores nothing for a row already closed; an open one is closed and audited."""
    store.pending_rows[5] = PendingRow(id=5, import_id=1, org_id="school1", row_no=3, name="Сидоров П.", data={},
                                       candidates=[Candidate(id=3, name="Сидоров Пётр Ильич")], reason="два",
                                       status="open", person_id=None, kind="organization", period=None)
    with pytest.raises(ImportRefused, match="нет среди подходящих"):
        await service.resolve_pending(5, 1, actor=DEPUTY_IN_MAX)
    assert store.writes == []
    row = await service.resolve_pending(5, 3, actor=DEPUTY_IN_MAX)
    assert (row.status, row.person_id) == ("resolved", 3)
    assert store.of("close_pending") == [(5, 3)] and store.of("audit") == [("resolve_pending", DEPUTY_IN_MAX,
                                                                             "school1")]
