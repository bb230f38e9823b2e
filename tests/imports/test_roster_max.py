"""The roster's `max` column: MAX ids bound once per school, refusals named, the preview counts them."""

from __future__ import annotations

import pytest

from bot.imports.headers import field_for
from bot.imports.values import BadValue, max_id
from bot.services.imports import ImportService, Mode
from storage.db import Database
from storage.people import PeopleRepo
from tests.imports.tables import xlsx

HEADER = ["ФИО", "Должность", "VK", "ID MAX"]


def test_max_headers_are_recognised_and_not_taken_for_vk() -> None:
    """«ID MAX», «MAX», «Макс» name the max column; «ID» and «VK ID» still name VK."""
    assert [field_for(h) for h in ("ID MAX", "MAX", "Макс", "MAX ID")] == ["max"] * 4
    assert [field_for(h) for h in ("ID", "VK ID")] == ["vk", "vk"]


def test_max_ids_are_read_from_numbers_and_refused_otherwise() -> None:
    """123, «id123» and a spreadsheet's 123.0 are ids; a link or a word is a clear BadValue."""
    assert (max_id(7101), max_id("id7101"), max_id(7101.0), max_id(" ")) == (7101, 7101, 7101, None)
    with pytest.raises(BadValue, match="ID пользователя MAX"):
        max_id("https://max.ru/ivanova")


async def test_roster_binds_max_ids_and_matches_by_them(service: ImportService, db: Database) -> None:
    """MAX ids are stored; a later file finds a renamed person by their MAX id."""
    rows = [["Иванова Анна Петровна", "учитель", "", "7101"], ["Петров Игорь Сергеевич", "учитель", "502", ""]]
    result = await service.import_roster(xlsx([HEADER, *rows]), "staff.xlsx")
    assert (result.added, result.problems) == (2, [])
    [ivanova] = await PeopleRepo(db).by_max_id(7101)
    assert ivanova.full_name == "Иванова Анна Петровна"
    renamed = [["Иванова-Смирнова Анна Петровна", "учитель", "", "7101"], rows[1]]
    again = await service.import_roster(xlsx([HEADER, *renamed]), "staff.xlsx")
    assert (again.added, again.updated, again.left) == (0, 2, 0)
    [same] = await PeopleRepo(db).by_max_id(7101)
    assert same.id == ivanova.id and same.full_name == "Иванова-Смирнова Анна Петровна"


async def test_a_second_binding_of_one_max_id_is_refused(service: ImportService, db: Database) -> None:
    """The same MAX id twice in a file, or one already bound to someone else: refused with both names,
    the row kept without it."""
    rows = [["Иванова Анна Петровна", "учитель", "", "7101"], ["Петров Игорь Сергеевич", "учитель", "", "7101"]]
    result = await service.import_roster(xlsx([HEADER, *rows]), "staff.xlsx")
    [problem] = result.problems
    assert problem.row == 3 and "ID MAX 7101 уже указан в строке 2" in problem.reason
    assert "«Иванова Анна Петровна»" in problem.reason and "у «Петров Игорь Сергеевич» MAX не привязан" in problem.reason
    people = {p.full_name: p for p in await PeopleRepo(db).in_org("school1")}
    assert (people["Иванова Анна Петровна"].max_id, people["Петров Игорь Сергеевич"].max_id) == (7101, None)
    moved = [["Иванова Анна Петровна", "учитель", "", ""], ["Петров Игорь Сергеевич", "учитель", "", "7101"]]
    second = await service.import_roster(xlsx([HEADER, *moved]), "staff.xlsx")
    assert [p.reason for p in second.problems] == [
        "ID MAX 7101 уже привязан к сотруднику «Иванова Анна Петровна» — у «Петров Игорь Сергеевич» MAX не "
        "привязан; если аккаунт сменил владельца, сначала уберите этот ID у «Иванова Анна Петровна»"]
    assert [p.full_name for p in await PeopleRepo(db).by_max_id(7101)] == ["Иванова Анна Петровна"]


async def test_a_bad_max_cell_is_a_problem_and_the_person_is_kept(service: ImportService, db: Database) -> None:
    """A MAX cell that is not a number is named; the person is added without it."""
    result = await service.import_roster(xlsx([HEADER, ["Иванова Анна", "учитель", "", "ivanova"]]), "a.xlsx")
    assert result.added == 1 and "столбец «MAX»" in result.problems[0].reason


async def test_the_preview_counts_max_bindings(service: ImportService, db: Database) -> None:
    """A roster that waits for confirmation says how many people it binds to MAX (the JSON stays as fixed)."""
    first = [["Иванова Анна", "учитель", "", ""], ["Петров Игорь", "учитель", "", ""]]
    await service.import_roster(xlsx([HEADER, *first]), "a.xlsx")
    data = xlsx([HEADER, ["Иванова Анна", "учитель", "", "7101"]])
    outcome = await service.submit(data, "b.xlsx", kind="roster", mode=Mode.DRY_RUN)
    assert outcome.preview is not None and outcome.preview.max_bound == 1
    assert "Будут привязаны к MAX: 1 человек." in outcome.preview.lines()
    assert "max_bound" not in outcome.preview.as_json()
    assert await PeopleRepo(db).by_max_id(7101) == []


async def test_a_deputy_the_config_names_by_max_id_is_the_rosters_row(service: ImportService, db: Database) -> None:
    """A deputy known only by `deputy_max_ids` is matched by the row with that MAX id (named by it), not refused."""
    from bot.domain.models import CONFIG_NAMES, Role

    placeholder = await PeopleRepo(db).ensure_config_max_person("school1", 7002, Role.DEPUTY,
                                                                CONFIG_NAMES[Role.DEPUTY])
    rows = [["Белова Ирина Константиновна", "заместитель директора", "", "7002"]]
    result = await service.import_roster(xlsx([HEADER, *rows]), "staff.xlsx")
    assert (result.added, result.updated, result.problems) == (0, 1, [])
    [deputy] = await PeopleRepo(db).by_max_id(7002)
    assert deputy.id == placeholder.id and deputy.full_name == "Белова Ирина Константиновна"
