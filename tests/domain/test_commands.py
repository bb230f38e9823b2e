"""Commands per role: the help message, typos read as commands, probable commands guessed."""

from __future__ import annotations

import pytest

from bot.domain.commands import commands_for, guess, help_text, near
from bot.domain.models import Role


@pytest.mark.parametrize(("typed", "expected"), [
    ("свотка", "сводка"), ("Сводка!", "сводка"), ("сводкa", "сводка"), ("рассылко", "рассылка"),
    ("перенос чатоы", "перенос чатов"), ("мой стаутс", "мой статус"), ("сводка", "сводка"),
    ("чат", None), ("сова", None), ("погода", None),
])
def test_near_reads_one_typo(typed: str, expected: str | None) -> None:
    """One letter off in a word of five or more (two in long phrases) is the command; short words must match."""
    words = ("сводка", "рассылка", "перенос чатов", "мой статус", "чаты")
    assert near(typed, words) == expected


@pytest.mark.parametrize(("typed", "role", "cmd"), [
    ("напомни всем", Role.DEPUTY, "broadcast"),
    ("напомнить всем учителям", Role.DEPUTY, "broadcast"),
    ("разослать", Role.DEPUTY, "broadcast"),
    ("сводочка", Role.DIRECTOR, "summary"),
    ("показатели", Role.DIRECTOR, "summary"),
    ("мои показатели", Role.TEACHER, "my_status"),
    ("напомни всем", Role.TEACHER, None),
    ("как войти в сферум через госуслуги и что делать дальше", Role.DEPUTY, None),
    ("пароль", Role.DEPUTY, None),
])
def test_guess_finds_the_probable_command_of_the_role(typed: str, role: Role, cmd: str | None) -> None:
    """A short text is matched among the role's commands only; long questions are not guessed."""
    found = guess(typed, role)
    assert (found.command.cmd if found else None) == cmd


@pytest.mark.parametrize("role", [Role.DEPUTY, Role.DIRECTOR, Role.TEACHER, Role.DISTRICT])
def test_help_lists_every_command_of_the_role_with_an_example(role: Role) -> None:
    """Each command of the role has a line with «Например»."""
    text = help_text(role)
    for command in commands_for(role):
        assert f"• {command.label} — " in text
    assert text.count("Например:") == len(commands_for(role))


def test_deputy_and_director_help_differ() -> None:
    """The deputy sees broadcasts and imports; the director does not."""
    assert "Рассылка" in help_text(Role.DEPUTY) and "Рассылка" not in help_text(Role.DIRECTOR)
    assert help_text(Role.DIRECTOR).startswith("Что я умею для директора:")
