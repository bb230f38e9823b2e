"""Use cases: import a staff roster, import a weekly statistics table, resolve a kept-aside row.

Everything is read and checked first; then one transaction writes it all, so a
refused file changes nothing. Refusals raise `ImportRefused` with a Russian reason.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.config import SchoolConfig, Settings
from bot.domain.models import CONFIG_NAMES, Organization, Period, Person, Role
from bot.domain.names import name_key, split_classes
from bot.imports import values as cells
from bot.imports.bulk import collector_paused
from bot.imports.headers import norm_header
from bot.imports.matching import Match, RosterIndex, ambiguous
from bot.imports.period import find_period
from bot.imports.reader import ImportRefused, Limits, check_size
from bot.imports.report import Problem, RosterResult, StatsResult
from bot.imports.table import DataRow, ParsedTable, TableKind, field_label, parse_table
from bot.ports import Clock, SystemClock
from storage.audit import AuditRepo
from storage.db import Database
from storage.roster import RosterEntry, RosterRepo
from storage.stats import Candidate, NewPending, OrgStats, PendingRow, PersonStats, StatsRepo

ScreenNameResolver = Callable[[str], Awaitable[int | None]]
ApiRequest = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
log = logging.getLogger(__name__)


def vk_screen_name_resolver(request: ApiRequest) -> ScreenNameResolver:
    """A resolver over an API `request(method, params)` (utils.resolveScreenName); users only."""

    async def resolve(screen_name: str) -> int | None:
        try:
            answer = await request("utils.resolveScreenName", {"screen_name": screen_name})
        except Exception as exc:  # any API or network failure leaves the name unresolved, reported
            log.warning("не удалось узнать VK id по адресу %s (utils.resolveScreenName: %s)", screen_name, type(exc).__name__)
            return None
        found = answer.get("response") if isinstance(answer, dict) else None
        if isinstance(found, dict) and found.get("type") == "user" and isinstance(found.get("object_id"), int):
            return int(found["object_id"])
        return None

    return resolve

# Screen names cost an API call each (utils.resolveScreenName): a bounded number per file.
MAX_RESOLVE = 500
_OTHER_SCHOOL = "строка другой школы («{raw}») — пропущена: её данные загружает её заместитель"
_PERSON_VALUE_FIELDS = ("group_messages", "calls", "group_chats_created", "ejd_linked", "registered")
_ORG_COUNT_FIELDS = ("students_total", "teachers_total", "teachers_created_chats", "teachers_3plus",
                     "teachers_10plus", "teachers_1call", "teachers_ejd", "students_ejd")


@dataclass
class _OrgLookup:
    """Config schools by id, normalized name and INN."""

    keys: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, schools: Sequence[SchoolConfig]) -> _OrgLookup:
        lookup = cls()
        for school in schools:
            lookup.keys[school.id.lower()] = school.id
            lookup.keys[norm_header(school.name)] = school.id
            lookup.names[norm_header(school.name)] = school.id
            if school.inn:
                lookup.keys[re.sub(r"\D", "", school.inn)] = school.id
        return lookup

    def find(self, raw: str) -> str | None:
        """The school a cell names: its id, INN or name (also inside a longer official name)."""
        raw = raw.strip()
        if not raw:
            return None
        digits = re.sub(r"\D", "", raw)
        if len(digits) in (10, 12) and digits == re.sub(r"\s", "", raw) and digits in self.keys:
            return self.keys[digits]
        found = self.keys.get(raw.lower()) or self.keys.get(norm_header(raw))
        if found is not None:
            return found
        # «МБОУ «СОШ № 1 г. Энска»» names «МБОУ СОШ № 1», but «СОШ № 12» does not name «СОШ № 1».
        key = norm_header(raw)
        hits = {school for name, school in self.names.items()
                if len(name) >= 6 and re.search(re.escape(name) + r"(?!\d)", key)}
        return hits.pop() if len(hits) == 1 else None


class ImportService:
    """Roster and statistics import for the CLI and the chat."""

    def __init__(self, db: Database, settings: Settings, *, clock: Clock | None = None,
                 resolve_screen_name: ScreenNameResolver | None = None) -> None:
        self._db = db
        self._settings = settings
        self._clock = clock or SystemClock()
        self._resolve = resolve_screen_name
        self._orgs = _OrgLookup.build(settings.schools)
        self._limits = Limits(max_file_mb=settings.imports.max_file_mb, max_rows=settings.imports.max_rows,
                              max_unzipped_mb=settings.imports.max_unzipped_mb)

    @property
    def limits(self) -> Limits:
        """The size limits files are checked against."""
        return self._limits

    async def prepare(self) -> None:
        """Organizations from the config, and the people it names (they are never marked as left).

        Every import does this inside its own transaction too; the bot's start does it anyway.
        """
        async with self._db.transaction() as conn:
            await self._sync_config_in(conn)

    async def _sync_config_in(self, conn: Any) -> None:
        orgs = [Organization(id=s.id, name=s.name, timezone=s.timezone, inn=s.inn) for s in self._settings.schools]
        people: list[tuple[str | None, int, Role, str]] = []
        for school in self._settings.schools:
            if school.director_vk_id:
                people.append((school.id, school.director_vk_id, Role.DIRECTOR, CONFIG_NAMES[Role.DIRECTOR]))
            people.extend((school.id, vk_id, Role.DEPUTY, CONFIG_NAMES[Role.DEPUTY]) for vk_id in school.deputy_vk_ids)
        await RosterRepo.sync_config_in(conn, orgs, people)

    # --- organizations -------------------------------------------------------------------

    def _default_org(self, org_id: str | None) -> str | None:
        if org_id is not None:
            ids = [s.id for s in self._settings.schools]
            if org_id not in ids:
                raise ImportRefused(f"школы «{org_id}» нет в настройках; есть: {', '.join(ids)}")
            return org_id
        if len(self._settings.schools) == 1:
            return self._settings.schools[0].id
        return None

    def _assumed_school(self, table: ParsedTable, problems: list[Problem]) -> str | None:
        """With one school in the config and one unknown school named all through the file,
        the file is that school's: said once, not refused row by row."""
        if len(self._settings.schools) != 1 or not ({"org", "inn"} & set(table.columns)):
            return None
        named = {row.get_text("org") or row.get_text("inn") for row in table.rows} - {""}
        if len(named) != 1:
            return None
        raw = named.pop()
        if self._orgs.find(raw) is not None:
            return None
        school = self._settings.schools[0]
        problems.append(Problem(row=table.header_row, reason=(
            f"в столбце школы указано «{raw}», а в настройках бота школа называется «{school.name}»: "
            "строки засчитаны ей; чтобы это сообщение не появлялось, впишите в настройки её название или ИНН")))
        return school.id

    def _row_org(self, row: DataRow, default: str | None, problems: list[Problem],
                 only: str | None = None, assumed: str | None = None) -> str | None:
        values = row.values
        raw = (row.get_text("org") or row.get_text("inn")) if "org" in values or "inn" in values else ""
        if raw:
            found = self._orgs.find(raw) or self._orgs.find(row.get_text("inn")) or assumed
            if found is None:
                problems.append(Problem(row=row.row_no, reason=f"школы «{raw}» нет в настройках бота — строка пропущена"))
            elif only is not None and found != only:
                problems.append(Problem(row=row.row_no, reason=_OTHER_SCHOOL.format(raw=raw)))
                return None
            return found
        if default is None:
            problems.append(Problem(row=row.row_no, reason="не указана школа — строка пропущена"))
        return default

    def _require_org_source(self, table: ParsedTable, default: str | None) -> None:
        if default is None and "org" not in table.columns and "inn" not in table.columns:
            ids = ", ".join(s.id for s in self._settings.schools)
            raise ImportRefused(
                f"в настройках несколько школ ({ids}): укажите школу (--org) "
                "или добавьте в таблицу столбец «ОО»"
            )

    def _school(self, org_id: str | None) -> SchoolConfig:
        for school in self._settings.schools:
            if school.id == org_id:
                return school
        return self._settings.schools[0]

    # --- statistics ----------------------------------------------------------------------

    def _parse_sync(self, data: bytes, want: Sequence[TableKind], file_name: str) -> ParsedTable:
        check_size(len(data), self._limits)
        return parse_table(data, self._limits, self._settings.imports.header_aliases, want=want,
                           file_name=file_name)

    async def _parse(self, data: bytes, want: Sequence[TableKind], file_name: str) -> ParsedTable:
        # Parsing is CPU work: a thread keeps the bot answering others meanwhile.
        return await asyncio.to_thread(self._parse_sync, data, want, file_name)

    async def import_file(self, data: bytes, file_name: str, *, kind: str | None = None,
                          org_id: str | None = None, imported_by: int | None = None,
                          only_org: str | None = None) -> StatsResult | RosterResult:
        """Import a file as `kind` ('roster' or 'stats'), or as its headers say (the chat's way)."""
        if kind == "roster":
            return await self.import_roster(data, file_name, org_id=org_id, imported_by=imported_by,
                                            only_org=only_org)
        if kind == "stats":
            return await self.import_stats(data, file_name, org_id=org_id, imported_by=imported_by,
                                           only_org=only_org)
        default = self._default_org(org_id or only_org)
        with collector_paused():
            table = await self._parse(data, (), file_name)
            if table.kind is TableKind.ROSTER:
                return await self._roster_from(table, file_name, default, imported_by, only_org)
            if table.kind is None:
                raise ImportRefused(
                    "не понял, что это за таблица: для списка сотрудников нужны столбцы «ФИО» и «Должность», "
                    "для статистики — «ФИО» и «Сообщений в групповых чатах»; "
                    f"найдены столбцы: {table.headers_text()}"
                )
            return await self._stats_from(table, file_name, None, default, imported_by, None, only_org)

    async def import_stats(self, data: bytes, file_name: str, *, period: Period | None = None,
                           org_id: str | None = None, imported_by: int | None = None,
                           kind: TableKind | None = None, only_org: str | None = None) -> StatsResult:
        """Import a weekly statistics table (per person or per organization).

        `only_org` (a deputy in the chat) limits the import to that school: rows of
        other schools are reported and skipped.
        """
        default = self._default_org(org_id or only_org)
        want = (kind,) if kind else (TableKind.PERSON, TableKind.ORGANIZATION)
        with collector_paused():
            table = await self._parse(data, want, file_name)
            return await self._stats_from(table, file_name, period, default, imported_by, kind, only_org)

    async def _stats_from(self, table: ParsedTable, file_name: str, period: Period | None, default: str | None,
                          imported_by: int | None, kind: TableKind | None, only: str | None) -> StatsResult:
        found_kind = kind or table.kind
        if found_kind not in (TableKind.PERSON, TableKind.ORGANIZATION):
            _refuse_not_stats(table)
        chosen, source = self._period(table, file_name, period, default)
        if found_kind is TableKind.ORGANIZATION:
            return await self._import_org(table, file_name, chosen, source, imported_by, only)
        return await self._import_person(table, file_name, chosen, source, default, imported_by, only)

    def _period(self, table: ParsedTable, file_name: str, explicit: Period | None,
                default: str | None) -> tuple[Period, str]:
        if explicit is not None:
            return explicit, "argument"
        now = self._clock.now().astimezone(self._school(default).tz)
        found = find_period([*table.titles, file_name], today=now.date())
        if found is not None:
            return found, "file"
        return Period.last_completed(now), "default"

    def _vk_ref(self, row: DataRow, problems: list[Problem]) -> tuple[int | None, str | None]:
        if "vk" not in row.values:
            return None, None
        try:
            return cells.vk_ref(row.values.get("vk"))
        except cells.BadValue as exc:
            problems.append(Problem(row=row.row_no, reason=f"столбец «VK»: {exc}"))
            return None, None

    async def _resolve_screen(self, screen: str, cache: dict[str, int | None]) -> int | None:
        """A screen name's VK id through the resolver, once per name and import, at most
        MAX_RESOLVE names per import (each is an API call)."""
        if screen not in cache:
            if self._resolve is None or len(cache) >= MAX_RESOLVE:
                return None
            cache[screen] = await self._resolve(screen)
        return cache[screen]

    async def _import_person(self, table: ParsedTable, file_name: str, period: Period, source: str,
                             default: str | None, imported_by: int | None, only: str | None) -> StatsResult:
        if not any(f in table.columns for f in ("full_name", "last_name", "vk")):
            raise ImportRefused(f"нет столбца с ФИО; найдены столбцы: {table.headers_text()}")
        self._require_org_source(table, default)
        problems: list[Problem] = []
        if "group_messages" not in table.columns:
            problems.append(Problem(row=table.header_row,
                                    reason=f"нет столбца с числом сообщений; найдены столбцы: {table.headers_text()}"))
        parsed: list[tuple[DataRow, str, int | None, str | None, dict[str, Any]]] = []
        assumed = self._assumed_school(table, problems)
        converted: dict[tuple[str, type, Any], tuple[Any, str | None]] = {}
        for row in table.rows:
            org = self._row_org(row, default, problems, only, assumed)
            if org is None:
                continue
            vk_id, screen = self._vk_ref(row, problems)
            parsed.append((row, org, vk_id, screen, _person_values(row, problems, converted)))
        orgs = sorted({p[1] for p in parsed} | ({default} if default and "org" not in table.columns else set()))
        # Matching happens before the write transaction: a screen name may need an API call,
        # and the database must not wait on the network.
        async with self._db.read() as conn:
            refs = await RosterRepo.refs_in(conn, orgs)
            earlier = await StatsRepo.resolutions_in(conn, orgs)
        index = RosterIndex.build(refs)
        # The deputy's earlier choices for names that match nobody or several people.
        by_id = {r.id: r for r in refs}
        remembered_for = {(org, name_key(name)): pid for org, name, pid in earlier if pid in by_id}
        remembered = 0
        stats: list[tuple[str, int, dict[str, Any]]] = []
        pending: list[NewPending] = []
        seen: dict[int, int] = {}
        resolved: dict[str, int | None] = {}
        for row, org, vk_id, screen, values in parsed:
            name = row.full_name or (f"VK {vk_id}" if vk_id else "")
            # Most rows name one person plainly: found without building a Match.
            person = index.quick(org, name, vk_id)
            if person is None:
                match = index.match(org, name, vk_id)
                if match.person is None and screen is not None:
                    found_id = await self._resolve_screen(screen, resolved)
                    if found_id is not None:
                        match = index.match(org, name, found_id)
                if match.person is None and (org, name_key(name)) in remembered_for:
                    match = Match(by_id[remembered_for[(org, name_key(name))]])
                    remembered += 1
                if match.person is None:
                    problems.append(Problem(row=row.row_no, reason=match.reason))
                    pending.append(NewPending(
                        org_id=org, row_no=row.row_no, name=name or "(без имени)", data=values,
                        reason=match.reason, candidates=[Candidate(id=p.id, name=p.full_name)
                                                         for p in match.candidates]))
                    continue
                person = match.person
            if person.id in seen:
                problems.append(Problem(row=row.row_no, reason=(
                    f"«{name}» уже есть в строке {seen[person.id]} — эта строка пропущена")))
                continue
            seen[person.id] = row.row_no
            stats.append((org, person.id, values))
        async with self._db.transaction() as conn:
            await self._sync_config_in(conn)
            replaced = await StatsRepo.has_period_in(conn, orgs, "person", period)
            await StatsRepo.clear_period_in(conn, orgs, "person", period)
            import_ids = await self._record(conn, orgs, "person", period, file_name, parsed, stats, problems,
                                            imported_by)
            await StatsRepo.put_person_values_in(conn, period, [(pid, o, import_ids[o], v) for o, pid, v in stats])
            for org in orgs:
                rows = [p for p in pending if p.org_id == org]
                if rows:
                    await StatsRepo.add_pending_in(conn, import_ids[org], rows)
        return StatsResult(period=period, kind="person", rows_read=len(table.rows), rows_imported=len(stats),
                           problems=_sorted(problems), orgs=orgs, replaced=replaced, pending=len(pending),
                           remembered=remembered,
                           import_ids=list(import_ids.values()), sheet=table.sheet, period_source=source)

    async def _record(self, conn: Any, orgs: Sequence[str], kind: str, period: Period | None, file_name: str,
                      parsed: Sequence[tuple[Any, ...]], stored: Sequence[tuple[Any, ...]],
                      problems: Sequence[Problem], imported_by: int | None) -> dict[str, int]:
        ids: dict[str, int] = {}
        dumped = [p.model_dump() for p in _sorted(list(problems))]
        for org in orgs:
            ids[org] = await StatsRepo.create_import_in(
                conn, org_id=org, kind=kind, period=period, file_name=file_name[:200],
                rows_read=sum(1 for p in parsed if p[1] == org),
                rows_imported=sum(1 for s in stored if s[0] == org),
                problems=dumped, imported_by=imported_by,
            )
            await AuditRepo.write_in(conn, actor_vk_id=imported_by, org_id=org, action=f"import_{kind}",
                                     outcome="ok", target=file_name[:200],
                                     details={"period": period.key if period else None, "import_id": ids[org]})
        return ids

    async def _import_org(self, table: ParsedTable, file_name: str, period: Period, source: str,
                          imported_by: int | None, only: str | None) -> StatsResult:
        if "org" not in table.columns and "inn" not in table.columns:
            raise ImportRefused(f"нет столбца с названием школы или ИНН; найдены столбцы: {table.headers_text()}")
        problems: list[Problem] = []
        stored: list[tuple[str, OrgStats]] = []
        parsed: list[tuple[DataRow, str]] = []
        seen: dict[str, int] = {}
        for row in table.rows:
            raw = row.get_text("org") or row.get_text("inn")
            org = self._orgs.find(row.get_text("inn")) if row.get_text("inn") else None
            org = org or self._orgs.find(row.get_text("org"))
            if org is None:
                problems.append(Problem(row=row.row_no, reason=(
                    f"школы «{raw}» нет в настройках бота — строка пропущена" if raw else "не указана школа")))
                continue
            if only is not None and org != only:
                problems.append(Problem(row=row.row_no, reason=_OTHER_SCHOOL.format(raw=raw)))
                continue
            if org in seen:
                problems.append(Problem(row=row.row_no, reason=f"школа «{raw}» уже есть в строке {seen[org]}"))
                continue
            seen[org] = row.row_no
            parsed.append((row, org))
            stored.append((org, OrgStats(org_id=org, period=period, **_org_values(row, problems))))
        orgs = sorted(seen)
        async with self._db.transaction() as conn:
            await self._sync_config_in(conn)
            replaced = await StatsRepo.has_period_in(conn, orgs, "organization", period)
            await StatsRepo.clear_period_in(conn, orgs, "organization", period)
            ids = await self._record(conn, orgs, "organization", period, file_name,
                                     [(r, o) for r, o in parsed], stored, problems, imported_by)
            await StatsRepo.put_org_stats_in(conn, [s.model_copy(update={"import_id": ids[o]}) for o, s in stored])
        return StatsResult(period=period, kind="organization", rows_read=len(table.rows),
                           rows_imported=len(stored), problems=_sorted(problems), orgs=orgs, replaced=replaced,
                           import_ids=list(ids.values()), sheet=table.sheet, period_source=source)

    # --- roster --------------------------------------------------------------------------

    async def import_roster(self, data: bytes, file_name: str, *, org_id: str | None = None,
                            imported_by: int | None = None, only_org: str | None = None) -> RosterResult:
        """Import the staff list: update, add, and mark the missing as left (never config people)."""
        default = self._default_org(org_id or only_org)
        with collector_paused():
            table = await self._parse(data, (TableKind.ROSTER,), file_name)
            return await self._roster_from(table, file_name, default, imported_by, only_org)

    async def _roster_from(self, table: ParsedTable, file_name: str, default: str | None,
                           imported_by: int | None, only: str | None) -> RosterResult:
        if not any(f in table.columns for f in ("full_name", "last_name")):
            raise ImportRefused(f"нет столбца с ФИО; найдены столбцы: {table.headers_text()}")
        if "role" not in table.columns:
            raise ImportRefused(f"нет столбца с должностью; найдены столбцы: {table.headers_text()}")
        self._require_org_source(table, default)
        problems: list[Problem] = []
        resolved: dict[str, int | None] = {}
        rows: list[tuple[DataRow, str, int | None, str | None]] = []
        assumed = self._assumed_school(table, problems)
        for row in table.rows:
            org = self._row_org(row, default, problems, only, assumed)
            if org is None:
                continue
            if not row.full_name:
                problems.append(Problem(row=row.row_no, reason="не указано ФИО — строка пропущена"))
                continue
            vk_id, screen = self._vk_ref(row, problems)
            if screen is not None:
                vk_id = await self._resolve_screen(screen, resolved)
                if vk_id is None:
                    problems.append(Problem(row=row.row_no, reason=_unresolved(screen, self._resolve is not None)))
            rows.append((row, org, vk_id, screen))
        orgs = sorted({org for _, org, _, _ in rows} | ({default} if default and "org" not in table.columns else set()))
        school_contacts = {s.id: s.store_contacts for s in self._settings.schools}
        async with self._db.transaction() as conn:
            await self._sync_config_in(conn)
            people = await RosterRepo.people_in(conn, orgs, include_left=True)
            entries, protected = _plan_roster(rows, people, problems)
            changes_total = {"added": 0, "updated": 0, "left": 0}
            for org in orgs:
                # Ambiguous rows protect their candidates: nobody is marked as left on a guess.
                changes = await RosterRepo.apply_in(
                    conn, [org], [e for e in entries if e.org_id == org],
                    store_contacts=school_contacts.get(org, False),
                    keep_ids={p.id for p in protected if p.org_id == org},
                )
                changes_total["added"] += changes.added
                changes_total["updated"] += changes.updated
                changes_total["left"] += changes.left
            await self._record(conn, orgs, "roster", None, file_name, [(r, o) for r, o, _, _ in rows],
                               [(e.org_id, e) for e in entries], problems, imported_by)
        return RosterResult(org=orgs[0] if len(orgs) == 1 else None, rows_read=len(table.rows),
                            problems=_sorted(problems), orgs=orgs, sheet=table.sheet, **changes_total)

    # --- kept-aside rows -----------------------------------------------------------------

    async def pending(self, org_id: str | None = None) -> list[PendingRow]:
        """Open kept-aside rows (of one school)."""
        return await StatsRepo(self._db).pending(org_id)

    async def get_pending(self, pending_id: int) -> PendingRow | None:
        """One kept-aside row (any status)."""
        return await StatsRepo(self._db).get_pending(pending_id)

    async def resolve_pending(self, pending_id: int, person_id: int | None, *,
                              actor_vk_id: int | None = None) -> PendingRow:
        """Store a kept-aside row against the person chosen, or skip it (`person_id` None)."""
        async with self._db.transaction() as conn:
            row = await StatsRepo.pending_in(conn, pending_id)
            if row is None or row.status != "open":
                raise ImportRefused("эта строка уже разобрана")
            if person_id is not None:
                if person_id not in {c.id for c in row.candidates}:
                    raise ImportRefused("этого сотрудника нет среди подходящих")
                if row.kind == "person" and row.period is not None and row.org_id is not None:
                    values = {k: v for k, v in row.data.items() if k in _PERSON_VALUE_FIELDS}
                    await StatsRepo.put_person_stats_in(conn, [PersonStats(
                        person_id=person_id, org_id=row.org_id, period=row.period, import_id=row.import_id,
                        **values)])
            await StatsRepo.close_pending_in(conn, pending_id, person_id)
            await AuditRepo.write_in(conn, actor_vk_id=actor_vk_id, org_id=row.org_id, action="resolve_pending",
                                     outcome="ok", target=str(pending_id), details={"person_id": person_id})
        return row.model_copy(update={"status": "resolved" if person_id else "dismissed", "person_id": person_id})


