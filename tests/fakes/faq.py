"""An in-memory FAQ store (`bot.stores.faq.FaqStore`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.stores.faq import FaqQuestion, SchoolEntry
from tests.fakes.transactions import check_open


class FakeFaqStore:
    """Questions by id (names given by `names`: person id → full name) and each school's entries."""

    def __init__(self, names: dict[int, str] | None = None) -> None:
        self.names = names or {}
        self.questions: dict[int, FaqQuestion] = {}
        self.school_entries: dict[tuple[str, str], SchoolEntry] = {}
        self._next = 0

    async def remember(self, *, org_id: str | None, person_id: int, asker_vk_id: int, text: str,
                       topic: str | None, now: dt.datetime, forget_before: dt.datetime) -> int:
        newest = max(self.questions, default=0)
        self.questions = {i: q for i, q in self.questions.items()
                          if not (q.status == "asked" and q.created_at < forget_before.isoformat() and i < newest)}
        self._next += 1
        self.questions[self._next] = FaqQuestion(
            id=self._next, org_id=org_id, person_id=person_id, asker_vk_id=asker_vk_id,
            asker_name=self.names.get(person_id, ""), text=text, topic=topic, status="asked",
            created_at=now.isoformat())
        return self._next

    async def get(self, question_id: int) -> FaqQuestion | None:
        return self.questions.get(question_id)

    def _update(self, question_id: int, was: str, **update: Any) -> bool:
        found = self.questions.get(question_id)
        if found is None or found.status != was:
            return False
        self.questions[question_id] = found.model_copy(update=update)
        return True

    async def hand_off_in(self, tx: Any, question_id: int, now: dt.datetime) -> bool:
        check_open(tx)
        return self._update(question_id, "asked", status="open", handed_at=now.isoformat())

    async def answer_in(self, tx: Any, question_id: int, answer: str, answered_by: int, now: dt.datetime) -> bool:
        check_open(tx)
        return self._update(question_id, "open", status="answered", answer=answer, answered_by=answered_by,
                            answered_at=now.isoformat())

    async def set_helpful(self, question_id: int, helpful: bool) -> None:
        self.questions[question_id] = self.questions[question_id].model_copy(update={"helpful": helpful})

    async def open_questions(self, org_id: str, limit: int = 50) -> list[FaqQuestion]:
        return [q for q in self.questions.values() if q.org_id == org_id and q.status == "open"][:limit]

    async def open_for(self, person_id: int) -> list[FaqQuestion]:
        return [q for q in self.questions.values() if q.person_id == person_id and q.status == "open"]

    async def count_open(self, org_id: str) -> int:
        return len(await self.open_questions(org_id, 10**6))

    async def set_entry_topic_in(self, tx: Any, question_id: int, topic_id: str) -> None:
        check_open(tx)
        self.questions[question_id] = self.questions[question_id].model_copy(update={"entry_topic": topic_id})

    async def entry(self, org_id: str, topic_id: str) -> SchoolEntry | None:
        return self.school_entries.get((org_id, topic_id))

    async def save_entry_in(self, tx: Any, entry: SchoolEntry, now: dt.datetime) -> None:
        check_open(tx)
        self.school_entries[(entry.org_id, entry.topic_id)] = entry

    async def entries(self, org_id: str) -> list[SchoolEntry]:
        return sorted((e for (org, _), e in self.school_entries.items() if org == org_id), key=lambda e: e.topic_id)
