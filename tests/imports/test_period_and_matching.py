"""Period detection and matching names to the roster."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.models import Period, Person, Role
from bot.domain.names import name_key
from bot.imports.matching import Match, RosterIndex
from bot.imports.period import find_period
from bot.stores.imports import PersonRef

P = Period(start=dt.date(2023, 4, 15), end=dt.date(2023, 4, 21))


@pytest.mark.parametrize("text", [
    "Мониторинг использования ИКОП «Сферум» за период с 15.04.2023 по 21.04.2023",
    "15.04.2023-21.04.2023", "статистика 15.04.2023 – 21.04.2023.xlsx", "с 15/04/23 по 21/04/23",
    "2023-04-15..2023-04-21", "отчёт_15042023-21042023.xlsx",
])
def test_period_from_title_or_file_name(text: str) -> None:
    """Date ranges are found in the title and in the file name."""
    assert find_period([text]) == P


@pytest.mark.parametrize("text", ["Мониторинг", "с 21.04.2023 по 15.04.2023", "31.02.2023-01.03.2023",
                                  "01.01.2023-01.06.2023"])
def test_no_period(text: str) -> None:
    """No range, a reversed range, an impossible date or a half-year span give nothing."""
    assert find_period([text]) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("Мониторинг за 15.04 - 21.04", P),
    ("с 27.12 по 02.01", Period(start=dt.date(2022, 12, 27), end=dt.date(2023, 1, 2))),
    ("отчёт 01.05-07.05", Period(start=dt.date(2022, 5, 1), end=dt.date(2022, 5, 7))),
])
def test_period_without_a_year(text: str, expected: Period) -> None:
    """«с 15.04 по 21.04» is the latest such range that has begun (a range ahead is last year's)."""
    assert find_period([text], today=dt.date(2023, 4, 25)) == expected
    assert find_period([text]) is None


def _people() -> list[Person]:
    names = ["Иванова Анна Петровна", "Семёнова Ольга Викторовна", "Сидоров Пётр Ильич",
             "Сидоров Павел Андреевич", "Кузнецов Павел"]
    return [Person(id=i, org_id="s", full_name=n, role=Role.TEACHER, vk_id=500 + i if i == 1 else None)
            for i, n in enumerate(names, start=1)] + [
        Person(id=9, org_id="s", full_name="Уволенная Анна", role=Role.TEACHER, active=False)]


@pytest.mark.parametrize("name", ["Иванова Анна Петровна", "ИВАНОВА АННА ПЕТРОВНА", "Иванова А. П.",
                                  "Иванова А.П.", "иванова  анна", "Иванова"])
def test_names_as_they_come_match_one_person(name: str) -> None:
    """Full, uppercase and initial forms of a name match the one roster person."""
    assert RosterIndex.build(_people()).match("s", name).person is not None


def test_ye_for_yo() -> None:
    """«Семенова» finds «Семёнова»."""
    match = RosterIndex.build(_people()).match("s", "Семенова О.В.")
    assert match.person is not None and match.person.id == 2


def test_ambiguous_initials_list_the_candidates() -> None:
    """«Сидоров П.» fits two people: no guess, both listed in the reason."""
    match = RosterIndex.build(_people()).match("s", "Сидоров П.")
    assert match.person is None
    assert {p.id for p in match.candidates} == {3, 4}
    assert match.reason == ("«Сидоров П.» подходит к двум сотрудникам: Сидоров Пётр Ильич, "
                            "Сидоров Павел Андреевич")


def test_unknown_name_and_people_who_left() -> None:
    """A stranger and a person who left match nobody."""
    index = RosterIndex.build(_people())
    assert index.match("s", "Петров И.").reason == "«Петров И.» нет в списке сотрудников"
    assert index.match("s", "Уволенная Анна").person is None
    assert index.match("other", "Иванова А.П.").person is None


def test_vk_id_wins_over_the_name() -> None:
    """A VK id in the row picks the person even when the name is misspelt."""
    match = RosterIndex.build(_people()).match("s", "Ивонова", vk_id=501)
    assert match.person is not None and match.person.id == 1


def test_quick_finds_a_name_as_written_only_when_it_is_one_persons() -> None:
    """`quick` finds a name written as in the roster by its text alone, but never one of two people
    with the same name (nor a person of another school or who left): those go on to `match`."""
    twins = [Person(id=20, org_id="s", full_name="Орлова Анна Павловна", role=Role.TEACHER),
             Person(id=21, org_id="s", full_name="Орлова Анна Павловна", role=Role.TEACHER)]
    index = RosterIndex.build([*_people(), *twins])
    found = index.quick("s", "Иванова Анна Петровна")
    assert found is not None and found.id == 1
    assert index.quick("s", "Орлова Анна Павловна") is None
    assert {p.id for p in index.match("s", "Орлова Анна Павловна").candidates} == {20, 21}
    assert index.quick("other", "Иванова Анна Петровна") is None
    assert index.quick("s", "Уволенная Анна") is None
    found = index.quick("s", "ИВАНОВА АННА ПЕТРОВНА")  # not as written: found by its key
    assert found is not None and found.id == 1


def test_quick_tells_apart_namesakes_of_two_schools() -> None:
    """The same full name in two schools: each school's row finds its own person."""
    people = [Person(id=30, org_id="a", full_name="Зайцева Мария Ильинична", role=Role.TEACHER),
              Person(id=31, org_id="b", full_name="Зайцева Мария Ильинична", role=Role.TEACHER)]
    index = RosterIndex.build(people)
    found_a, found_b = index.quick("a", "Зайцева Мария Ильинична"), index.quick("b", "Зайцева Мария Ильинична")
    assert found_a is not None and found_a.id == 30
    assert found_b is not None and found_b.id == 31


@pytest.mark.parametrize("stored_keys", [False, True])
@pytest.mark.parametrize(("name", "vk_id"), [
    ("Иванова Анна Петровна", None), ("ИВАНОВА АННА ПЕТРОВНА", None), ("Иванова А. П.", None),
    ("Семенова О.В.", None), ("Сидоров П.", None), ("Сидоров Павел", None), ("Петров И.", None),
    ("Ивонова", 501), ("", None), ("Уволенная Анна", None)])
def test_find_gives_quicks_person_else_matchs_match(name: str, vk_id: int | None, stored_keys: bool) -> None:
    """`find` normalizes a name once for both: the person `quick` finds, else the Match `match` gives;
    with the people's stored keys (PersonRef.key) initials are matched the same as from their names."""
    people = _people()
    refs = [PersonRef(p.id, p.org_id, p.full_name, p.vk_id, p.active, name_key(p.full_name) if stored_keys else "")
            for p in people]
    index = RosterIndex.build(refs)
    said, match = index.find("s", name, vk_id), index.match("s", name, vk_id)
    if isinstance(said, Match):
        assert index.quick("s", name, vk_id) is None and said == match
    else:
        assert said == index.quick("s", name, vk_id) or said == match.person
        assert match.person == said
    expected = {"Иванова": 1, "ИВАНОВА": 1, "Семенова": 2, "Ивонова": 1}.get(name.split(" ")[0])
    if name == "Сидоров Павел":
        expected = 4
    assert (match.person.id if match.person is not None else None) == expected