def _unresolved(screen: str, with_token: bool) -> str:
    if with_token:
        return f"страница vk.com/{screen} не найдена (или проверено слишком много адресов за раз) — человек записан без VK"
    return (f"не удалось узнать id страницы vk.com/{screen}: без ключа доступа VK короткие адреса "
            "не проверить — укажите vk.com/id…; человек записан без VK")


def _refuse_not_stats(table: ParsedTable) -> None:
    found = table.headers_text()
    if table.kind is TableKind.ROSTER or any(f in table.columns for f in ("full_name", "last_name")):
        raise ImportRefused(
            f"нет столбца с числом сообщений; найдены столбцы: {found}. "
            "Похоже, это список сотрудников: загрузите его как список (import-roster)"
        )
    raise ImportRefused(f"не понял, что это за таблица: нет столбца с ФИО; найдены столбцы: {found}")


def _person_value(name: str, cell: Any) -> tuple[Any, str | None]:
    """(value, None), or (None, the problem's reason) for a cell that cannot be read."""
    try:
        if name in ("group_messages", "calls"):
            return cells.count(cell), None
        if name == "group_chats_created":
            return cells.count_or_yes_no(cell), None
        return cells.yes_no(cell), None
    except cells.BadValue as exc:
        return None, f"столбец «{field_label(name)}»: {exc}"


