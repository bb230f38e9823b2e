"""Russian agreement: numbers with nouns, names in cases, gender (tables of cases)."""

from __future__ import annotations

import pytest

from bot.domain.russian import (
    agree,
    by_gender,
    count,
    first_and_middle_in,
    gender_of,
    name_in,
    short_name_in,
)


@pytest.mark.parametrize(("n", "phrase", "expected"), [
    (0, "сообщение", "0 сообщений"),
    (1, "сообщение", "1 сообщение"),
    (2, "сообщение", "2 сообщения"),
    (3, "сообщение", "3 сообщения"),
    (5, "сообщение", "5 сообщений"),
    (11, "сообщение", "11 сообщений"),
    (12, "сообщение", "12 сообщений"),
    (21, "сообщение", "21 сообщение"),
    (22, "сообщение", "22 сообщения"),
    (101, "сообщение", "101 сообщение"),
    (111, "сообщение", "111 сообщений"),
    (1, "звонок", "1 звонок"),
    (3, "звонок", "3 звонка"),
    (11, "звонок", "11 звонков"),
    (21, "звонок", "21 звонок"),
    (5, "человек", "5 человек"),
    (2, "человек", "2 человека"),
    (1, "неподтверждённый чат", "1 неподтверждённый чат"),
    (3, "неподтверждённый чат", "3 неподтверждённых чата"),
    (7, "неподтверждённый чат", "7 неподтверждённых чатов"),
    (2, "день", "2 дня"),
    (14, "день", "14 дней"),
])
def test_count_agrees_with_the_number(n: int, phrase: str, expected: str) -> None:
    """A number and its noun (with adjectives) agree as in written Russian."""
    assert count(n, phrase) == expected


@pytest.mark.parametrize(("n", "phrase", "expected"), [
    (1, "сообщение", "1 сообщения"),
    (3, "сообщение", "3 сообщений"),
    (21, "сообщение", "21 сообщения"),
    (1, "звонок", "1 звонка"),
    (10, "звонок", "10 звонков"),
    (5, "человек", "5 человек"),
])
def test_count_in_the_genitive_after_comparisons(n: int, phrase: str, expected: str) -> None:
    """«меньше 1 сообщения», «меньше 3 сообщений»: the genitive after a comparison."""
    assert count(n, phrase, case="gent") == expected


def test_agree_keeps_a_capital_letter() -> None:
    """A capitalised first word stays capitalised."""
    assert agree(5, "Чат") == "Чатов"


@pytest.mark.parametrize(("full_name", "gender"), [
    ("Иванова Мария Петровна", "f"),
    ("Иванов Пётр Сергеевич", "m"),
    ("Шевченко Анна Ивановна", "f"),
    ("Ким Олег", "m"),
    ("Черных Зоя", "f"),
    ("Луговская", "f"),
    ("Достоевский", "m"),
    ("Ким", None),
    ("Алиев Рашид Ахмед оглы", "m"),
])
def test_gender_of(full_name: str, gender: str | None) -> None:
    """The gender from the patronymic, else the first name, else the surname; None when unsure."""
    assert gender_of(full_name) == gender


