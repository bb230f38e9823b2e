"""Finding roster candidates for a typed name."""

from __future__ import annotations

from bot.domain.models import Person, Role
from bot.services.identity import find_candidates

ROSTER = [
    Person(id=1, org_id="s", full_name="Фёдорова Людмила Борисовна", role=Role.TEACHER),
    Person(id=2, org_id="s", full_name="Сидоров Пётр Ильич", role=Role.TEACHER),
    Person(id=3, org_id="s", full_name="Сидоров Павел Андреевич", role=Role.TEACHER),
]


def _ids(typed: str) -> list[int]:
    return [c.person.id for c in find_candidates(typed, ROSTER)]


def test_e_for_yo_and_case() -> None:
    """«федорова людмила борисовна» finds «Фёдорова Людмила Борисовна»."""
    assert _ids("федорова людмила борисовна") == [1]


def test_initials_can_be_ambiguous() -> None:
    """«Сидоров П.» offers both Sidorovs; «Сидоров П. И.» only one."""
    assert sorted(_ids("Сидоров П.")) == [2, 3]
    assert _ids("Сидоров П. И.") == [2]


def test_typo_is_tolerated_but_strangers_are_not() -> None:
    """One wrong letter still matches; an unrelated name or a too short text does not."""
    assert _ids("Федорова Людмила Борисоввна") == [1]
    assert _ids("Пупкин Василий Иванович") == []
    assert _ids("ab") == []
