"""The reminder log: the records it holds and what the reminder service asks of storage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from bot.domain.models import Period
from bot.ports import PeopleStore, TemplateFileStore
from bot.stores.stats import StatsReads
from bot.stores.transactions import Transactions, Tx


class LogEntry(BaseModel):
    """One automatic reminder (or mid-week nudge) to one person."""

    model_config = ConfigDict(frozen=True)

    id: int
    org_id: str
    person_id: int
    kind: str
    period_start: dt.date
    idem_key: str
    reasons: list[str]
    status: str
    error_code: int | None
    created_at: dt.datetime
    finished_at: dt.datetime | None


class NewLogEntry(BaseModel):
    """A reminder about to be handed to the outbox (or reported as having no VK page)."""

    model_config = ConfigDict(frozen=True)

    org_id: str
    person_id: int
    kind: str
    period: Period
    idem_key: str
    reasons: list[str]
    status: str = "planned"


class ReminderLog(Protocol):
    """Who was reminded of what, and how it went (storage.reminders.ReminderRepo)."""

    async def recent(self, org_id: str, since: dt.datetime) -> list[LogEntry]:
        """Reminders that may have reached someone (planned or sent) since `since`, oldest first."""
        ...

    async def recent_of(self, org_ids: Sequence[str], since: dt.datetime) -> dict[str, list[LogEntry]]:
        """`recent` of several organizations at once (a regional wave)."""
        ...

    async def last_for_person(self, person_id: int) -> LogEntry | None: ...

    async def by_keys(self, keys: Sequence[str]) -> dict[str, LogEntry]: ...

    async def add(self, entries: Sequence[NewLogEntry], at: dt.datetime) -> None: ...

    async def finish(self, results: Sequence[tuple[str, str, int | None]], at: dt.datetime) -> None: ...

    async def finish_in(self, tx: Tx, results: Sequence[tuple[str, str, int | None]], at: dt.datetime) -> None:
        """`finish` inside the caller's open transaction `tx`."""
        ...

    async def sent_count(self, org_id: str, period: Period, kind: str = "reminder") -> int: ...


@dataclass(frozen=True)
class ReminderStores:
    """Everything the reminder service reads and writes."""

    log: ReminderLog
    people: PeopleStore
    stats: StatsReads
    template_files: TemplateFileStore
    transactions: Transactions
