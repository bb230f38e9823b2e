"""The FAQ's questions and a school's own knowledge-base entries: records and what the FAQ asks of storage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import BaseModel

from bot.messaging.events import Identity
from bot.ports import AuditLog
from bot.stores.transactions import Transactions, Tx

Status = Literal["asked", "open", "answered"]


class FaqQuestion(BaseModel):
    """One question a person asked the bot (and what became of it)."""

    id: int
    org_id: str | None
    person_id: int
    asker_vk_id: int
    asker_name: str
    text: str
    topic: str | None
    status: Status
    helpful: bool | None = None
    answer: str | None = None
    answered_by: int | None = None
    entry_topic: str | None = None
    created_at: str
    handed_at: str | None = None
    answered_at: str | None = None


class SchoolEntry(BaseModel):
    """A knowledge-base entry a school's deputy made in the chat."""

    org_id: str
    topic_id: str
    title: str | None = None
    answer: str
    examples: list[str] = []
    question_id: int | None = None
    created_by: int | None = None


class FaqStore(Protocol):
    """Questions, hand-offs and school entries (storage.faq.FaqRepo); `*_in` run inside the caller's `tx`."""

    async def remember(self, *, org_id: str | None, person_id: int, asker_vk_id: int, text: str,
                       topic: str | None, now: dt.datetime, forget_before: dt.datetime) -> int:
        """Store a question the bot answered (status «asked») and forget answered-only ones older than
        `forget_before`, in one transaction; returns the new question's id."""
        ...

    async def get(self, question_id: int) -> FaqQuestion | None: ...

    async def hand_off_in(self, tx: Tx, question_id: int, now: dt.datetime) -> bool: ...

    async def answer_in(self, tx: Tx, question_id: int, answer: str, answered_by: int,
                        now: dt.datetime) -> bool: ...

    async def set_helpful(self, question_id: int, helpful: bool) -> None: ...

    async def open_questions(self, org_id: str, limit: int = 50) -> list[FaqQuestion]: ...

    async def open_for(self, person_id: int) -> list[FaqQuestion]: ...

    async def count_open(self, org_id: str) -> int: ...

    async def set_entry_topic_in(self, tx: Tx, question_id: int, topic_id: str) -> None: ...

    async def entry(self, org_id: str, topic_id: str) -> SchoolEntry | None: ...

    async def save_entry_in(self, tx: Tx, entry: SchoolEntry, now: dt.datetime) -> None: ...

    async def entries(self, org_id: str) -> list[SchoolEntry]: ...


class AuditTrail(AuditLog, Protocol):
    """The audit log, also written inside a caller's transaction (storage.audit.AuditRepo)."""

    async def write_in(self, tx: Tx, *, org_id: str | None, action: str, outcome: str,
                       actor_vk_id: int | None = None, actor: Identity | None = None, target: str | None = None,
                       actor_person_id: int | None = None, details: dict[str, Any] | None = None) -> None: ...


@dataclass(frozen=True)
class FaqStores:
    """Everything the FAQ service reads and writes besides the roster."""

    questions: FaqStore
    audit: AuditTrail
    transactions: Transactions
