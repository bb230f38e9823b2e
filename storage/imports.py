"""`bot.stores.imports.ImportsStore` over the database: the importer's transaction and what it runs in it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from typing import Any

from bot.domain.models import Organization, Period, Person, Role
from bot.domain.records import PersonStats
from bot.messaging.events import Identity
from bot.stores.imports import (
    NewPending,
    OrgStats,
    PendingRow,
    PersonRef,
    RosterChanges,
    RosterEntry,
)
from storage.audit import AuditRepo
from storage.confirmations import ConfirmationRepo
from storage.roster import RosterRepo
from storage.sql import Connection, Database
from storage.stats import StatsRepo


class ImportTxSql:
    """`ImportTx` on one connection: the roster's, the statistics' and the audit's SQL."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def people_in(self, org_ids: Sequence[str], *, include_left: bool = False) -> list[Person]:
        return await RosterRepo.people_in(self._conn, org_ids, include_left=include_left)

    async def refs_in(self, org_ids: Sequence[str]) -> list[PersonRef]:
        return await RosterRepo.refs_in(self._conn, org_ids)

    async def sync_config_in(self, orgs: Sequence[Organization],
                             people: Sequence[tuple[str | None, int, Role, str]]) -> None:
        await RosterRepo.sync_config_in(self._conn, orgs, people)

    async def apply_in(self, org_ids: Sequence[str], entries: Sequence[RosterEntry], *,
                       store_contacts: bool = False, keep_ids: Collection[int] = ()) -> RosterChanges:
        return await RosterRepo.apply_in(self._conn, org_ids, entries, store_contacts=store_contacts,
                                         keep_ids=keep_ids)

    async def create_import_in(self, *, org_id: str | None, kind: str, period: Period | None, file_name: str,
                               rows_read: int, rows_imported: int, problems: Sequence[dict[str, Any]],
                               imported_by: Identity | None) -> int:
        return await StatsRepo.create_import_in(
            self._conn, org_id=org_id, kind=kind, period=period, file_name=file_name, rows_read=rows_read,
            rows_imported=rows_imported, problems=problems, imported_by=imported_by)

    async def has_period_in(self, org_ids: Sequence[str], kind: str, period: Period) -> bool:
        return await StatsRepo.has_period_in(self._conn, org_ids, kind, period)

    async def stored_ids_in(self, org_ids: Sequence[str], kind: str, period: Period) -> set[object]:
        return await StatsRepo.stored_ids_in(self._conn, org_ids, kind, period)

    async def clear_period_in(self, org_ids: Sequence[str], kind: str, period: Period) -> None:
        await StatsRepo.clear_period_in(self._conn, org_ids, kind, period)

    async def put_person_stats_in(self, rows: Sequence[PersonStats]) -> None:
        await StatsRepo.put_person_stats_in(self._conn, rows)

    async def put_person_values_in(self, period: Period,
                                   rows: Sequence[tuple[int, str, int | None, dict[str, Any]]]) -> None:
        await StatsRepo.put_person_values_in(self._conn, period, rows)

    async def begin_early_in(self) -> None:
        await StatsRepo.begin_early_in(self._conn)

    async def end_early_in(self, *, undo: bool) -> None:
        await StatsRepo.end_early_in(self._conn, undo=undo)

    async def insert_person_values_in(self, period: Period,
                                      rows: Sequence[tuple[int, str, int | None, dict[str, Any]]]) -> bool:
        return await StatsRepo.insert_person_values_in(self._conn, period, rows)

    async def finish_import_in(self, import_id: int, *, rows_read: int, rows_imported: int,
                               problems: Sequence[dict[str, Any]]) -> None:
        await StatsRepo.finish_import_in(self._conn, import_id, rows_read=rows_read, rows_imported=rows_imported,
                                         problems=problems)

    async def put_org_stats_in(self, rows: Sequence[OrgStats]) -> None:
        await StatsRepo.put_org_stats_in(self._conn, rows)

    async def add_pending_in(self, import_id: int, rows: Sequence[NewPending]) -> None:
        await StatsRepo.add_pending_in(self._conn, import_id, rows)

    async def resolutions_in(self, org_ids: Sequence[str]) -> list[tuple[str, str, int]]:
        return await StatsRepo.resolutions_in(self._conn, org_ids)

    async def pending_in(self, pending_id: int) -> PendingRow | None:
        return await StatsRepo.pending_in(self._conn, pending_id)

    async def close_pending_in(self, pending_id: int, person_id: int | None) -> None:
        await StatsRepo.close_pending_in(self._conn, pending_id, person_id)

    async def close_held_in(self, confirmation_id: int, actor: Identity, status: str) -> bool:
        return await ConfirmationRepo.close_in(self._conn, confirmation_id, actor, status)

    async def audit_in(self, *, org_id: str | None, action: str, outcome: str, actor: Identity | None = None,
                       target: str | None = None, details: dict[str, Any] | None = None) -> None:
        await AuditRepo.write_in(self._conn, actor=actor, org_id=org_id, action=action, outcome=outcome,
                                 target=target, details=details)


class ImportsSql:
    """`ImportsStore` over a database."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._stats = StatsRepo(db)
        self.held = ConfirmationRepo(db)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[ImportTxSql]:
        async with self._db.transaction(bulk=True) as conn:
            yield ImportTxSql(conn)

    @property
    def writes_early(self) -> bool:
        # SQLite: a savepoint takes the rows back exactly, ids included. PostgreSQL writes them at the
        # end in one COPY (a sequence would not give back the import's id a savepoint took back).
        return self._db.dialect == "sqlite"

    @asynccontextmanager
    async def read(self) -> AsyncIterator[ImportTxSql]:
        async with self._db.read() as conn:
            yield ImportTxSql(conn)

    async def pending(self, org_id: str | None = None) -> list[PendingRow]:
        return await self._stats.pending(org_id)

    async def get_pending(self, pending_id: int) -> PendingRow | None:
        return await self._stats.get_pending(pending_id)
