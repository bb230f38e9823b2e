"""Roster import on real SQLite: added, updated, left, config people, namesakes, contacts."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.domain.models import Role
from bot.imports.reader import ImportRefused
from bot.services.imports import ImportService
from storage.db import Database
from storage.imports import ImportsSql
from storage.people import PeopleRepo
from tests.imports.conftest import FixedClock, table_counts
from tests.imports.tables import ROSTER_HEADER, ROSTER_ROWS, csv_bytes, xlsx


async def test_first_import_adds_everyone(service: ImportService, db: Database) -> None:
    """Five rows → five people with roles, classes and VK ids from the links."""
    result = await service.import_roster(xlsx([ROSTER_HEADER, *ROSTER_ROWS]), "staff.xlsx")
    assert result.as_json() == {"org": "school1", "rows_read": 5, "added": 5, "updated": 0, "left": 0,
                                "problems": []}
    people = {p.full_name: p for p in await PeopleRepo(db).in_org("school1")}
    ivanova = people["Иванова Анна Петровна"]
    assert (ivanova.role, ivanova.vk_id, ivanova.classes) == (Role.TEACHER, 501, ("5А", "7Б"))
    assert people["Кузнецов Павел Андреевич"].role is Role.DEPUTY
    assert people["Смирнова Елена Ивановна"].role is Role.STAFF
    assert people["Семенова Ольга Викторовна"].classes == ("6В",)


async def test_reimport_updates_adds_and_marks_the_missing_as_left(service: ImportService, db: Database) -> None:
    """Matched by VK id or name → updated; new → added; missing → left (history kept)."""
    await service.import_roster(xlsx([ROSTER_HEADER, *ROSTER_ROWS]), "staff.xlsx")
    rows = [
        ["Иванова-Смирнова Анна Петровна", "учитель", "5А", "id501"],  # renamed, found by VK id
        ["ПЕТРОВ ИГОРЬ СЕРГЕЕВИЧ", "учитель", "9А", ""],               # found by name
        ["Новикова Дарья", "учитель", "", ""],                         # new
    ]
    result = await service.import_roster(csv_bytes([ROSTER_HEADER, *rows]), "staff.csv")
    assert (result.added, result.updated, result.left) == (1, 2, 3)
    active = {p.full_name: p for p in await PeopleRepo(db).in_org("school1")}
    assert set(active) >= {"Иванова-Смирнова Анна Петровна", "Петров Игорь Сергеевич", "Новикова Дарья"}
    assert active["Петров Игорь Сергеевич"].classes == ("9А",)
    everyone = await PeopleRepo(db).in_org("school1", active_only=False)
    assert sum(not p.active for p in everyone) == 3


async def test_config_people_are_never_marked_as_left(service: ImportService, db: Database) -> None:
    """The director and deputy from the config stay active and keep their roles."""
    await service.import_roster(xlsx([ROSTER_HEADER, ["Директорова Нина", "учитель", "", "1001"]]), "a.xlsx")
    result = await service.import_roster(xlsx([ROSTER_HEADER, ["Новикова Дарья", "учитель", "", ""]]), "b.xlsx")
    assert result.left == 0
    director = (await PeopleRepo(db).by_vk_id(1001))[0]
    assert (director.full_name, director.role, director.active) == ("Директорова Нина", Role.DIRECTOR, True)
    assert (await PeopleRepo(db).by_vk_id(1002))[0].active


async def test_screen_names_without_a_token_are_problems(service: ImportService, db: Database) -> None:
    """vk.com/ivanova_a cannot be checked without a token: added without VK, listed as a problem."""
    rows = [["Иванова Анна", "учитель", "", "https://vk.com/ivanova_a"]]
    result = await service.import_roster(xlsx([ROSTER_HEADER, *rows]), "a.xlsx")
    assert result.added == 1
    assert result.problems[0].row == 2 and "vk.com/ivanova_a" in result.problems[0].reason


async def test_screen_names_with_a_resolver(db: Database, settings: Settings) -> None:
    """With a resolver the screen name becomes the VK id."""
    async def resolve(name: str) -> int | None:
        return 777 if name == "ivanova_a" else None

    svc = ImportService(ImportsSql(db), settings, clock=FixedClock(), resolve_screen_name=resolve)
    await svc.prepare()
    result = await svc.import_roster(xlsx([ROSTER_HEADER, ["Иванова Анна", "учитель", "", "vk.com/ivanova_a"]]), "a")
    assert result.problems == []
    assert (await PeopleRepo(db).by_vk_id(777))[0].full_name == "Иванова Анна"


async def test_namesakes_are_not_guessed(service: ImportService, db: Database) -> None:
    """Two existing namesakes and a row without VK: reported, and neither namesake is marked as left."""
    repo = PeopleRepo(db)
    await repo.add("school1", "Сидоров Пётр", Role.TEACHER)
    await repo.add("school1", "Сидоров Пётр", Role.TEACHER, vk_id=900)
    result = await service.import_roster(xlsx([ROSTER_HEADER, ["Сидоров Пётр", "учитель", "", ""]]), "a.xlsx")
    assert (result.added, result.updated, result.left) == (0, 0, 0)
    assert "подходит к двум сотрудникам" in result.problems[0].reason
    assert len(await repo.in_org("school1")) == 4  # two namesakes + director + deputy


async def test_duplicate_rows_in_the_file(service: ImportService) -> None:
    """The same person or the same VK page twice: the later row is reported and skipped."""
    rows = [["Иванова Анна", "учитель", "", "501"], ["Петров Игорь", "учитель", "", "501"],
            ["Иванова Анна", "учитель", "", ""], ["Кузнецов", "", "", ""], ["Кузнецов", "", "", ""]]
    result = await service.import_roster(xlsx([ROSTER_HEADER, *rows]), "a.xlsx")
    assert result.added == 2
    assert [p.row for p in result.problems] == [3, 4, 5, 6, 6]


async def test_contacts_are_stored_only_when_the_school_allows(db: Database, settings: Settings) -> None:
    """Phones and e-mails are dropped unless store_contacts is on."""
    header = ["ФИО", "Должность", "Телефон", "E-mail"]
    data = xlsx([header, ["Иванова Анна", "учитель", "+7 900 000-00-00", "a@b.ru"]])
    for store, expected in ((False, None), (True, "+7 900 000-00-00")):
        school = settings.schools[0].model_copy(update={"store_contacts": store})
        svc = ImportService(ImportsSql(db), settings.model_copy(update={"schools": [school]}), clock=FixedClock())
        await svc.prepare()
        await svc.import_roster(data, "a.xlsx")
        async with db.read() as conn, conn.execute("SELECT phone FROM people WHERE full_name = 'Иванова Анна'") as cur:
            row = await cur.fetchone()
        assert row is not None and row[0] == expected


@pytest.mark.parametrize(("rows", "reason"), [
    ([["ФИО", "Класс"], ["Иванова", "5А"]], "нет столбца с должностью"),
    ([["ФИО", "Класс", "Звонков"], ["Иванова", "5А", 1]], "похоже на еженедельную статистику"),
    ([["Должность", "Телефон"], ["учитель", "1"]], "заголовками"),
])
async def test_roster_refusals_change_nothing(service: ImportService, db: Database,
                                             rows: list[list[object]], reason: str) -> None:
    """No role column, or no name column: refused and nothing stored."""
    before = await table_counts(db)
    with pytest.raises(ImportRefused, match=reason):
        await service.import_roster(xlsx(rows), "a.xlsx")
    assert await table_counts(db) == before


async def test_roster_with_an_org_column_covers_only_its_schools(db: Database, two_schools: Settings) -> None:
    """People of a school the file does not mention are not marked as left."""
    svc = ImportService(ImportsSql(db), two_schools, clock=FixedClock())
    await svc.prepare()
    await PeopleRepo(db).add("school2", "Учитель Второй Школы", Role.TEACHER)
    await PeopleRepo(db).add("school1", "Ушедшая Из Первой", Role.TEACHER)
    data = xlsx([["ОО", *ROSTER_HEADER], ["school1", "Иванова Анна", "учитель", "", ""]])
    result = await svc.import_roster(data, "a.xlsx")
    assert (result.org, result.added, result.left) == ("school1", 1, 1)
    assert [p.full_name for p in await PeopleRepo(db).in_org("school2")] == ["Учитель Второй Школы"]
