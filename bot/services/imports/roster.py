"""The staff roster: match each row to a person (or a new one), preview who is added,
changed and marked as left, then write it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.domain.models import Person, Role
from bot.domain.names import name_key, split_classes
from bot.imports import values as cells
from bot.imports.matching import ambiguous
from bot.imports.reader import ImportRefused
from bot.imports.report import Problem, RosterResult
from bot.imports.table import DataRow, ParsedTable, TableKind
from bot.messaging.events import Identity
from bot.services.imports.orgs import OrgScope
from bot.services.imports.plan import MAX_LEFT_NAMES, Preview
from bot.services.imports.record import record_in, sorted_problems
from bot.services.imports.resolver import ScreenNames, unresolved
from bot.stores.imports import ImportTx, RosterEntry

RosterRow = tuple[DataRow, str, int | None, str | None]


def check_roster_table(table: ParsedTable) -> None:
    """Refuse a table that is not a roster, saying what it looks like."""
    if table.kind in (TableKind.PERSON, TableKind.ORGANIZATION):
        raise ImportRefused(
            f"это похоже на еженедельную статистику ({table.kind.label}), а не на список сотрудников: "
            f"найдены столбцы: {table.headers_text()}. Загрузите её как статистику (import-stats)"
        )
    if not any(f in table.columns for f in ("full_name", "last_name")):
        raise ImportRefused(f"нет столбца с ФИО; найдены столбцы: {table.headers_text()}")
    if "role" not in table.columns:
        raise ImportRefused(f"нет столбца с должностью; найдены столбцы: {table.headers_text()}")


async def read_roster_rows(table: ParsedTable, scope: OrgScope, default: str | None, only: str | None,
                           screens: ScreenNames, problems: list[Problem]) -> tuple[list[RosterRow], list[str]]:
    """The rows to store with their school and VK id (screen names resolved), and the schools covered."""
    check_roster_table(table)
    scope.require_org_source(table, default)
    rows: list[RosterRow] = []
    assumed = scope.assumed_school(table, problems)
    for row in table.rows:
        org = scope.row_org(row, default, problems, only, assumed)
        if org is None:
            continue
        if not row.full_name:
            problems.append(Problem(row=row.row_no, reason="не указано ФИО — строка пропущена"))
            continue
        vk_id, screen = vk_ref(row, problems)
        if screen is not None:
            vk_id = await screens.get(screen)
            if vk_id is None:
                problems.append(Problem(row=row.row_no, reason=unresolved(screen, screens.available)))
        rows.append((row, org, vk_id, screen))
    orgs = sorted({org for _, org, _, _ in rows} | ({default} if default and "org" not in table.columns else set()))
    return rows, orgs


def vk_ref(row: DataRow, problems: list[Problem]) -> tuple[int | None, str | None]:
    """The row's VK id or screen name (a bad cell is a problem)."""
    if "vk" not in row.values:
        return None, None
    try:
        return cells.vk_ref(row.values.get("vk"))
    except cells.BadValue as exc:
        problems.append(Problem(row=row.row_no, reason=f"столбец «VK»: {exc}"))
        return None, None


@dataclass
class RosterPlan:
    """A roster ready to write: entries, people it protects, people it marks as left."""

    scope: OrgScope
    orgs: list[str]
    rows: list[RosterRow]
    entries: list[RosterEntry]
    protected: list[Person]
    leaving: list[Person]
    changed: int
    problems: list[Problem]
    file_name: str
    imported_by: Identity | None
    rows_read: int
    sheet: str
    people: list[Person] = field(default_factory=list)
    preview: Preview = field(init=False)

    def __post_init__(self) -> None:
        names = sorted(p.full_name for p in self.leaving)
        by_id = {p.id: p for p in self.people}
        max_bound = sum(1 for e in self.entries if e.max_id is not None
                        and (e.person_id is None or by_id[e.person_id].max_id != e.max_id))
        self.preview = Preview(added=sum(1 for e in self.entries if e.person_id is None), changed=self.changed,
                               left=len(self.leaving), left_names=tuple(names[:MAX_LEFT_NAMES]),
                               max_bound=max_bound)

    async def apply(self, tx: ImportTx) -> RosterResult:
        """Write the roster and record the import."""
        totals = {"added": 0, "updated": 0, "left": 0}
        for org in self.orgs:
            # Ambiguous rows protect their candidates: nobody is marked as left on a guess.
            changes = await tx.apply_in([org], [e for e in self.entries if e.org_id == org],
                                        store_contacts=self.scope.contacts_stored(org),
                                        keep_ids={p.id for p in self.protected if p.org_id == org})
            totals["added"] += changes.added
            totals["updated"] += changes.updated
            totals["left"] += changes.left
        await record_in(tx, self.orgs, "roster", None, self.file_name, [(r, o) for r, o, _, _ in self.rows],
                        [(e.org_id, e) for e in self.entries], self.problems, self.imported_by)
        return RosterResult(org=self.orgs[0] if len(self.orgs) == 1 else None, rows_read=self.rows_read,
                            problems=sorted_problems(self.problems), orgs=self.orgs, sheet=self.sheet, **totals)


