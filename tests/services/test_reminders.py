"""ReminderService on in-memory stores only (no database): plan, send once, and the deputy's report
staged in the very transaction that finishes the log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.config import Settings
from bot.domain.models import Role
from bot.domain.records import PersonStats
from bot.ports import OutMessage
from bot.services.reminders import ReminderService, RunReport, render_report
from bot.stores.reminders import ReminderStores
from tests.fakes.broadcasts import FakeStats
from tests.fakes.people import FakePeopleStore
from tests.fakes.reminders import FakeReminderLog, NoTemplateFiles
from tests.fakes.transactions import FakeTransactions, FakeTx, check_open
from tests.reminders.conftest import MONDAY_10, PERIOD, FakeOutbound, MovableClock


class StagingOutbound(FakeOutbound):
    """The reminders' fake outbound, staging inside a fake transaction (it remembers which)."""

    def __init__(self) -> None:
        super().__init__(unreachable={2003: 901})
        self.staged_in: list[FakeTx] = []

    async def enqueue_in(self, conn: Any, messages: Sequence[OutMessage]) -> None:
        check_open(conn)
        self.staged_in.append(conn)
        self.staged.extend(messages)


async def test_a_run_reminds_once_and_stages_the_report_with_the_log(settings: Settings) -> None:
    """Teachers under the threshold are reminded once; the report is staged in the transaction that
    finishes the log and sent to the deputy; a second run plans nobody."""
    people = FakePeopleStore()
    await people.add("school1", "Белова Ирина Сергеевна", Role.DEPUTY, vk_id=1002)
    anna = await people.add("school1", "Иванова Анна Петровна", Role.TEACHER, vk_id=2001)
    oleg = await people.add("school1", "Орлов Олег Олегович", Role.TEACHER, vk_id=2002)
    olga = await people.add("school1", "Смирнова Ольга Викторовна", Role.TEACHER, vk_id=2003)
    good = {"group_messages": 12, "calls": 1, "ejd_linked": True, "registered": True}
    stats = FakeStats([PersonStats(person_id=p.id, org_id="school1", period=PERIOD, **{**good, **extra})
                       for p, extra in [(anna, {"group_messages": 1}), (oleg, {}), (olga, {"group_messages": 0})]])
    log, transactions, outbound = FakeReminderLog(), FakeTransactions(), StagingOutbound()
    stores = ReminderStores(log=log, people=people, stats=stats, template_files=NoTemplateFiles(),
                            transactions=transactions)
    service = ReminderService(stores, settings, outbound, MovableClock(MONDAY_10))

    report = await service.run("school1", now=MONDAY_10)
    assert (report.planned, report.sent, len(report.unreachable)) == (2, 1, 1)
    assert [m.peer_id for m in outbound.sent if m.kind == "reminder"] == [2001]
    [tx] = transactions.opened
    assert log.finished_in == [tx] and outbound.staged_in == [tx]
    assert [m.peer_id for m in outbound.staged] == [1002] and outbound.to(1002)[0].text.startswith("Напоминания")
    assert await service.sent_count("school1", PERIOD) == 1
    assert (await service.run("school1", now=MONDAY_10)).planned == 0


def test_report_names_no_single_messenger_for_send_errors() -> None:
    """Errors may come from VK or MAX: the report's line says «мессенджера»; its first line stays as it was."""
    text = render_report(RunReport(org_id="school1", period=PERIOD, planned=5, sent=3, failed=2))
    assert text.splitlines()[0] == f"Напоминания за неделю {PERIOD}: не дошли до 0 из 5."
    assert "Доставлено: 3. Не отправлено из-за ошибок мессенджера: 2." in text
    assert "ВКонтакте" not in text
