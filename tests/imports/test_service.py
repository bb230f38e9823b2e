"""The import use cases on real SQLite: statistics, re-imports, refusals, kept-aside rows."""

from __future__ import annotations

import contextlib
import datetime as dt
import weakref
from collections.abc import Iterator

import pytest

from bot.config import Settings
from bot.domain.models import Period, Person, Role
from bot.imports.matching import RosterIndex
from bot.imports.reader import ImportRefused
from bot.messaging.events import Identity, Messenger
from bot.services.imports import ImportService
from bot.services.imports import service as service_module
from storage.db import Database
from storage.imports import ImportsSql
from storage.people import PeopleRepo
from storage.stats import StatsRepo
from tests.imports.conftest import FixedClock, table_counts
from tests.imports.tables import ORG_HEADER, ORG_ROWS, TITLE, csv_bytes, ods, xlsx

WEEK = Period(start=dt.date(2026, 11, 14), end=dt.date(2026, 11, 20))
HEADER = ["ФИО", "Сообщений в групповых чатах", "Звонков", "Связал(а) аккаунт ЭЖД", "Зарегистрирован(а)"]


def _stats_file(*rows: list[object], title: str | None = TITLE) -> bytes:
    return xlsx(([[title], []] if title else []) + [HEADER, *rows])


async def test_per_person_import_stores_figures_against_people(
        service: ImportService, staff: dict[str, Person], db: Database) -> None:
    """Rows that match one person are stored with parsed numbers and yes/no."""
    data = _stats_file(["ИВАНОВА АННА ПЕТРОВНА", "12 ", 1, "да", "+"], ["Семенова О.В.", "2,0", None, "нет", 1],
                       ["Итого", 14, 1])
    result = await service.import_stats(data, "week.xlsx")
    assert (result.kind, result.rows_read, result.rows_imported, result.problems) == ("person", 2, 2, [])
    assert result.period == WEEK and result.period_source == "file"
    stats = {s.person_id: s for s in await StatsRepo(db).person_stats("school1", WEEK)}
    ivanova, semenova = stats[staff["ivanova"].id], stats[staff["semenova"].id]
    assert (ivanova.group_messages, ivanova.calls, ivanova.ejd_linked, ivanova.registered) == (12, 1, True, True)
    assert (semenova.group_messages, semenova.calls, semenova.ejd_linked) == (2, None, False)
    assert await StatsRepo(db).latest_period("school1") == WEEK


async def test_the_roster_index_is_let_go_before_the_collector_resumes(
        service: ImportService, staff: dict[str, Person], monkeypatch: pytest.MonkeyPatch) -> None:
    """The people indexed for matching are freed while the collector is still paused: resumed with them
    alive, it would walk tens of thousands of objects before the import returns."""
    indexes: list[weakref.ref[RosterIndex]] = []
    alive_at_resume: list[bool] = []
    build, paused = RosterIndex.build, service_module.collector_paused

    def tracked_build(people: object) -> RosterIndex:
        index = build(people)  # type: ignore[arg-type]
        indexes.append(weakref.ref(index))
        return index

    @contextlib.contextmanager
    def watched() -> Iterator[None]:
        with paused():
            yield
            alive_at_resume.append(any(ref() is not None for ref in indexes))

    monkeypatch.setattr(RosterIndex, "build", tracked_build)
    monkeypatch.setattr(service_module, "collector_paused", watched)
    result = await service.import_stats(_stats_file(["Иванова Анна Петровна", 3, 1]), "week.xlsx")
    assert result.rows_imported == 1 and indexes
    assert alive_at_resume == [False]


async def test_ambiguous_and_unknown_rows_are_kept_aside(
        service: ImportService, staff: dict[str, Person], db: Database) -> None:
    """«Сидоров П.» fits two people and «Петрова» nobody: both reported and kept, not counted."""
    data = _stats_file(["Иванова А.П.", 5, 0], ["Сидоров П.", 3, 1], ["Петрова Мария", 1, 0])
    result = await service.import_stats(data, "week.xlsx")
    assert (result.rows_read, result.rows_imported, result.pending) == (3, 1, 2)
    assert [(p.row, p.reason) for p in result.problems] == [
        (5, "«Сидоров П.» подходит к двум сотрудникам: Сидоров Пётр Ильич, Сидоров Павел Андреевич"),
        (6, "«Петрова Мария» нет в списке сотрудников"),
    ]
    pending = await service.pending("school1")
    assert [(p.row_no, len(p.candidates)) for p in pending] == [(5, 2), (6, 0)]
    assert pending[0].data == {"group_messages": 3, "calls": 1, "ejd_linked": False, "registered": False}


