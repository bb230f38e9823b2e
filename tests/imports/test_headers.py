"""Header matching and kind detection."""

from __future__ import annotations

import pytest

from bot.imports.headers import field_for, match_columns, norm_header
from bot.imports.table import TableKind, detect_kind
from tests.imports.tables import ORG_HEADER, PERSON_HEADER, ROSTER_HEADER

SPEC_HEADERS = [
    ("ФИО", "full_name"), ("Ф.И.О.", "full_name"), ("ФИО педагога", "full_name"),
    ("Пользователь", "full_name"), ("Учитель", "full_name"), ("Сотрудник", "full_name"),
    ("Фамилия, Имя, Отчество", "full_name"), ("Фамилия", "last_name"), ("Имя", "first_name"),
    ("Отчество", "middle_name"), ("VK ID", "vk"), ("ID ВКонтакте", "vk"), ("id пользователя", "vk"),
    ("Ссылка на профиль", "vk"), ("Ссылка на страницу", "vk"), ("ВКонтакте", "vk"), ("VK", "vk"),
    ("ОО", "org"), ("Организация", "org"), ("Образовательная организация", "org"), ("Школа", "org"),
    ("Наименование ОО", "org"), ("ИНН", "inn"), ("Роль", "role"), ("Должность", "role"),
    ("Классное руководство", "classes"), ("Класс", "classes"), ("Классы", "classes"),
    ("Телефон", "phone"), ("E-mail", "email"),
    ("Сообщений в групповых чатах", "group_messages"),
    ("Сообщения в групповых чатах за неделю", "group_messages"), ("Кол-во сообщений", "group_messages"),
    ("Звонков", "calls"), ("Звонки за неделю", "calls"), ("Совершено звонков", "calls"),
    ("Создано групповых чатов", "group_chats_created"), ("Создал(а) групповой чат", "group_chats_created"),
    ("Связал(а) аккаунт ЭЖД", "ejd_linked"), ("Привязка ЭЖД", "ejd_linked"),
    ("Зарегистрирован(а)", "registered"), ("Есть в Сферуме", "registered"),
    ("Муниципалитет", "municipality"), ("Район", "municipality"), ("МО", "municipality"),
    ("Учеников всего", "students_total"), ("Учителей всего", "teachers_total"),
    ("Учителя, создавшие групповые чаты", "teachers_created_chats"),
    ("Учителя, написавшие в групповых чатах минимум 3 сообщения за неделю", "teachers_3plus"),
    ("Учителя, написавшие в групповых чатах минимум 10 сообщений за неделю", "teachers_10plus"),
    ("Учителя, совершившие минимум 1 звонок за неделю", "teachers_1call"),
    ("Учителя, связавшие аккаунты ЭЖД", "teachers_ejd"), ("Ученики, связавшие аккаунты ЭЖД", "students_ejd"),
    ("Статус", "status"), ("Статус профиля", "status"), ("Статус регистрации", "registered"),
    ("Роль в ОО", "role"), ("Отправлено сообщений в групповые чаты", "group_messages"),
    ("Создано чатов", "group_chats_created"), ("Дата регистрации", "registered"), ("Привязан ЭЖД", "ejd_linked"),
    ("ФИО пользователя", "full_name"), ("Наименование должности", "role"), ("Ссылка на чат класса", None),
    ("Контрольная дата", None),
]


@pytest.mark.parametrize(("header", "field"), SPEC_HEADERS)
def test_every_header_from_the_specs_is_recognized(header: str, field: str | None) -> None:
    """Each header example in roster.md and weekly-statistics.md maps to its field."""
    assert field_for(header) == field


@pytest.mark.parametrize("header", ["  фио ", "Ф. И. О.", "ФИО:", "СООБЩЕНИЙ В ГРУППОВЫХ ЧАТАХ", "Cвязал(а) аккаунт ЭЖД"])
def test_matching_ignores_case_spaces_and_punctuation(header: str) -> None:
    """Case, spaces and punctuation do not matter (a Latin «C» in a Cyrillic header does not either)."""
    assert field_for(header) in ("full_name", "group_messages", "ejd_linked")


def test_yo_and_ye_are_the_same() -> None:
    """«ё» and «е» match each other."""
    assert norm_header("Учёт") == norm_header("Учет") == "учет"


def test_school_aliases_from_the_config_win() -> None:
    """settings.imports.header_aliases adds a school's own headers."""
    aliases = {"group_messages": ["Активность в беседах"], "full_name": ["Работница"]}
    assert field_for("активность  в беседах!", aliases) == "group_messages"
    assert field_for("Работница", aliases) == "full_name"
    assert field_for("Активность в беседах") is None


def test_unknown_headers_match_nothing() -> None:
    """A header nobody listed stays unmatched and the first column of a field wins."""
    assert field_for("Примечание") is None
    assert match_columns([["ФИО"], ["Примечание"], ["ФИО"]]) == {"full_name": 0}


@pytest.mark.parametrize(("header", "kind"), [
    (PERSON_HEADER, TableKind.PERSON),
    (ORG_HEADER, TableKind.ORGANIZATION),
    (ROSTER_HEADER, TableKind.ROSTER),
    (["ФИО", "Должность", "Звонков"], TableKind.PERSON),
    (["Школа", "Статус профиля"], TableKind.ORGANIZATION),
    (["ФИО", "Примечание"], None),
])
def test_kind_is_decided_by_the_headers(header: list[str], kind: TableKind | None) -> None:
    """Activity columns → per person; indicators per school → per organization; roles → roster."""
    assert detect_kind(match_columns([[h] for h in header])) is kind
