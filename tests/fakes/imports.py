"""An in-memory ImportsStore for service tests: transactions keep their writes only when they commit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from typing import Any

from bot.domain.models import Organization, Period, Person, Role
from bot.domain.records import PersonStats
from bot.messaging.events import Identity
from bot.stores.imports import (
    ImportConfirmation,
    NewPending,
    OrgStats,
    PendingRow,
    PersonRef,
    RosterChanges,
    RosterEntry,
)


class FakeHeld:
    """Held imports in a dict, each owned by one account on one messenger."""

    def __init__(self) -> None:
        self.rows: dict[int, ImportConfirmation] = {}

    async def hold(self, *, org_id: str | None, actor: Identity, kind: str, file_name: str, source: str,
                   size: int, preview: dict[str, Any]) -> int:
        for row in list(self.rows.values()):
            if row.actor == actor and row.status == "open":
                self.rows[row.id] = row.model_copy(update={"status": "superseded"})
        new = ImportConfirmation(id=len(self.rows) + 1, org_id=org_id, actor=actor, kind=kind, file_name=file_name,
                                 source=source, size=size, preview=preview, status="open")
        self.rows[new.id] = new
        return new.id

    async def get(self, confirmation_id: int) -> ImportConfirmation | None:
        return self.rows.get(confirmation_id)

    async def close(self, confirmation_id: int, actor: Identity, status: str) -> bool:
        row = self.rows.get(confirmation_id)
        if row is None or row.actor != actor or row.status != "open":
            return False
        self.rows[confirmation_id] = row.model_copy(update={"status": status})
        return True


class FakeImportTx:
    """`ImportTx` writing into `writes` (what kind, what) and reading the store's people and pending rows."""

    def __init__(self, store: FakeImportsStore) -> None:
        self._store = store
        self.writes: list[tuple[str, Any]] = []
        self.closed_held: list[tuple[int, Identity, str]] = []

    async def people_in(self, org_ids: Sequence[str], *, include_left: bool = False) -> list[Person]:
        return [p for p in self._store.people if p.org_id in org_ids and (include_left or p.active)]

    async def refs_in(self, org_ids: Sequence[str]) -> list[PersonRef]:
        return [PersonRef(p.id, p.org_id, p.full_name, p.vk_id, p.active) for p in await self.people_in(org_ids)]

    async def sync_config_in(self, orgs: Sequence[Organization],
                             people: Sequence[tuple[str | None, int, Role, str]]) -> None:
        return None  # the configured schools are taken as present

    async def apply_in(self, org_ids: Sequence[str], entries: Sequence[RosterEntry], *,
                       store_contacts: bool = False, keep_ids: Collection[int] = ()) -> RosterChanges:
        self.writes.append(("roster", list(entries)))
        return RosterChanges(added=sum(1 for e in entries if e.person_id is None),
                             updated=sum(1 for e in entries if e.person_id is not None))

    async def create_import_in(self, *, org_id: str | None, kind: str, period: Period | None, file_name: str,
                               rows_read: int, rows_imported: int, problems: Sequence[dict[str, Any]],
                               imported_by: Identity | None) -> int:
        self.writes.append(("import", (org_id, kind, file_name, rows_read, rows_imported, imported_by)))
        return len(self._store.writes) + len(self.writes)

    async def has_period_in(self, org_ids: Sequence[str], kind: str, period: Period) -> bool:
        return False

    async def stored_ids_in(self, org_ids: Sequence[str], kind: str, period: Period) -> set[object]:
        return set()

    async def clear_period_in(self, org_ids: Sequence[str], kind: str, period: Period) -> None:
        self.writes.append(("clear", (tuple(org_ids), kind, period)))

    async def put_person_stats_in(self, rows: Sequence[PersonStats]) -> None:
        self.writes.append(("person_stats", list(rows)))

    async def put_person_values_in(self, period: Period,
                                   rows: Sequence[tuple[int, str, int | None, dict[str, Any]]]) -> None:
        self.writes.append(("person_values", list(rows)))

    async def begin_early_in(self) -> None:
        raise NotImplementedError

    async def end_early_in(self, *, undo: bool) -> None:
        raise NotImplementedError

    async def insert_person_values_in(self, period: Period,
                                      rows: Sequence[tuple[int, str, int | None, dict[str, Any]]]) -> bool:
        raise NotImplementedError

    async def finish_import_in(self, import_id: int, *, rows_read: int, rows_imported: int,
                               problems: Sequence[dict[str, Any]]) -> None:
        raise NotImplementedError

    async def put_org_stats_in(self, rows: Sequence[OrgStats]) -> None:
        self.writes.append(("org_stats", list(rows)))

    async def add_pending_in(self, import_id: int, rows: Sequence[NewPending]) -> None:
        self.writes.append(("pending", list(rows)))

    async def resolutions_in(self, org_ids: Sequence[str]) -> list[tuple[str, str, int]]:
        return []

    async def pending_in(self, pending_id: int) -> PendingRow | None:
        return self._store.pending_rows.get(pending_id)

    async def close_pending_in(self, pending_id: int, person_id: int | None) -> None:
        self.writes.append(("close_pending", (pending_id, person_id)))

    async def close_held_in(self, confirmation_id: int, actor: Identity, status: str) -> bool:
        return await self._store.held.close(confirmation_id, actor, status)

    async def audit_in(self, *, org_id: str | None, action: str, outcome: str, actor: Identity | None = None,
                       target: str | None = None, details: dict[str, Any] | None = None) -> None:
        self.writes.append(("audit", (action, actor, org_id)))


class FakeImportsStore:
    """People to match against, kept-aside rows, held imports; `writes` holds what committed transactions wrote."""

    def __init__(self, people: Sequence[Person] = ()) -> None:
        self.people = list(people)
        self.pending_rows: dict[int, PendingRow] = {}
        self.writes: list[tuple[str, Any]] = []
        self._held = FakeHeld()

    # The fake writes a per-person table's rows at the end only.
    writes_early = False

    @property
    def held(self) -> FakeHeld:
        return self._held

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[FakeImportTx]:
        tx = FakeImportTx(self)
        yield tx  # an exception leaves the block here: nothing is kept
        self.writes.extend(tx.writes)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[FakeImportTx]:
        yield FakeImportTx(self)

    async def pending(self, org_id: str | None = None) -> list[PendingRow]:
        return [r for r in self.pending_rows.values() if org_id in (None, r.org_id) and r.status == "open"]

    async def get_pending(self, pending_id: int) -> PendingRow | None:
        return self.pending_rows.get(pending_id)

    def of(self, kind: str) -> list[Any]:
        """What committed transactions wrote of one kind, in order."""
        return [what for k, what in self.writes if k == kind]
