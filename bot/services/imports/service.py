"""Use cases: import a staff roster or a weekly statistics table (previewed first when it would
mark people as left or replace a loaded week), confirm a held import, resolve a kept-aside row.

Files are read in a worker process (`bot.imports.worker`); rows are matched here; one
transaction writes it all, so a refused file changes nothing. Refusals raise
`ImportRefused` with a Russian reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec

from bot.collector import collector_paused
from bot.config import Settings
from bot.domain.models import Period
from bot.domain.records import PersonStats
from bot.imports.matching import RosterIndex
from bot.imports.reader import ImportRefused, Limits
from bot.imports.report import Problem, RosterResult, StatsResult
from bot.imports.table import ParsedTable, RowsView, TableKind
from bot.imports.worker import ProcessParser, TableParser
from bot.messaging.events import Identity
from bot.metrics import NULL_METRICS, Metrics
from bot.ports import Clock, SystemClock
from bot.services.imports.orgs import OrgScope
from bot.services.imports.plan import Mode, Outcome, Preview, execute
from bot.services.imports.record import sorted_problems
from bot.services.imports.resolver import ScreenNameResolver, ScreenNames
from bot.services.imports.roster import plan_roster_in, read_roster_rows
from bot.services.imports.stats import (
    PERSON_VALUE_FIELDS,
    Early,
    EarlyRows,
    OrgStatsPlan,
    PersonStatsPlan,
    choose_period,
    loaded_before_in,
    match_person_rows,
    read_org_rows,
    read_person_rows,
    refuse_mostly_strangers,
    refuse_not_stats,
)
from bot.stores.imports import ImportConfirmation, ImportsStore, ImportTx, PendingRow, PersonRef

ImportResult = StatsResult | RosterResult
# What matching a per-person table needs of the database: the people, the deputy's earlier
# choices and the people indexed, for the schools in `orgs`.
RosterSnapshot = tuple[list[str], list[PersonRef], list[tuple[str, str, int]], RosterIndex]
_UNKNOWN_TABLE = ("не понял, что это за таблица: для списка сотрудников нужны столбцы «ФИО» и «Должность», "
                  "для статистики — «ФИО» и «Сообщений в групповых чатах»; найдены столбцы: {found}")


class _Held(Exception):
    """Takes an import's transaction back after its preview (the rows it wrote early with it)."""

    def __init__(self, outcome: Outcome[StatsResult]) -> None:
        super().__init__("not applied")
        self.outcome = outcome


@contextlib.asynccontextmanager
async def _within(tx: ImportTx) -> AsyncIterator[ImportTx]:
    """A transaction already open, for `execute` (its caller commits or takes it back)."""
    yield tx


class AlreadyClosed(ImportRefused):
    """The held import was applied, cancelled or replaced by a newer one already."""


P = ParamSpec("P")


def _timed(submit: Callable[Concatenate[ImportService, P], Coroutine[Any, Any, Outcome[ImportResult]]]
           ) -> Callable[Concatenate[ImportService, P], Coroutine[Any, Any, Outcome[ImportResult]]]:
    """Report how long each import took and how it ended (applied, preview or refused) to the metrics."""

    async def timed(self: ImportService, /, *args: P.args, **kwargs: P.kwargs) -> Outcome[ImportResult]:
        started = time.perf_counter()
        kind, outcome = str(kwargs.get("kind") or "unknown"), "refused"
        try:
            result = await submit(self, *args, **kwargs)
            kind, outcome = result.kind or kind, "preview" if result.result is None else "applied"
            return result
        finally:
            self.metrics.import_finished(kind, outcome, time.perf_counter() - started)

    timed.__doc__ = submit.__doc__
    return timed


async def _whole(table: ParsedTable) -> None:
    """Wait for every row of a table whose rows may still be arriving from the worker."""
    if isinstance(table.rows, RowsView):
        await table.rows.complete()


def limits_of(settings: Settings) -> Limits:
    """The file limits from `[imports]`."""
    imports = settings.imports
    return Limits(max_file_mb=imports.max_file_mb, max_rows=imports.max_rows,
                  max_unzipped_mb=imports.max_unzipped_mb, max_cells=imports.max_cells)


