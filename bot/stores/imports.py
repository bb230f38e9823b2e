"""What imports ask of storage (storage/ implements it; a fake in tests)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, NamedTuple, Protocol

from pydantic import BaseModel, ConfigDict

from bot.domain.indicators import OrgFigures
from bot.domain.models import Organization, Period, Person, Role
from bot.domain.records import PersonStats
from bot.messaging.events import Identity


class ImportConfirmation(BaseModel):
    """One held import: whose (an account on a messenger), which file (and where to fetch it again),
    what it would change."""

    id: int
    org_id: str | None
    actor: Identity
    kind: str
    file_name: str
    source: str
    size: int
    preview: dict[str, Any]
    status: str


# --- the roster ---


class RosterEntry(BaseModel):
    """One roster row to store; `person_id` names the existing person it updates (None: add)."""

    model_config = ConfigDict(frozen=True)

    org_id: str
    full_name: str
    role: Role
    vk_id: int | None = None
    vk_screen_name: str | None = None
    max_id: int | None = None
    classes: tuple[str, ...] = ()
    phone: str | None = None
    email: str | None = None
    person_id: int | None = None


class PersonRef(NamedTuple):
    """The little matching needs of a person; a tuple, because an import loads 50,000 of them."""

    id: int
    org_id: str | None
    full_name: str
    vk_id: int | None
    active: bool
    # The stored normalized name (people.name_key): matching need not normalize 50,000 names again.
    key: str = ""


class RosterChanges(BaseModel):
    """How many people a roster import added, updated and marked as left."""

    added: int = 0
    updated: int = 0
    left: int = 0
    left_ids: list[int] = []


# --- the statistics ---


class OrgStats(OrgFigures):
    """One organization's indicators for one period (from a per-organization table), as stored."""

    org_id: str
    period: Period
    import_id: int | None = None


class Candidate(BaseModel):
    """A roster person a kept-aside row might be."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str


class PendingRow(BaseModel):
    """A row that matched nobody or several people, waiting for the deputy."""

    id: int
    import_id: int
    org_id: str | None
    row_no: int
    name: str
    data: dict[str, Any]
    candidates: list[Candidate]
    reason: str
    status: str
    person_id: int | None
    kind: str
    period: Period | None


class NewPending(BaseModel):
    """A row to keep aside."""

    org_id: str | None
    row_no: int
    name: str
    data: dict[str, Any]
    candidates: list[Candidate] = []
    reason: str


class HeldImports(Protocol):
    """Imports held for their person's confirmation (storage.confirmations.ConfirmationRepo).

    A held import belongs to one account on one messenger: only that account closes it.
    """

    async def hold(self, *, org_id: str | None, actor: Identity, kind: str, file_name: str, source: str,
                   size: int, preview: dict[str, Any]) -> int:
        """Keep an import for confirmation; the account's earlier open one is superseded. Returns its id."""
        ...

    async def get(self, confirmation_id: int) -> ImportConfirmation | None:
        """One held import (any status)."""
        ...

    async def close(self, confirmation_id: int, actor: Identity, status: str) -> bool:
        """Close `actor`'s open held import ('applied', 'cancelled', 'superseded'); False if it was not open."""
        ...


class ImportTx(Protocol):
    """One open transaction (or read) of an import: every read and write of a plan goes through it, so a
    plan is applied whole or not at all (storage.imports.ImportsSql opens it)."""

    # the roster
    async def people_in(self, org_ids: Sequence[str], *, include_left: bool = False) -> list[Person]: ...

    async def refs_in(self, org_ids: Sequence[str]) -> list[PersonRef]: ...

    async def sync_config_in(self, orgs: Sequence[Organization],
                             people: Sequence[tuple[str | None, int, Role, str]]) -> None: ...

    async def apply_in(self, org_ids: Sequence[str], entries: Sequence[RosterEntry], *,
                       store_contacts: bool = False, keep_ids: Collection[int] = ()) -> RosterChanges: ...

    # the statistics
    async def create_import_in(self, *, org_id: str | None, kind: str, period: Period | None, file_name: str,
                               rows_read: int, rows_imported: int, problems: Sequence[dict[str, Any]],
                               imported_by: Identity | None) -> int: ...

    async def has_period_in(self, org_ids: Sequence[str], kind: str, period: Period) -> bool: ...

    async def stored_ids_in(self, org_ids: Sequence[str], kind: str, period: Period) -> set[object]: ...

    async def clear_period_in(self, org_ids: Sequence[str], kind: str, period: Period) -> None: ...

    async def put_person_stats_in(self, rows: Sequence[PersonStats]) -> None: ...

    async def put_person_values_in(self, period: Period,
                                   rows: Sequence[tuple[int, str, int | None, dict[str, Any]]]) -> None: ...

    # a per-person table's rows written while they are still read (where `ImportsStore.writes_early`),
    # undone exactly when what is finally matched differs
    async def begin_early_in(self) -> None: ...

    async def end_early_in(self, *, undo: bool) -> None: ...

    async def insert_person_values_in(self, period: Period,
                                      rows: Sequence[tuple[int, str, int | None, dict[str, Any]]]) -> bool: ...

    async def finish_import_in(self, import_id: int, *, rows_read: int, rows_imported: int,
                               problems: Sequence[dict[str, Any]]) -> None: ...

    async def put_org_stats_in(self, rows: Sequence[OrgStats]) -> None: ...

    async def add_pending_in(self, import_id: int, rows: Sequence[NewPending]) -> None: ...

    async def resolutions_in(self, org_ids: Sequence[str]) -> list[tuple[str, str, int]]: ...

    async def pending_in(self, pending_id: int) -> PendingRow | None: ...

    async def close_pending_in(self, pending_id: int, person_id: int | None) -> None: ...

    # the held import this plan applies, and the audit log
    async def close_held_in(self, confirmation_id: int, actor: Identity, status: str) -> bool: ...

    async def audit_in(self, *, org_id: str | None, action: str, outcome: str, actor: Identity | None = None,
                       target: str | None = None, details: dict[str, Any] | None = None) -> None: ...


class ImportsStore(Protocol):
    """Imports' unit of work: transactions and reads of `ImportTx`, the kept-aside rows and the held imports."""

    @property
    def held(self) -> HeldImports:
        """The imports held for their person's confirmation."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[ImportTx]:
        """A write transaction: committed when the block ends, rolled back on an exception."""
        ...

    @property
    def writes_early(self) -> bool:
        """Whether a transaction can take back exactly the rows written since `ImportTx.begin_early_in`, so
        that an import may write a table's rows while it still reads them."""
        ...

    def read(self) -> AbstractAsyncContextManager[ImportTx]:
        """A consistent read."""
        ...

    async def pending(self, org_id: str | None = None) -> list[PendingRow]:
        """Open kept-aside rows (of one school)."""
        ...

    async def get_pending(self, pending_id: int) -> PendingRow | None:
        """One kept-aside row (any status)."""
        ...