@pytest.mark.parametrize(("full_name", "case", "expected"), [
    ("Иванова Мария Петровна", "gent", "Ивановой Марии Петровны"),
    ("Иванова Мария Петровна", "datv", "Ивановой Марии Петровне"),
    ("Иванова Мария Петровна", "accs", "Иванову Марию Петровну"),
    ("Иванова Мария Петровна", "ablt", "Ивановой Марией Петровной"),
    ("Иванов Пётр Сергеевич", "gent", "Иванова Петра Сергеевича"),
    ("Иванов Пётр Сергеевич", "datv", "Иванову Петру Сергеевичу"),
    ("Иванов Пётр Сергеевич", "ablt", "Ивановым Петром Сергеевичем"),
    ("Шевченко Анна Ивановна", "datv", "Шевченко Анне Ивановне"),
    ("Шевченко Тарас Григорьевич", "gent", "Шевченко Тараса Григорьевича"),
    ("Ким Елена Юрьевна", "datv", "Ким Елене Юрьевне"),
    ("Ким Олег Петрович", "datv", "Киму Олегу Петровичу"),
    ("Гурвич Марк Львович", "ablt", "Гурвичем Марком Львовичем"),
    ("Гурвич Любовь Аркадьевна", "gent", "Гурвич Любови Аркадьевны"),
    ("Толстой Лев Николаевич", "gent", "Толстого Льва Николаевича"),
    ("Луговская Ирина Павловна", "accs", "Луговскую Ирину Павловну"),
    ("Достоевский Фёдор Михайлович", "datv", "Достоевскому Фёдору Михайловичу"),
    ("Черных Илья Ильич", "gent", "Черных Ильи Ильича"),
    # Common-gender indeclinable surnames in the dictionary (tagged "ms-f, Fixd") keep their form.
    ("Дюма Александр Иванович", "datv", "Дюма Александру Ивановичу"),
    ("Дюма Александр Иванович", "gent", "Дюма Александра Ивановича"),
    ("Сковорода Григорий Саввич", "datv", "Сковороде Григорию Саввичу"),
    ("Петрова-Водкина Анна", "datv", "Петровой-Водкиной Анне"),
    ("Смирнов Никита", "ablt", "Смирновым Никитой"),
    ("Иванова Мария Петровна", "nomn", "Иванова Мария Петровна"),
])
def test_name_in_case(full_name: str, case: str, expected: str) -> None:
    """Full names with patronymics decline by case and gender («напомнил Ивановой Марии Петровне»)."""
    assert name_in(full_name, case) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("full_name", "case", "expected"), [
    ("Иванова Мария Петровна", "gent", "Ивановой М. П."),
    ("Иванов Пётр Сергеевич", "datv", "Иванову П. С."),
    ("Шевченко Анна Ивановна", "gent", "Шевченко А. И."),
    ("Белая Ольга", "ablt", "Белой О."),
])
def test_short_name_in_case(full_name: str, case: str, expected: str) -> None:
    """The short form keeps the initials and declines the surname."""
    assert short_name_in(full_name, case) == expected  # type: ignore[arg-type]


def test_first_and_middle_in_dative() -> None:
    """The polite address without the surname declines too."""
    assert first_and_middle_in("Иванова Мария Петровна", "datv") == "Марии Петровне"


@pytest.mark.parametrize(("full_name", "expected"), [
    ("Иванова Мария Петровна", "напомнила"),
    ("Иванов Пётр Сергеевич", "напомнил"),
    ("Ким", "напомнил(а)"),
])
def test_by_gender(full_name: str, expected: str) -> None:
    """A verb's form follows the person's gender; unsure gives the neutral form asked for."""
    assert by_gender(full_name, "напомнил", "напомнила", "напомнил(а)") == expected


def test_import_preview_counts_people_once() -> None:
    """The import preview says «3 человека», not «3 3 человека» (the hand-rolled plural printed the figure twice)."""
    from bot.services.imports.plan import Preview

    line = Preview(added=0, changed=0, left=3, left_names=("Иванова А. П.",), replaces_period=None).lines()[1]
    assert line.startswith("Будут отмечены как уволившиеся: 3 человека — Иванова А. П.")


@pytest.mark.parametrize(("days_left", "tail"), [
    (1, " — осталось 1 день"), (3, " — осталось 3 дня"), (8, " — осталось 8 дней"), (21, " — осталось 21 день"),
    (-1, " — срок прошёл 1 день назад"), (-5, " — срок прошёл 5 дней назад"),
])
def test_summary_deadline_counts_days_in_words(days_left: int, tail: str) -> None:
    """The summary's deadline line says «3 дня», not «3 дн.»."""
    import datetime as dt
    from types import SimpleNamespace

    from bot.domain.indicators import Registration
    from bot.summary.render import _registration

    reg = Registration(count=5, total=10, deadline=dt.date(2026, 12, 1), days_left=days_left)
    assert _registration(SimpleNamespace(registration=reg)).endswith(tail)  # type: ignore[arg-type]