async def plan_roster_in(tx: ImportTx, scope: OrgScope, table: ParsedTable, rows: list[RosterRow], orgs: list[str],
                         problems: list[Problem], file_name: str, imported_by: Identity | None) -> RosterPlan:
    """The plan against the people stored now (inside the write transaction)."""
    await scope.sync_config_in(tx)
    people = await tx.people_in(orgs, include_left=True)
    row_problems = list(problems)
    entries, protected = match_roster(rows, people, row_problems)
    kept = {e.person_id for e in entries if e.person_id is not None} | {p.id for p in protected}
    leaving = [p for p in people if p.active and p.source != "config" and p.id not in kept]
    by_id = {p.id: p for p in people}
    changed = sum(1 for e in entries if e.person_id is not None and _differs(e, by_id[e.person_id]))
    return RosterPlan(scope=scope, orgs=orgs, rows=rows, entries=entries, protected=protected, leaving=leaving,
                      changed=changed, problems=row_problems, file_name=file_name, imported_by=imported_by,
                      rows_read=len(table.rows), sheet=table.sheet, people=people)


def _differs(entry: RosterEntry, person: Person) -> bool:
    """Whether writing the entry changes what a person sees of this person."""
    role_changes = person.source != "config" and entry.role is not person.role
    vk_changes = entry.vk_id is not None and entry.vk_id != person.vk_id
    vk_changes = vk_changes or (entry.max_id is not None and entry.max_id != person.max_id)
    return (not person.active or entry.full_name != person.full_name or role_changes or vk_changes
            or tuple(sorted(dict.fromkeys(entry.classes))) != tuple(sorted(person.classes)))


def match_roster(rows: Sequence[RosterRow], people: Sequence[Person],
                 problems: list[Problem]) -> tuple[list[RosterEntry], list[Person]]:
    """Match each roster row to an existing person (VK id, else name) or plan to add it."""
    by_vk = {(p.org_id, p.vk_id): p for p in people if p.vk_id is not None}
    by_max = {(p.org_id, p.max_id): p for p in people if p.max_id is not None}
    max_rows: dict[tuple[str, int], tuple[int, str]] = {}
    by_key: dict[tuple[str | None, str], list[Person]] = {}
    for p in people:
        by_key.setdefault((p.org_id, name_key(p.full_name)), []).append(p)
    entries: list[RosterEntry] = []
    protected: list[Person] = []
    taken: dict[int, int] = {}
    vk_rows: dict[tuple[str, int], int] = {}
    new_rows: dict[tuple[str, str], tuple[int, int | None]] = {}
    for row, org, vk_id, screen in rows:
        name = display_name(row.full_name)
        role = cells.role(row.values.get("role"))
        if role is None:
            role = Role.STAFF
            problems.append(Problem(row=row.row_no, reason=f"у «{name}» не указана должность — записан(а) как сотрудник"))
        if vk_id is not None and (org, vk_id) in vk_rows:
            problems.append(Problem(row=row.row_no, reason=(
                f"страница VK {vk_id} уже указана в строке {vk_rows[(org, vk_id)]} — строка пропущена")))
            continue
        max_id = max_ref(row, problems)
        person = by_vk.get((org, vk_id)) if vk_id is not None else None
        if person is None and max_id is not None:
            holder = by_max.get((org, max_id))
            if holder is not None and holder.source == "config":
                person = holder  # the config names this MAX account (a director, a deputy): the roster names them
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
            if person is not None and max_id is not None and person.max_id not in (None, max_id):
                person = None  # a namesake with another MAX account: a different person
            if person is None and vk_id is None and max_id is not None:
                # Nobody of this name: the MAX id finds a renamed person.
                person = by_max.get((org, max_id))
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
        if max_id is not None:
            max_id = _max_once(row.row_no, org, name, max_id, person, by_max, max_rows, problems)
        entries.append(RosterEntry(
            org_id=org, full_name=name, role=role, vk_id=vk_id, vk_screen_name=screen if vk_id is None else None,
            max_id=max_id,
            classes=tuple(split_classes(row.get_text("classes"))),
            phone=row.get_text("phone") or None, email=row.get_text("email") or None,
            person_id=person.id if person else None,
        ))
    return entries, protected


def max_ref(row: DataRow, problems: list[Problem]) -> int | None:
    """The row's MAX user id (a bad cell is a problem, the row is kept without it)."""
    if "max" not in row.values:
        return None
    try:
        return cells.max_id(row.values.get("max"))
    except cells.BadValue as exc:
        problems.append(Problem(row=row.row_no, reason=f"столбец «MAX»: {exc}"))
        return None


def _max_once(row_no: int, org: str, name: str, max_id: int, person: Person | None,
              by_max: dict[tuple[str | None, int], Person], max_rows: dict[tuple[str, int], tuple[int, str]],
              problems: list[Problem]) -> int | None:
    """A MAX account is bound to one person per school: a second binding is refused (the row is kept
    without it), whether the other person is earlier in the file or already bound in the bot."""
    earlier = max_rows.get((org, max_id))
    if earlier is not None:
        problems.append(Problem(row=row_no, reason=(
            f"ID MAX {max_id} уже указан в строке {earlier[0]} («{earlier[1]}») — у «{name}» MAX не привязан; "
            "у каждого сотрудника свой аккаунт MAX")))
        return None
    holder = by_max.get((org, max_id))
    if holder is not None and holder.active and (person is None or holder.id != person.id):
        problems.append(Problem(row=row_no, reason=(
            f"ID MAX {max_id} уже привязан к сотруднику «{holder.full_name}» — у «{name}» MAX не привязан; "
            f"если аккаунт сменил владельца, сначала уберите этот ID у «{holder.full_name}»")))
        return None
    max_rows[(org, max_id)] = (row_no, name)
    return max_id


def display_name(name: str) -> str:
    """«ИВАНОВА АННА» → «Иванова Анна»; names typed in mixed case stay as typed."""
    return name.title() if name.isupper() or name.islower() else name
