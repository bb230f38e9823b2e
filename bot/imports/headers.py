"""Header matching: table headers as people write them → canonical field names.

Matching ignores case, spaces, punctuation and «ё». Exact aliases win; then a
header matches a field when it holds all the word stems of one of its patterns
(so «Сообщения в групповых чатах за неделю» is still `group_messages`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

_NOT_ALNUM = re.compile(r"[^0-9a-zа-я]+")


def norm_header(text: object) -> str:
    """«Ф.И.О. педагога» → «фиопедагога»: lowercase, ё→е, letters and digits only."""
    return _NOT_ALNUM.sub("", str(text or "").lower().replace("ё", "е"))


@dataclass(frozen=True)
class FieldSpec:
    """How one canonical field is recognized; `label` names it in Russian messages."""

    name: str
    label: str
    aliases: tuple[str, ...] = ()
    stems: tuple[tuple[str, ...], ...] = ()
    excludes: tuple[str, ...] = ()


def _spec(name: str, label: str, aliases: Sequence[str] = (),
          stems: Sequence[Sequence[str]] = (), excludes: Sequence[str] = ()) -> FieldSpec:
    return FieldSpec(name, label, tuple(norm_header(a) for a in aliases),
                     tuple(tuple(s) for s in stems), tuple(excludes))


_PEOPLE_ONLY = ("учител", "учени", "обучающ", "педагогов")

# Order matters for stems: the per-organization indicators («Учителя, совершившие звонок»)
# are tried before the per-person activity columns («Звонков»).
FIELDS: tuple[FieldSpec, ...] = (
    _spec("full_name", "ФИО", ["ФИО", "Ф.И.О.", "ФИО педагога", "ФИО сотрудника", "ФИО учителя",
                               "Пользователь", "Учитель", "Сотрудник", "Педагог", "Работник",
                               "Фамилия, Имя, Отчество", "Фамилия Имя Отчество", "Фамилия И.О.",
                               "Имя пользователя", "Полное имя"],
          [("фио",), ("фамилияимяотчество",)], ("учител", "всего")),
    _spec("last_name", "Фамилия", ["Фамилия"]),
    _spec("first_name", "Имя", ["Имя"]),
    _spec("middle_name", "Отчество", ["Отчество"]),
    _spec("vk", "VK ID", ["VK ID", "VK", "ВК", "ID ВКонтакте", "ВКонтакте", "id пользователя", "ID",
                          "Ссылка на профиль", "Ссылка на страницу", "Страница ВКонтакте",
                          "Профиль ВК", "Ссылка ВК", "VK ID пользователя", "Идентификатор"],
          [("vk",), ("вконтакт",), ("ссылк",), ("idпольз",), ("профил", "вк")],
          ("статус", "чат", "сферум", "звон", "конференц")),
    # Before «vk»: «ID MAX» must not read as a VK «ID».
    _spec("max", "ID MAX", ["MAX", "ID MAX", "MAX ID", "ID в MAX", "Макс", "ID Макс", "Мессенджер MAX",
                            "MAX user id"],
          [("max",)], ("статус", "чат", "сообщ", "звон")),
    _spec("org", "Организация", ["ОО", "Организация", "Образовательная организация",
                                 "Наименование ОО", "Наименование организации", "Школа",
                                 "Название ОО", "Наименование образовательной организации", "ОУ"],
          [("наименован",), ("образовательнаяорганизац",)], ("инн", "должност", "предмет", "класс")),
    _spec("inn", "ИНН", ["ИНН", "ИНН ОО", "ИНН организации"], [("инн",)]),
    _spec("municipality", "Муниципалитет", ["Муниципалитет", "Район", "МО",
                                            "Муниципальное образование", "Муниципальный район"],
          [("муниципал",)]),
    _spec("students_total", "Учеников всего", ["Учеников всего", "Обучающихся всего"],
          [("учени", "всего"), ("обучающ", "всего"), ("всего", "учени")]),
    _spec("teachers_total", "Учителей всего", ["Учителей всего", "Педагогов всего"],
          [("учител", "всего"), ("педагог", "всего")]),
    _spec("teachers_created_chats", "Учителя, создавшие групповые чаты", [],
          [("учител", "созда", "чат")]),
    _spec("teachers_10plus", "Учителя, написавшие минимум 10 сообщений", [],
          [("учител", "10", "сообщ")]),
    _spec("teachers_3plus", "Учителя, написавшие минимум 3 сообщения", [],
          [("учител", "3", "сообщ")]),
    _spec("teachers_1call", "Учителя, совершившие минимум 1 звонок", [],
          [("учител", "звон")]),
    _spec("teachers_ejd", "Учителя, связавшие аккаунты ЭЖД", [], [("учител", "эжд")]),
    _spec("students_ejd", "Ученики, связавшие аккаунты ЭЖД", [],
          [("учени", "эжд"), ("обучающ", "эжд")]),
    _spec("status", "Статус профиля", ["Статус", "Статус профиля", "Статус профиля ОО"],
          [("статус",)], ("регистр", "эжд", "привязк")),
    _spec("group_messages", "Сообщений в групповых чатах",
          ["Сообщений в групповых чатах", "Сообщения в групповых чатах за неделю", "Кол-во сообщений",
           "Количество сообщений", "Сообщений", "Сообщения"],
          [("сообщ",)], _PEOPLE_ONLY),
    _spec("calls", "Звонков", ["Звонков", "Звонки за неделю", "Совершено звонков", "Звонки",
                               "Количество звонков"], [("звон",)], _PEOPLE_ONLY),
    _spec("group_chats_created", "Создано групповых чатов",
          ["Создано групповых чатов", "Создал(а) групповой чат", "Создал групповой чат"],
          [("созда", "чат")], _PEOPLE_ONLY),
    _spec("ejd_linked", "Связал(а) аккаунт ЭЖД",
          ["Связал(а) аккаунт ЭЖД", "Привязка ЭЖД", "ЭЖД"], [("эжд",)], _PEOPLE_ONLY),
    _spec("registered", "Зарегистрирован(а)",
          ["Зарегистрирован(а)", "Есть в Сферуме", "Зарегистрирован", "Регистрация"],
          [("зарегистр",), ("естьвсферум",), ("регистрац",)], _PEOPLE_ONLY),
    # No «роль» stem: «Контроль…» holds it too.
    _spec("role", "Должность", ["Роль", "Должность", "Должность сотрудника", "Роль в ОО", "Роль пользователя",
                                "Роль в организации", "Роль в Сферуме"],
          [("должност",)]),
    _spec("classes", "Класс", ["Классное руководство", "Класс", "Классы", "Классный руководитель"],
          [("классн",), ("класс",)], ("учител", "учени", "ссылк", "чат", "колич")),
    _spec("phone", "Телефон", ["Телефон", "Номер телефона", "Моб. телефон", "Мобильный телефон"],
          [("телефон",)]),
    _spec("email", "E-mail", ["E-mail", "Email", "Электронная почта", "Почта", "Эл. почта"],
          [("email",), ("почт",)]),
)
FIELD_BY_NAME: dict[str, FieldSpec] = {f.name: f for f in FIELDS}

ACTIVITY_FIELDS = ("group_messages", "calls", "group_chats_created", "ejd_linked", "registered")
ORG_INDICATORS = ("students_total", "teachers_total", "teachers_created_chats", "teachers_3plus",
                  "teachers_10plus", "teachers_1call", "teachers_ejd", "students_ejd", "status")
NAME_FIELDS = ("full_name", "last_name", "first_name", "middle_name")


def field_for(header: object, aliases: Mapping[str, Sequence[str]] | None = None) -> str | None:
    """The canonical field a header names, or None."""
    key = norm_header(header)
    if not key:
        return None
    for name, extra in (aliases or {}).items():
        if any(norm_header(a) == key for a in extra):
            return name
    for spec in FIELDS:
        if key in spec.aliases:
            return spec.name
    for spec in FIELDS:
        if any(x in key for x in spec.excludes):
            continue
        if any(all(stem in key for stem in pattern) for pattern in spec.stems):
            return spec.name
    return None


def match_columns(labels: Sequence[Sequence[str]],
                  aliases: Mapping[str, Sequence[str]] | None = None) -> dict[str, int]:
    """Field → column index, given for each column its candidate labels, best first."""
    found: dict[str, int] = {}
    for col, candidates in enumerate(labels):
        for label in candidates:
            name = field_for(label, aliases)
            if name is not None:
                if name not in found:
                    found[name] = col
                break
    return found