async def test_resolving_a_kept_aside_row(service: ImportService, staff: dict[str, Person], db: Database) -> None:
    """The deputy picks a candidate: the row's figures are stored for that person; skipping stores nothing."""
    await service.import_stats(_stats_file(["Сидоров П.", 3, 1], ["Петрова Мария", 1, 0]), "w.xlsx")
    ambiguous, unknown = await service.pending("school1")
    with pytest.raises(ImportRefused, match="нет среди подходящих"):
        await service.resolve_pending(ambiguous.id, staff["ivanova"].id)
    await service.resolve_pending(ambiguous.id, staff["sid_pavel"].id, actor=Identity(messenger=Messenger.VK, external_id=1002))
    await service.resolve_pending(unknown.id, None)
    stats = await StatsRepo(db).person_stats("school1", WEEK)
    assert [(s.person_id, s.group_messages) for s in stats] == [(staff["sid_pavel"].id, 3)]
    assert await service.pending("school1") == []
    with pytest.raises(ImportRefused, match="уже разобрана"):
        await service.resolve_pending(ambiguous.id, staff["sid_petr"].id)
    assert (await StatsRepo(db).imports("school1"))[0].rows_imported == 1


async def test_reimporting_a_period_replaces_it_and_says_so(
        service: ImportService, staff: dict[str, Person], db: Database) -> None:
    """The same period again replaces the old figures and old kept-aside rows."""
    first = await service.import_stats(_stats_file(["Иванова А.П.", 1], ["Петров И.С.", 1], ["Никто Н.", 0]), "a.xlsx")
    second = await service.import_stats(_stats_file(["Иванова А.П.", 7]), "b.xlsx")
    assert (first.replaced, second.replaced) == (False, True)
    stats = await StatsRepo(db).person_stats("school1", WEEK)
    assert [(s.person_id, s.group_messages) for s in stats] == [(staff["ivanova"].id, 7)]
    assert await service.pending("school1") == []
    other = await service.import_stats(_stats_file(["Иванова А.П.", 2]), "c.xlsx", period=WEEK.previous())
    assert other.replaced is False
    assert len(await StatsRepo(db).person_stats("school1", WEEK)) == 1


async def test_period_argument_title_file_name_and_default(service: ImportService, staff: dict[str, Person]) -> None:
    """Explicit period > title > file name > the last completed period in the school's timezone."""
    explicit = Period.parse("2026-10-31..2026-11-06")
    assert (await service.import_stats(_stats_file(["Иванова А.П.", 1]), "x.xlsx", period=explicit)).period == explicit
    named = await service.import_stats(_stats_file(["Иванова А.П.", 1], title=None), "стат 07.11.2026-13.11.2026.xlsx")
    assert (named.period, named.period_source) == (WEEK.previous(), "file")
    default = await service.import_stats(_stats_file(["Иванова А.П.", 1], title=None), "x.xlsx")
    assert (default.period, default.period_source) == (WEEK, "default")


async def test_friday_evening_counts_today(db: Database, settings: Settings, staff: dict[str, Person]) -> None:
    """On a Friday after 17:00 (school time) the default period ends today."""
    friday = dt.datetime(2026, 11, 27, 15, 0, tzinfo=dt.UTC)  # 18:00 in Moscow
    svc = ImportService(ImportsSql(db), settings, clock=FixedClock(friday))
    result = await svc.import_stats(_stats_file(["Иванова А.П.", 1], title=None), "x.csv")
    assert result.period == WEEK.next()


async def test_vk_column_wins(service: ImportService, staff: dict[str, Person], db: Database) -> None:
    """A VK id picks the person even when the name is written differently."""
    data = xlsx([["ФИО", "VK ID", "Сообщений"], ["Ивонова Аня", "vk.com/id501", 2]])
    result = await service.import_stats(data, "x.xlsx")
    assert result.rows_imported == 1 and result.problems == []


async def test_missing_messages_column_is_reported(service: ImportService, staff: dict[str, Person]) -> None:
    """Calls without a messages column import, and the missing column is named with what was found."""
    data = xlsx([["ФИО", "Звонков"], ["Иванова А.П.", 2]])
    result = await service.import_stats(data, "x.xlsx")
    assert result.rows_imported == 1
    assert result.problems[0].row == 1
    assert result.problems[0].reason == "нет столбца с числом сообщений; найдены столбцы: ФИО, Звонков"


async def test_bad_cells_are_reported_with_their_row(service: ImportService, staff: dict[str, Person]) -> None:
    """«много» in the calls column is a problem on its row; the rest of the row is stored."""
    result = await service.import_stats(_stats_file(["Иванова А.П.", 3, "много"]), "x.xlsx")
    assert result.rows_imported == 1
    assert [(p.row, p.reason) for p in result.problems] == [(4, "столбец «Звонков»: не число: «много»")]