def _person_values(row: DataRow, problems: list[Problem],
                   converted: dict[tuple[str, type, Any], tuple[Any, str | None]] | None = None) -> dict[str, Any]:
    """The row's figures; `converted` remembers each distinct cell's reading (a column holds
    the same few «да», «нет», 0, 1 thousands of times)."""
    values: dict[str, Any] = {}
    cells_of = row.values
    for name in _PERSON_VALUE_FIELDS:
        if name not in cells_of:
            continue
        cell = cells_of[name]
        # The cell's type is in the key: 1, 1.0 and True are equal but read differently.
        key = (name, type(cell), cell)
        found = converted.get(key) if converted is not None else None
        if found is None:
            found = _person_value(name, cell)
            if converted is not None and len(converted) < 100_000:
                converted[key] = found
        value, reason = found
        if reason is None:
            values[name] = value
        else:
            problems.append(Problem(row=row.row_no, reason=reason))
    return values


def _org_values(row: DataRow, problems: list[Problem]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in (*_ORG_COUNT_FIELDS, "status"):
        if name not in row.values:
            continue
        try:
            values[name] = cells.status(row.values[name]) if name == "status" else cells.count(row.values[name])
        except cells.BadValue as exc:
            problems.append(Problem(row=row.row_no, reason=f"столбец «{field_label(name)}»: {exc}"))
    return values


def _plan_roster(rows: Sequence[tuple[DataRow, str, int | None, str | None]], people: Sequence[Person],
                 problems: list[Problem]) -> tuple[list[RosterEntry], list[Person]]:
    """Match each roster row to an existing person (VK id, else name) or plan to add it."""
    by_vk = {(p.org_id, p.vk_id): p for p in people if p.vk_id is not None}
    by_key: dict[tuple[str | None, str], list[Person]] = {}
    for p in people:
        by_key.setdefault((p.org_id, name_key(p.full_name)), []).append(p)
    entries: list[RosterEntry] = []
    protected: list[Person] = []
    taken: dict[int, int] = {}
    vk_rows: dict[tuple[str, int], int] = {}
    new_rows: dict[tuple[str, str], tuple[int, int | None]] = {}
    for row, org, vk_id, screen in rows:
        name = _display_name(row.full_name)
        role = cells.role(row.values.get("role"))
        if role is None:
            role = Role.STAFF
            problems.append(Problem(row=row.row_no, reason=f"у «{name}» не указана должность — записан(а) как сотрудник"))
        if vk_id is not None and (org, vk_id) in vk_rows:
            problems.append(Problem(row=row.row_no, reason=(
                f"страница VK {vk_id} уже указана в строке {vk_rows[(org, vk_id)]} — строка пропущена")))
            continue
        person = by_vk.get((org, vk_id)) if vk_id is not None else None
        if person is None:
            found = by_key.get((org, name_key(name)), [])
            active = [p for p in found if p.active]
            pool = active or found
            if len(pool) > 1:
                problems.append(Problem(row=row.row_no, reason=ambiguous(name, pool) + " — укажите VK, чтобы различить"))
                protected.extend(pool)
                continue
            person = pool[0] if pool else None
            if person is not None and vk_id is not None and person.vk_id not in (None, vk_id):
                person = None  # a namesake with another VK page: a different person
        if person is not None and person.id in taken:
            problems.append(Problem(row=row.row_no, reason=f"«{name}» уже есть в строке {taken[person.id]} — строка пропущена"))
            continue
        if person is None:
            key = (org, name_key(name))
            earlier = new_rows.get(key)
            # Two new rows with one name are one person twice, unless two VK pages tell them apart.
            if earlier is not None and (vk_id is None or earlier[1] is None):
                problems.append(Problem(row=row.row_no, reason=(
                    f"«{name}» уже есть в строке {earlier[0]} — строка пропущена "
                    "(если это тёзки, укажите у обоих страницу VK)")))
                continue
            new_rows.setdefault(key, (row.row_no, vk_id))
        if person is not None:
            taken[person.id] = row.row_no
        if vk_id is not None:
            vk_rows[(org, vk_id)] = row.row_no
        entries.append(RosterEntry(
            org_id=org, full_name=name, role=role, vk_id=vk_id, vk_screen_name=screen if vk_id is None else None,
            classes=tuple(split_classes(row.get_text("classes"))),
            phone=row.get_text("phone") or None, email=row.get_text("email") or None,
            person_id=person.id if person else None,
        ))
    return entries, protected


def _display_name(name: str) -> str:
    """«ИВАНОВА АННА» → «Иванова Анна»; names typed in mixed case stay as typed."""
    return name.title() if name.isupper() or name.islower() else name


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: p.row)
