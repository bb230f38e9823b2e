"""Parsing cell values: counts, yes/no, VK links, roles, statuses, formula-like text."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.models import Role
from bot.imports import values as v


@pytest.mark.parametrize(("cell", "expected"), [
    (12, 12), (12.0, 12), ("12 ", 12), ("12,0", 12), ("1 234", 1234), ("\xa07", 7), ("", None),
    (None, None), (True, 1),
])
def test_counts_come_as_numbers_or_text(cell: object, expected: int | None) -> None:
    """Numbers as numbers or as text («12 », «12,0») read the same."""
    assert v.count(cell) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("cell", ["abc", "1,5", -3, "1e99"])
def test_bad_counts_say_why(cell: object) -> None:
    """Text, fractions, negatives and absurd numbers are refused with a Russian reason."""
    with pytest.raises(v.BadValue, match="числ"):
        v.count(cell)  # type: ignore[arg-type]


@pytest.mark.parametrize("cell", ["да", "Да", "ДА", 1, 1.0, "1", "+", "true", "TRUE", "✓", "✔", True,
                                  "Зарегистрирован(а)", "Привязан", dt.date(2026, 11, 3), "03.11.2026 10:15",
                                  "2026-11-03"])
def test_yes(cell: object) -> None:
    """Every spelling of «yes» in the spec reads as yes."""
    assert v.yes_no(cell) is True  # type: ignore[arg-type]


@pytest.mark.parametrize("cell", ["нет", "Нет", 0, "0", "-", "−", "false", "", None, False,
                                  "Не зарегистрирован", "не привязан"])
def test_no_and_empty(cell: object) -> None:
    """Every spelling of «no», and an empty cell, reads as no."""
    assert v.yes_no(cell) is False  # type: ignore[arg-type]


def test_unclear_yes_no_is_a_problem() -> None:
    """«может быть» is neither yes nor no."""
    with pytest.raises(v.BadValue, match="да.*нет"):
        v.yes_no("может быть")


def test_created_chats_takes_counts_or_yes_no() -> None:
    """«Создал(а) групповой чат» may be a count or yes/no."""
    assert [v.count_or_yes_no(c) for c in (3, "да", "нет", "", "2")] == [3, 1, 0, 0, 2]


@pytest.mark.parametrize(("cell", "expected"), [
    (123, (123, None)), ("id123", (123, None)), ("vk.com/id123", (123, None)),
    ("https://vk.com/id123", (123, None)), ("https://m.vk.com/id123?from=x", (123, None)),
    ("https://vk.com/ivanova_a", (None, "ivanova_a")), ("@Ivanova_A", (None, "ivanova_a")),
    ("vk.ru/petrov.i", (None, "petrov.i")), ("", (None, None)),
])
def test_vk_references(cell: object, expected: tuple[int | None, str | None]) -> None:
    """Numeric ids and vk.com/idN need no token; screen names are returned for resolving."""
    assert v.vk_ref(cell) == expected  # type: ignore[arg-type]


def test_not_a_vk_reference() -> None:
    """A phone number in the VK column is reported, not guessed."""
    with pytest.raises(v.BadValue, match="ВКонтакте"):
        v.vk_ref("+7 900 000-00-00")


@pytest.mark.parametrize(("cell", "role"), [
    ("учитель", Role.TEACHER), ("Учитель математики", Role.TEACHER), ("педагог-психолог", Role.TEACHER),
    ("преподаватель-организатор ОБЖ", Role.TEACHER), ("воспитатель", Role.TEACHER),
    ("учитель, классный руководитель", Role.TEACHER),
    ("сотрудник", Role.STAFF), ("прочие", Role.STAFF), ("библиотекарь", Role.STAFF),
    ("заведующий библиотекой", Role.STAFF),
    ("заместитель директора", Role.DEPUTY), ("зам. директора по УВР", Role.DEPUTY),
    ("Ответственный за Сферум", Role.DEPUTY),
    ("директор", Role.DIRECTOR), ("руководитель", Role.DIRECTOR), ("заведующий", Role.DIRECTOR),
    ("", None),
])
def test_roles_from_positions(cell: str, role: Role | None) -> None:
    """Positions map to the four roles as roster.md lists them."""
    assert v.role(cell) is role


@pytest.mark.parametrize(("cell", "status"), [("Активен", "active"), ("Не активен", "inactive"),
                                               ("НЕАКТИВЕН", "inactive"), ("", None)])
def test_profile_status(cell: str, status: str | None) -> None:
    """«Активен» / «Не активен» become active / inactive."""
    assert v.status(cell) == status


def test_text_of_cells() -> None:
    """Whole floats lose «.0», dates read as DD.MM.YYYY, formula-like text stays as typed."""
    assert v.text(5.0) == "5"
    assert v.text(dt.date(2026, 11, 14)) == "14.11.2026"
    assert v.text("=HYPERLINK(\"x\")") == "=HYPERLINK(\"x\")"


@pytest.mark.parametrize("value", ["=1+1", "+7900", "-x", "@cmd"])
def test_formula_like_text_is_written_back_safely(value: str) -> None:
    """Text that a spreadsheet would run is prefixed with an apostrophe."""
    assert v.safe_for_sheet(value) == "'" + value
    assert v.safe_for_sheet("Иванова") == "Иванова"