@pytest.mark.parametrize("data", [
    b"", b"%PDF-1.4", xlsx([["ФИО", "Должность"], ["Иванова", "учитель"]]),
    xlsx([["Примечание"], ["x"]]), csv_bytes([["ФИО", "Звонков"]]),
])
async def test_refused_files_change_nothing(service: ImportService, staff: dict[str, Person],
                                           db: Database, data: bytes) -> None:
    """Empty, not a table, a roster, no header, no data: refused, and no table changes."""
    before = await table_counts(db)
    with pytest.raises(ImportRefused):
        await service.import_stats(data, "x.xlsx")
    assert await table_counts(db) == before


async def test_refused_when_too_large_or_too_long(db: Database, settings: Settings, staff: dict[str, Person]) -> None:
    """The configured size and row limits refuse a file and store nothing."""
    small = settings.model_copy(update={"imports": settings.imports.model_copy(update={"max_rows": 2,
                                                                                      "max_file_mb": 0.01})})
    svc = ImportService(ImportsSql(db), small, clock=FixedClock())
    before = await table_counts(db)
    with pytest.raises(ImportRefused, match="больше 2 строк"):
        await svc.import_stats(_stats_file(*[["Иванова А.П.", 1]] * 5), "x.xlsx")
    with pytest.raises(ImportRefused, match="слишком большой"):
        await svc.import_stats(csv_bytes([HEADER, *[["Иванова А.П.", 1]] * 2000]), "x.csv")
    assert await table_counts(db) == before


async def test_several_schools_need_an_org(db: Database, two_schools: Settings) -> None:
    """With two schools, no --org and no org column, the import is refused; --org or the column fixes it."""
    svc = ImportService(ImportsSql(db), two_schools, clock=FixedClock())
    await svc.prepare()
    await PeopleRepo(db).add("school2", "Иванова Анна Петровна", Role.TEACHER)
    await PeopleRepo(db).add("school1", "Петров Игорь Сергеевич", Role.TEACHER)
    with pytest.raises(ImportRefused, match="несколько школ"):
        await svc.import_stats(_stats_file(["Иванова А.П.", 1]), "x.xlsx")
    with pytest.raises(ImportRefused, match="школы «nope» нет"):
        await svc.import_stats(_stats_file(["Иванова А.П.", 1]), "x.xlsx", org_id="nope")
    result = await svc.import_stats(_stats_file(["Иванова А.П.", 1]), "x.xlsx", org_id="school2")
    assert result.orgs == ["school2"]
    data = xlsx([["Школа", "ФИО", "Звонков"], ["МБОУ «СОШ № 2»", "Иванова А.П.", 1], ["0500000001", "Петров", 1],
                 ["Лицей № 9", "Сидоров", 1]])
    result = await svc.import_stats(data, "x.xlsx")
    assert result.orgs == ["school1", "school2"]
    assert [(p.row, p.reason) for p in result.problems if "Лицей" in p.reason] == [
        (4, "школы «Лицей № 9» нет в настройках бота — строка пропущена")]


async def test_per_organization_import(db: Database, two_schools: Settings) -> None:
    """The district table: the school found by INN is stored, the others are reported."""
    svc = ImportService(ImportsSql(db), two_schools, clock=FixedClock())
    await svc.prepare()
    result = await svc.import_stats(ods([[TITLE], ORG_HEADER, *ORG_ROWS]), "district.ods")
    assert (result.kind, result.rows_read, result.rows_imported) == ("organization", 2, 1)
    assert [p.row for p in result.problems] == [4]
    stats = await StatsRepo(db).org_stats("school1", WEEK)
    assert stats is not None
    assert (stats.teachers_3plus, stats.teachers_10plus, stats.students_ejd, stats.status) == (25, 10, 400, "active")
    again = await svc.import_stats(ods([[TITLE], ORG_HEADER, *ORG_ROWS]), "district.ods")
    assert again.replaced is True


async def test_screen_names_are_resolved_when_a_resolver_is_given(
        db: Database, settings: Settings, staff: dict[str, Person]) -> None:
    """With a resolver (a token), vk.com/ivanova_a becomes id 501 and picks the person."""
    async def resolve(screen_name: str) -> int | None:
        return {"ivanova_a": 501}.get(screen_name)

    svc = ImportService(ImportsSql(db), settings, clock=FixedClock(), resolve_screen_name=resolve)
    data = xlsx([["ФИО", "Ссылка на профиль", "Сообщений"], ["Ивонова", "https://vk.com/ivanova_a", 1]])
    assert (await svc.import_stats(data, "x.xlsx")).rows_imported == 1


async def test_a_person_twice_in_one_file(service: ImportService, staff: dict[str, Person]) -> None:
    """The second row naming the same person is reported, the first one counts."""
    result = await service.import_stats(_stats_file(["Иванова А.П.", 1], ["Иванова Анна Петровна", 2]), "x.xlsx")
    assert result.rows_imported == 1
    assert result.problems[0].reason.endswith("уже есть в строке 4 — эта строка пропущена")