class ImportService:
    """Roster and statistics import for the CLI and the chat."""

    def __init__(self, store: ImportsStore, settings: Settings, *, clock: Clock | None = None,
                 resolve_screen_name: ScreenNameResolver | None = None, parser: TableParser | None = None,
                 metrics: Metrics = NULL_METRICS) -> None:
        self._store = store
        self.metrics = metrics
        self._settings = settings
        self._clock = clock or SystemClock()
        self._resolve = resolve_screen_name
        self._scope = OrgScope(settings)
        self._limits = limits_of(settings)
        self._parser = parser or ProcessParser()
        self._confirmations = store.held

    @property
    def limits(self) -> Limits:
        """The size limits files are checked against."""
        return self._limits

    async def prepare(self) -> None:
        """Organizations from the config, and the people it names (they are never marked as left).

        Every import does this inside its own transaction too; the bot's start does it anyway.
        """
        async with self._store.transaction() as tx:
            await self._scope.sync_config_in(tx)

    async def _parse(self, data: bytes, want: Sequence[TableKind], file_name: str) -> ParsedTable:
        # Streamed: a per-person table's rows are converted while the worker still finds the later ones;
        # the other kinds wait for every row (`_whole`).
        return await self._parser.parse(data, self._limits, self._settings.imports.header_aliases, want, file_name,
                                        streamed=True)

    # --- the one entry: plan, then apply or preview ---------------------------------------

    @_timed
    async def submit(self, data: bytes, file_name: str, *, kind: str | None = None, mode: Mode = Mode.AUTO,
                     period: Period | None = None, org_id: str | None = None, imported_by: Identity | None = None,
                     only_org: str | None = None, expected: Preview | None = None,
                     confirmation: int | None = None) -> Outcome[ImportResult]:
        """Import a file as `kind` ('roster' or 'stats'; None: as its headers say), or only preview it.

        `only_org` (a deputy in the chat) limits the import to that school: rows of other
        schools are reported and skipped. `confirmation`: the held import this applies
        (closed in the same transaction, so it cannot be applied twice).
        """
        default = self._scope.default_org(org_id or only_org)
        want = {"roster": (TableKind.ROSTER,), "stats": (TableKind.PERSON, TableKind.ORGANIZATION)}.get(kind or "", ())
        claim = None
        if confirmation is not None:
            if imported_by is None:
                raise AlreadyClosed("эту загрузку применяет только тот, кто её загрузил")
            held, actor = confirmation, imported_by

            async def claim(tx: ImportTx) -> None:
                if not await tx.close_held_in(held, actor, "applied"):
                    raise AlreadyClosed("эта загрузка уже применена или отменена")

        # While the worker process reads a file that may be statistics (the chat sends files without a
        # kind), the bot reads and indexes the people it would be matched against (the school's, or
        # every configured school's) on the other core; a roster or a per-school table drops them.
        snapshot = asyncio.create_task(self._snapshot(
            [default] if default else [s.id for s in self._settings.schools])) if kind != "roster" else None
        table: ParsedTable | None = None
        with collector_paused():
            try:
                table = await self._parse(data, want, file_name)
                if kind == "roster" or (kind is None and table.kind is TableKind.ROSTER):
                    await _whole(table)
                    outcome: Outcome[Any] = await self._roster(table, file_name, default, imported_by, only_org,
                                                               mode, expected, claim)
                    return Outcome(result=outcome.result, preview=outcome.preview, kind="roster")
                if kind is None and table.kind is None:
                    raise ImportRefused(_UNKNOWN_TABLE.format(found=table.headers_text()))
                outcome = await self._stats(table, file_name, period, default, imported_by, only_org, mode,
                                            expected, claim, snapshot)
                return Outcome(result=outcome.result, preview=outcome.preview, kind="stats")
            finally:
                if table is not None and isinstance(table.rows, RowsView):
                    await table.rows.aclose()
                if snapshot is not None and not snapshot.done():
                    snapshot.cancel()
                    with contextlib.suppress(BaseException):
                        await snapshot
                # Let go of the roster index (tens of thousands of objects) while the collector is still
                # paused: resumed, it would walk all of them once more before the import returns.
                snapshot = table = None

    async def _snapshot(self, orgs: list[str]) -> RosterSnapshot:
        """The people of `orgs` and the deputy's earlier choices, read outside the write transaction."""
        async with self._store.read() as tx:
            refs = await tx.refs_in(orgs)
            earlier = await tx.resolutions_in(orgs)
        return orgs, refs, earlier, RosterIndex.build(refs)

    async def import_file(self, data: bytes, file_name: str, *, kind: str | None = None,
                          org_id: str | None = None, imported_by: Identity | None = None,
                          only_org: str | None = None) -> ImportResult:
        """Import a file as `kind`, or as its headers say, applying it without a preview."""
        outcome = await self.submit(data, file_name, kind=kind, mode=Mode.APPLY, org_id=org_id,
                                    imported_by=imported_by, only_org=only_org)
        assert outcome.result is not None  # APPLY never stops at the preview
        return outcome.result

    async def import_stats(self, data: bytes, file_name: str, *, period: Period | None = None,
                           org_id: str | None = None, imported_by: Identity | None = None,
                           only_org: str | None = None) -> StatsResult:
        """Import a weekly statistics table (per person or per organization) without a preview."""
        outcome = await self.submit(data, file_name, kind="stats", mode=Mode.APPLY, period=period, org_id=org_id,
                                    imported_by=imported_by, only_org=only_org)
        assert isinstance(outcome.result, StatsResult)
        return outcome.result

    async def import_roster(self, data: bytes, file_name: str, *, org_id: str | None = None,
                            imported_by: Identity | None = None, only_org: str | None = None) -> RosterResult:
        """Import the staff list without a preview: update, add, and mark the missing as left."""
        outcome = await self.submit(data, file_name, kind="roster", mode=Mode.APPLY, org_id=org_id,
                                    imported_by=imported_by, only_org=only_org)
        assert isinstance(outcome.result, RosterResult)
        return outcome.result

    # --- roster and statistics -------------------------------------------------------------

    async def _roster(self, table: ParsedTable, file_name: str, default: str | None, imported_by: Identity | None,
                      only: str | None, mode: Mode, expected: Preview | None, claim: Any) -> Outcome[RosterResult]:
        problems: list[Problem] = []
        rows, orgs = await read_roster_rows(table, self._scope, default, only, ScreenNames(self._resolve), problems)

        async def build(tx: ImportTx) -> Any:
            return await plan_roster_in(tx, self._scope, table, rows, orgs, problems, file_name, imported_by)

        return await execute(self._store.transaction, build, mode, expected=expected, claim=claim)

    async def _stats(self, table: ParsedTable, file_name: str, period: Period | None, default: str | None,
                     imported_by: Identity | None, only: str | None, mode: Mode, expected: Preview | None,
                     claim: Any, snapshot: asyncio.Task[RosterSnapshot] | None = None) -> Outcome[StatsResult]:
        if table.kind not in (TableKind.PERSON, TableKind.ORGANIZATION):
            refuse_not_stats(table)
        now = self._clock.now().astimezone(self._scope.school(default).tz)
        chosen, source = choose_period(table, file_name, period, now)
        problems: list[Problem] = []
        if table.kind is TableKind.ORGANIZATION:
            await _whole(table)
            parsed_orgs, stored = read_org_rows(table, self._scope, chosen, only, problems)
            orgs = sorted({o for o, _ in stored})

            async def build_org(tx: ImportTx) -> Any:
                await self._scope.sync_config_in(tx)
                replaced, preview = await loaded_before_in(tx, orgs, "organization", chosen, orgs)
                return OrgStatsPlan(orgs=orgs, period=chosen, source=source, parsed=parsed_orgs, stored=stored,
                                    problems=problems, file_name=file_name, imported_by=imported_by,
                                    rows_read=len(table.rows), sheet=table.sheet, replaced=replaced,
                                    preview=preview)

            return await execute(self._store.transaction, build_org, mode, expected=expected, claim=claim)
        # The people read while the file was being read (usually long done by its first rows): each row
        # is looked up among them as it arrives, while the worker process finds the next rows.
        read = await snapshot if snapshot is not None else None
        if read is not None and self._writes_early(table, default, only, read, mode):
            assert default is not None
            return await self._stats_early(table, file_name, chosen, source, default, imported_by, only, mode,
                                           expected, claim, read, problems)
        early: list[Early] | None = [] if read is not None else None
        parsed, orgs = await read_person_rows(table, self._scope, default, only, problems,
                                              index=read[3] if read is not None else None, early=early)
        # Matching happens before the write transaction: a screen name may need an API call,
        # and the database must not wait on the network. The people read while the file was
        # being read do, when they cover every school of the table (matching keys by school, so
        # more schools change nothing); otherwise they are read now, and the rows looked up again.
        if read is None or not set(orgs) <= set(read[0]):
            read, early = await self._snapshot(orgs), None
        _, refs, earlier, index = read
        found = await match_person_rows(parsed, refs, earlier, ScreenNames(self._resolve), problems, index=index,
                                        early=early)
        refuse_mostly_strangers(len(parsed), found)
        person_ids = [pid for _, pid, _ in found.stats]

        async def build_person(tx: ImportTx) -> Any:
            await self._scope.sync_config_in(tx)
            replaced, preview = await loaded_before_in(tx, orgs, "person", chosen, person_ids)
            return PersonStatsPlan(orgs=orgs, period=chosen, source=source, parsed=parsed, found=found,
                                   problems=problems, file_name=file_name, imported_by=imported_by,
                                   rows_read=len(table.rows), sheet=table.sheet, replaced=replaced, preview=preview)

        return await execute(self._store.transaction, build_person, mode, expected=expected, claim=claim)

    def _writes_early(self, table: ParsedTable, default: str | None, only: str | None, read: RosterSnapshot,
                      mode: Mode) -> bool:
        """Whether a per-person table's rows can be written while the worker still reads the later ones:
        a table of one school (no school column), matched without the network (a screen name may need
        an API call, and the database must not wait on it), on a store that takes such rows back exactly."""
        return (self._store.writes_early and mode is not Mode.DRY_RUN and default is not None
                and default in read[0] and only in (None, default) and not {"org", "inn"} & set(table.columns)
                and (self._resolve is None or "vk" not in table.columns))

    async def _stats_early(self, table: ParsedTable, file_name: str, chosen: Period, source: str, org: str,
                           imported_by: Identity | None, only: str | None, mode: Mode, expected: Preview | None,
                           claim: Any, read: RosterSnapshot, problems: list[Problem]) -> Outcome[StatsResult]:
        """`_stats` of a one-school per-person table in one transaction opened before its rows are read:
        the rows are written as they arrive (`EarlyRows`) when the week is not loaded yet; the preview,
        the refusals and what is stored are the same as the usual way's, which takes over whenever the
        rows written are not exactly what matching decides."""
        try:
            async with self._store.transaction() as tx:
                await self._scope.sync_config_in(tx)
                writer: EarlyRows | None = None
                if not await tx.has_period_in([org], "person", chosen):
                    await tx.begin_early_in()
                    # The record first, for the rows' import_id; its counts and problems are filled in at the end.
                    import_id = await tx.create_import_in(
                        org_id=org, kind="person", period=chosen, file_name=file_name[:200], rows_read=0,
                        rows_imported=0, problems=[], imported_by=imported_by)
                    writer = EarlyRows(tx, chosen, org, import_id)
                try:
                    outcome = await self._stats_in(tx, table, file_name, chosen, source, org, imported_by, only,
                                                   mode, expected, claim, read, problems, writer)
                finally:
                    if writer is not None:
                        await writer.wait()  # nothing of this transaction is still on its way when it ends
                if outcome.result is None:
                    raise _Held(outcome)
                return outcome
        except _Held as held:
            return held.outcome

    async def _stats_in(self, tx: ImportTx, table: ParsedTable, file_name: str, chosen: Period, source: str,
                        org: str, imported_by: Identity | None, only: str | None, mode: Mode,
                        expected: Preview | None, claim: Any, read: RosterSnapshot, problems: list[Problem],
                        writer: EarlyRows | None) -> Outcome[StatsResult]:
        early: list[Early] = []
        parsed, orgs = await read_person_rows(table, self._scope, org, only, problems, index=read[3], early=early,
                                              writer=writer)
        index_orgs, refs, earlier, index = read
        looked_up: list[Early] | None = early
        if not set(orgs) <= set(index_orgs):
            # The rows name a school the index does not hold: read inside this transaction (the store's
            # lock is held), and look every row up again.
            refs, earlier = await tx.refs_in(orgs), await tx.resolutions_in(orgs)
            index, looked_up = RosterIndex.build(refs), None
        found = await match_person_rows(parsed, refs, earlier, ScreenNames(self._resolve), problems, index=index,
                                        early=looked_up)
        refuse_mostly_strangers(len(parsed), found)
        person_ids = [pid for _, pid, _ in found.stats]
        kept = writer is not None and orgs == [writer.org] and await writer.settle(found.stats)
        if writer is not None:
            await tx.end_early_in(undo=not kept)
        rows_read = len(table.rows)

        async def build_person(tx: ImportTx) -> Any:
            if kept:
                # The week was not loaded (looked at before the rows were written): nothing is replaced.
                assert writer is not None
                return _EarlyPlan(writer=writer, orgs=orgs, period=chosen, source=source, parsed=parsed, found=found,
                                  problems=problems, file_name=file_name, imported_by=imported_by,
                                  rows_read=rows_read, sheet=table.sheet, replaced=False,
                                  preview=Preview(added=len(person_ids)))
            replaced, preview = await loaded_before_in(tx, orgs, "person", chosen, person_ids)
            return PersonStatsPlan(orgs=orgs, period=chosen, source=source, parsed=parsed, found=found,
                                   problems=problems, file_name=file_name, imported_by=imported_by,
                                   rows_read=rows_read, sheet=table.sheet, replaced=replaced, preview=preview)

        return await execute(lambda: _within(tx), build_person, mode, expected=expected, claim=claim)

    # --- imports held for a confirmation -------------------------------------------------

    async def hold(self, outcome: Outcome[Any], *, actor: Identity, org_id: str | None, file_name: str,
                   source: str, size: int) -> int:
        """Keep a previewed import until its account confirms or cancels it; returns its id."""
        assert outcome.preview is not None
        return await self._confirmations.hold(org_id=org_id, actor=actor, kind=outcome.kind,
                                              file_name=file_name[:200], source=source, size=size,
                                              preview=outcome.preview.to_dict())

    async def held(self, confirmation_id: int) -> ImportConfirmation | None:
        """A held import (any status)."""
        return await self._confirmations.get(confirmation_id)

    async def confirm(self, held: ImportConfirmation, data: bytes, *, only_org: str | None) -> Outcome[ImportResult]:
        """Apply a held import (the file fetched again): only if it would still change what its
        person saw; otherwise the new preview comes back, to confirm again."""
        current = await self._confirmations.get(held.id)
        if current is None or current.status != "open" or current.actor != held.actor:
            raise AlreadyClosed("эта загрузка уже применена или отменена")
        outcome = await self.submit(data, held.file_name, kind=held.kind, mode=Mode.APPLY, only_org=only_org,
                                    imported_by=held.actor, expected=Preview.from_dict(held.preview),
                                    confirmation=held.id)
        if outcome.preview is not None:
            await self._confirmations.close(held.id, held.actor, "superseded")
        return outcome

    async def cancel(self, confirmation_id: int, actor: Identity) -> bool:
        """Cancel `actor`'s held import; False when it was no longer open (or is another account's)."""
        return await self._confirmations.close(confirmation_id, actor, "cancelled")

    # --- kept-aside rows -----------------------------------------------------------------

    async def pending(self, org_id: str | None = None) -> list[PendingRow]:
        """Open kept-aside rows (of one school)."""
        return await self._store.pending(org_id)

    async def get_pending(self, pending_id: int) -> PendingRow | None:
        """One kept-aside row (any status)."""
        return await self._store.get_pending(pending_id)

    async def resolve_pending(self, pending_id: int, person_id: int | None, *,
                              actor: Identity | None = None) -> PendingRow:
        """Store a kept-aside row against the person chosen, or skip it (`person_id` None)."""
        async with self._store.transaction() as tx:
            row = await tx.pending_in(pending_id)
            if row is None or row.status != "open":
                raise ImportRefused("эта строка уже разобрана")
            if person_id is not None:
                if person_id not in {c.id for c in row.candidates}:
                    raise ImportRefused("этого сотрудника нет среди подходящих")
                if row.kind == "person" and row.period is not None and row.org_id is not None:
                    values = {k: v for k, v in row.data.items() if k in PERSON_VALUE_FIELDS}
                    await tx.put_person_stats_in([PersonStats(
                        person_id=person_id, org_id=row.org_id, period=row.period, import_id=row.import_id,
                        **values)])
            await tx.close_pending_in(pending_id, person_id)
            await tx.audit_in(actor=actor, org_id=row.org_id, action="resolve_pending", outcome="ok",
                              target=str(pending_id), details={"person_id": person_id})
        return row.model_copy(update={"status": "resolved" if person_id else "dismissed", "person_id": person_id})


@dataclass(kw_only=True)
class _EarlyPlan(PersonStatsPlan):
    """A per-person plan whose rows are written already (`EarlyRows`), under the import record made first."""

    writer: EarlyRows

    async def apply(self, tx: ImportTx) -> StatsResult:
        """Fill in the import's record, write its audit line and the rows kept aside (`record_in`'s work)."""
        org, import_id = self.writer.org, self.writer.import_id
        stats = self.found.stats
        await tx.finish_import_in(import_id, rows_read=len(self.parsed), rows_imported=len(stats),
                                  problems=[p.model_dump() for p in sorted_problems(self.problems)])
        await tx.audit_in(actor=self.imported_by, org_id=org, action="import_person", outcome="ok",
                          target=self.file_name[:200], details={"period": self.period.key, "import_id": import_id})
        if self.found.pending:
            await tx.add_pending_in(import_id, self.found.pending)
        return self.result([import_id])  # replaced is False: the week was not loaded before
