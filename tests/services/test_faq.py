"""FaqService on in-memory stores only (no database): hand-off, the deputy's reply and a new entry,
each state change written in one transaction with its audit entry."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.config import Settings
from bot.domain.models import Role
from bot.services.access import AccessService
from bot.services.faq import HANDED_OFF, FaqService
from bot.stores.faq import FaqStores
from tests.fakes.audit import FakeAudit
from tests.fakes.faq import FakeFaqStore
from tests.fakes.people import FakePeopleStore
from tests.fakes.transactions import FakeTransactions
from tests.faq.test_service import UNKNOWN, Clock, RecordingOutbound

DEPUTY_VK, TEACHER_VK = 1002, 2001


async def test_a_question_handed_off_answered_and_filed_on_fakes(settings: Settings) -> None:
    """The teacher's unknown question goes to the deputy, whose reply reaches the teacher and becomes an
    entry the engine then answers with; hand-off, answer and entry are each audited in their own transaction."""
    people = FakePeopleStore()
    deputy = await people.add("school1", "Белова Ирина Сергеевна", Role.DEPUTY, vk_id=DEPUTY_VK)
    teacher = await people.add("school1", "Иванова Анна Петровна", Role.TEACHER, vk_id=TEACHER_VK)
    questions = FakeFaqStore({teacher.id: teacher.full_name})
    audit, transactions, outbound = FakeAudit(), FakeTransactions(), RecordingOutbound()
    service = FaqService(FaqStores(questions=questions, audit=audit, transactions=transactions), settings,
                         outbound, people, AccessService(people, audit, settings), clock=Clock())

    asked = await service.answer(teacher, UNKNOWN, messenger="vk")
    assert asked.kind == "unknown" and asked.question_id is not None
    assert (await questions.get(asked.question_id)).status == "asked"  # type: ignore[union-attr]
    assert await service.hand_off(teacher, asked.question_id) == HANDED_OFF
    assert outbound.to(DEPUTY_VK)[0].idem_key == f"faq:q{asked.question_id}:to{DEPUTY_VK}"
    [hand_off] = [e for e in audit.entries if e.action == "faq_hand_off"]
    assert hand_off.tx is transactions.opened[0] and hand_off.details == {}

    result = await service.answer_question(DEPUTY_VK, asked.question_id, "Чинит Петров, кабинет 21.")
    assert result.delivered and "Чинит Петров" in outbound.to(TEACHER_VK)[0].text
    assert (await questions.get(asked.question_id)).answered_by == deputy.id  # type: ignore[union-attr]

    done = await service.add_entry(DEPUTY_VK, asked.question_id, "projector", title="Проектор")
    assert done.startswith("Готово: новая тема «Проектор»")
    [saved] = [e for e in audit.entries if e.action == "faq_entry_saved"]
    assert saved.tx is transactions.opened[-1] and saved.tx is not hand_off.tx
    assert (await questions.get(asked.question_id)).entry_topic == "projector"  # type: ignore[union-attr]
    again = await service.answer(teacher, UNKNOWN, messenger="vk")
    assert again.kind == "answer" and "Чинит Петров" in again.messages[0].text


async def test_old_answered_only_questions_are_forgotten_when_a_new_one_comes(settings: Settings) -> None:
    """A question the bot answered itself is kept a week; the next question after that forgets it."""
    people = FakePeopleStore()
    teacher = await people.add("school1", "Иванова Анна Петровна", Role.TEACHER, vk_id=TEACHER_VK)
    questions, clock = FakeFaqStore(), Clock()
    service = FaqService(FaqStores(questions=questions, audit=FakeAudit(), transactions=FakeTransactions()),
                         settings, RecordingOutbound(), people, AccessService(people, FakeAudit(), settings),
                         clock=clock)
    first = (await service.answer(teacher, UNKNOWN, messenger="vk")).question_id
    clock.moment += dt.timedelta(days=8)
    await service.answer(teacher, "как сменить пароль", messenger="vk")
    last = (await service.answer(teacher, "не приходит смс с кодом", messenger="vk")).question_id
    assert first not in questions.questions and last in questions.questions


async def test_warming_builds_the_shared_engine_before_the_first_question(settings: Settings) -> None:
    """After warm() the first question is answered by the engine built then, not by one built for it."""
    people = FakePeopleStore()
    service = FaqService(FaqStores(questions=FakeFaqStore(), audit=FakeAudit(), transactions=FakeTransactions()),
                         settings, RecordingOutbound(), people, AccessService(people, FakeAudit(), settings),
                         clock=Clock())
    engines = service._engines
    built: list[str | None] = []
    build = engines.build

    async def counted(org_id: str | None, entries: list[Any]) -> Any:
        built.append(org_id)
        return await build(org_id, entries)

    engines.build = counted  # type: ignore[method-assign]
    await service.warm()
    assert built == [None]
    engine = await service.engine(None)
    assert built == [None]  # the first question found the engine ready
    assert engine.ask("как зарегистрироваться в сферуме").topic == "register"