async def test_import_file_tells_the_kind_from_the_headers(service: ImportService, staff: dict[str, Person],
                                                           db: Database) -> None:
    """A roster goes to the roster, a weekly table to the statistics, a puzzle is refused unchanged."""
    from bot.imports.report import RosterResult, StatsResult
    from tests.imports.tables import ROSTER_HEADER, ROSTER_ROWS

    roster = await service.import_file(xlsx([ROSTER_HEADER, *ROSTER_ROWS]), "staff.xlsx")
    assert isinstance(roster, RosterResult) and roster.rows_read == 5
    stats = await service.import_file(_stats_file(["Иванова А.П.", 4]), "w.xlsx")
    assert isinstance(stats, StatsResult) and stats.kind == "person"
    before = await table_counts(db)
    with pytest.raises(ImportRefused, match="не понял.*найдены столбцы: ФИО, Телефон"):
        await service.import_file(xlsx([["ФИО", "Телефон"], ["Иванова", "x"]]), "x.xlsx")
    assert await table_counts(db) == before
    forced = await service.import_file(_stats_file(["Иванова А.П.", 4]), "w.xlsx", kind="stats")
    assert isinstance(forced, StatsResult) and forced.replaced


async def test_a_deputy_imports_only_their_school(db: Database, two_schools: Settings) -> None:
    """With only_org, rows of another configured school are reported and skipped."""
    svc = ImportService(ImportsSql(db), two_schools, clock=FixedClock())
    await svc.prepare()
    await PeopleRepo(db).add("school1", "Иванова Анна Петровна", Role.TEACHER)
    data = xlsx([["Школа", "ФИО", "Звонков"], ["school1", "Иванова А.П.", 1], ["school2", "Петров", 1]])
    result = await svc.import_stats(data, "x.xlsx", only_org="school1")
    assert result.orgs == ["school1"]
    assert [p.row for p in result.problems if "другой школы" in p.reason] == [3]
    district = await svc.import_stats(ods([ORG_HEADER, ["Город", "МБОУ СОШ № 2", "0500000002", 1]]), "d.ods",
                                      only_org="school1")
    assert district.rows_imported == 0 and "другой школы" in district.problems[0].reason


async def test_a_resolved_name_is_remembered_for_next_week(service: ImportService, staff: dict[str, Person],
                                                           db: Database) -> None:
    """Once the deputy says «Сидоров П.» is Павел, next week's «Сидоров П.» goes to Павел with a note."""
    await service.import_stats(_stats_file(["Сидоров П.", 3]), "w.xlsx")
    [row] = await service.pending("school1")
    await service.resolve_pending(row.id, staff["sid_pavel"].id)
    result = await service.import_stats(_stats_file(["Сидоров П.", 8]), "w.xlsx", period=WEEK.previous())
    assert (result.rows_imported, result.remembered, result.problems) == (1, 1, [])
    [stored] = await StatsRepo(db).person_stats("school1", WEEK.previous())
    assert (stored.person_id, stored.group_messages) == (staff["sid_pavel"].id, 8)
    from bot.imports.report import render_stats

    assert "по вашим прежним ответам: 1" in render_stats(result)


def test_schools_are_found_by_id_inn_and_name_inside_an_official_name(two_schools: Settings) -> None:
    """«МБОУ «СОШ № 1 г. Энска»» is school1; «СОШ № 12» and «СОШ № 21» are nobody."""
    from bot.services.imports.orgs import OrgLookup

    lookup = OrgLookup.build(two_schools.schools)
    assert [lookup.find(v) for v in ("school2", "0500000001", "МБОУ  СОШ №2", "МБОУ «СОШ № 1 г. Энска»")] == [
        "school2", "school1", "school2", "school1"]
    assert [lookup.find(v) for v in ("МБОУ СОШ № 12", "МБОУ СОШ № 21", "Лицей", "", "0500000003")] == [None] * 5


async def test_the_only_school_under_another_name(service: ImportService, staff: dict[str, Person]) -> None:
    """One school configured, one unknown school named all through the file: the rows are ours, said once."""
    data = xlsx([["ОО", "ФИО", "Звонков"], ["МОУ Гимназия", "Иванова А.П.", 1], ["МОУ Гимназия", "Петров И.С.", 2]])
    result = await service.import_stats(data, "x.xlsx")
    assert result.rows_imported == 2
    assert [p.row for p in result.problems if "в настройках бота школа называется" in p.reason] == [1]
    mixed = xlsx([["ОО", "ФИО", "Звонков"], ["МОУ Гимназия", "Иванова А.П.", 1], ["Лицей", "Петров И.С.", 2]])
    assert (await service.import_stats(mixed, "x.xlsx")).rows_imported == 0
