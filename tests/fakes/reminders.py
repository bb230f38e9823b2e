"""An in-memory reminder log (`bot.stores.reminders.ReminderLog`) and a school's template file store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.domain.models import Period
from bot.stores.reminders import LogEntry, NewLogEntry
from tests.fakes.transactions import FakeTx, check_open

COUNTED = ("planned", "sent")


class FakeReminderLog:
    def __init__(self) -> None:
        self.entries: dict[str, LogEntry] = {}
        self.finished_in: list[FakeTx] = []

    async def recent(self, org_id: str, since: dt.datetime) -> list[LogEntry]:
        return sorted((e for e in self.entries.values()
                       if e.org_id == org_id and e.created_at >= since and e.status in COUNTED),
                      key=lambda e: (e.created_at, e.id))

    async def recent_of(self, org_ids: Sequence[str], since: dt.datetime) -> dict[str, list[LogEntry]]:
        return {org_id: await self.recent(org_id, since) for org_id in org_ids}

    async def last_for_person(self, person_id: int) -> LogEntry | None:
        mine = [e for e in self.entries.values() if e.person_id == person_id and e.status in COUNTED]
        return max(mine, key=lambda e: (e.created_at, e.id), default=None)

    async def by_keys(self, keys: Sequence[str]) -> dict[str, LogEntry]:
        return {k: self.entries[k] for k in keys if k in self.entries}

    async def add(self, entries: Sequence[NewLogEntry], at: dt.datetime) -> None:
        for e in entries:
            if e.idem_key not in self.entries:
                self.entries[e.idem_key] = LogEntry(
                    id=len(self.entries) + 1, org_id=e.org_id, person_id=e.person_id, kind=e.kind,
                    period_start=e.period.start, idem_key=e.idem_key, reasons=list(e.reasons), status=e.status,
                    error_code=None, created_at=at, finished_at=None)

    async def finish(self, results: Sequence[tuple[str, str, int | None]], at: dt.datetime) -> None:
        for key, status, code in results:
            if key in self.entries:
                self.entries[key] = self.entries[key].model_copy(
                    update={"status": status, "error_code": code, "finished_at": at})

    async def finish_in(self, tx: Any, results: Sequence[tuple[str, str, int | None]], at: dt.datetime) -> None:
        check_open(tx)
        self.finished_in.append(tx)
        await self.finish(results, at)

    async def sent_count(self, org_id: str, period: Period, kind: str = "reminder") -> int:
        return sum(1 for e in self.entries.values() if e.org_id == org_id and e.period_start == period.start
                   and e.kind == kind and e.status == "sent")


class NoTemplateFiles:
    """No school has its own templates file (the defaults apply)."""

    def path(self, org_id: str) -> Path:
        return Path(f"/nonexistent/{org_id}.toml")

    def read(self, org_id: str) -> str | None:
        return None

    def write(self, org_id: str, text: str) -> Path:
        raise AssertionError("templates are not written here")

    def delete(self, org_id: str) -> bool:
        return False
