"""Which school a file and each of its rows belong to, by the config's schools."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.config import SchoolConfig, Settings
from bot.domain.models import CONFIG_NAMES, Organization, Role
from bot.domain.russian import count
from bot.imports.headers import norm_header
from bot.imports.reader import ImportRefused
from bot.imports.report import Problem
from bot.imports.table import DataRow, ParsedTable
from bot.stores.imports import ImportTx

OTHER_SCHOOL = "строка другой школы («{raw}») — пропущена: её данные загружает её заместитель"
# A region has hundreds of schools: a message names this many ids and counts the rest.
IDS_SHOWN = 10


def ids_text(ids: Sequence[str]) -> str:
    """«a, b, c» — or the first IDS_SHOWN ids and «и ещё N» for a region's long list."""
    if len(ids) <= IDS_SHOWN:
        return ", ".join(ids)
    return ", ".join(ids[:IDS_SHOWN]) + f" и ещё {len(ids) - IDS_SHOWN}"


@dataclass
class OrgLookup:
    """Config schools by id, normalized name and INN."""

    keys: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, schools: Sequence[SchoolConfig]) -> OrgLookup:
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


class OrgScope:
    """The config's schools as an import sees them: defaults, per-row schools, config people."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.lookup = OrgLookup.build(settings.schools)

    async def sync_config_in(self, tx: ImportTx) -> None:
        """Organizations from the config, and the people it names (they are never marked as left)."""
        schools = self._settings.schools
        orgs = [Organization(id=s.id, name=s.name, timezone=s.timezone, inn=s.inn) for s in schools]
        people: list[tuple[str | None, int, Role, str]] = []
        for school in schools:
            if school.director_vk_id:
                people.append((school.id, school.director_vk_id, Role.DIRECTOR, CONFIG_NAMES[Role.DIRECTOR]))
            people.extend((school.id, vk_id, Role.DEPUTY, CONFIG_NAMES[Role.DEPUTY]) for vk_id in school.deputy_vk_ids)
        await tx.sync_config_in(orgs, people)

    def default_org(self, org_id: str | None) -> str | None:
        """The school an import is for: the one named, else the only one in the config."""
        if org_id is not None:
            ids = [s.id for s in self._settings.schools]
            if org_id not in ids:
                raise ImportRefused(f"школы «{org_id}» нет в настройках; есть: {ids_text(ids)}")
            return org_id
        if len(self._settings.schools) == 1:
            return self._settings.schools[0].id
        return None

    def school(self, org_id: str | None) -> SchoolConfig:
        """The config of the school (the first one when unknown)."""
        for school in self._settings.schools:
            if school.id == org_id:
                return school
        return self._settings.schools[0]

    def contacts_stored(self, org_id: str) -> bool:
        """Whether the school keeps phones and e-mails."""
        return any(s.id == org_id and s.store_contacts for s in self._settings.schools)

    def assumes_school(self, table: ParsedTable) -> bool:
        """Whether `assumed_school` looks at every row of the table (one school in the config, and a
        column of schools in the table)."""
        return len(self._settings.schools) == 1 and bool({"org", "inn"} & set(table.columns))

    def assumed_school(self, table: ParsedTable, problems: list[Problem]) -> str | None:
        """With one school in the config and one unknown school named all through the file,
        the file is that school's: said once, not refused row by row."""
        if not self.assumes_school(table):
            return None
        named = {row.get_text("org") or row.get_text("inn") for row in table.rows} - {""}
        if len(named) != 1:
            return None
        raw = named.pop()
        if self.lookup.find(raw) is not None:
            return None
        school = self._settings.schools[0]
        problems.append(Problem(row=table.header_row, reason=(
            f"в столбце школы указано «{raw}», а в настройках бота школа называется «{school.name}»: "
            "строки засчитаны ей; чтобы это сообщение не появлялось, впишите в настройки её название или ИНН")))
        return school.id

    def row_org(self, row: DataRow, default: str | None, problems: list[Problem],
                only: str | None = None, assumed: str | None = None) -> str | None:
        """The school of one row (None: skipped, with the reason in `problems`)."""
        values = row.values
        named = "org" in values or "inn" in values
        org, reason = self.org_outcome(row.get_text("org") if named else "", row.get_text("inn") if named else "",
                                       default, only, assumed)
        if reason is not None:
            problems.append(Problem(row=row.row_no, reason=reason))
        return org

    def org_outcome(self, org_text: str, inn_text: str, default: str | None, only: str | None = None,
                    assumed: str | None = None) -> tuple[str | None, str | None]:
        """The school of a row whose school and INN cells read `org_text` and `inn_text` (both '' in a
        table without them), and the problem to report for it (None: none); the school is None
        when the row is skipped. The same cells give the same answer: a long table asks once per school."""
        raw = org_text or inn_text
        if raw:
            found = self.lookup.find(raw) or self.lookup.find(inn_text) or assumed
            if found is None:
                return None, f"школы «{raw}» нет в настройках бота — строка пропущена"
            if only is not None and found != only:
                return None, OTHER_SCHOOL.format(raw=raw)
            return found, None
        if default is None:
            return None, "не указана школа — строка пропущена"
        return default, None

    def require_org_source(self, table: ParsedTable, default: str | None) -> None:
        """With several schools, the file or the command must say which one."""
        if default is None and "org" not in table.columns and "inn" not in table.columns:
            ids = [s.id for s in self._settings.schools]
            if len(ids) <= IDS_SHOWN:
                raise ImportRefused(
                    f"в настройках несколько школ ({ids_text(ids)}): укажите школу (--org) "
                    "или добавьте в таблицу столбец «ОО»"
                )
            # A regional table: its rows go to their schools by the «ОО» or «ИНН» column.
            raise ImportRefused(
                f"в таблице нет столбца «ОО» или «ИНН», а в настройках {count(len(ids), 'школа')}: "
                "по этому столбцу бот разносит строки по школам. Добавьте его или укажите одну школу (--org)"
            )
