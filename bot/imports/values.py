"""Parsing cell values: counts, yes/no, VK links, roles, statuses; keeping text as text."""

from __future__ import annotations

import datetime as dt
import math
import re

from bot.domain.models import Role
from bot.imports.reader import Cell

_YES = frozenset({"да", "д", "yes", "y", "1", "+", "true", "истина", "✓", "✔", "☑", "v", "есть", "x", "х"})
_NO = frozenset({"нет", "н", "no", "n", "0", "-", "−", "–", "—", "false", "ложь", "✗", "✘", ""})
_DATE_RE = re.compile(r"^\d{1,2}[./]\d{1,2}[./]\d{2,4}(\s.*)?$|^\d{4}-\d{2}-\d{2}")
_YES_WORDS = ("зарегистрирован", "привязан", "связан", "подключен", "есть")
_VK_ID_RE = re.compile(r"^(?:id)?(\d{1,12})$")
_VK_URL_RE = re.compile(
    r"^(?:https?://)?(?:m\.|www\.)?(?:vk\.com|vk\.ru|vkontakte\.ru)/([A-Za-z0-9_.]+)/?(?:[?#].*)?$",
    re.IGNORECASE,
)
_SCREEN_NAME_RE = re.compile(r"^@?([A-Za-z][A-Za-z0-9_.]{2,31})$")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class BadValue(ValueError):
    """A cell that cannot be read as the column's type; the message is Russian."""


def text(cell: Cell) -> str:
    """Cell as stripped text; numbers lose a trailing .0, dates become DD.MM.YYYY."""
    if isinstance(cell, str):
        # Non-breaking and zero-width spaces come with copy-paste from web pages.
        if "\xa0" in cell or "\u200b" in cell:
            cell = cell.replace("\xa0", " ").replace("\u200b", "")
        return cell.strip()
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "да" if cell else "нет"
    if isinstance(cell, float):
        if math.isfinite(cell) and cell == int(cell):
            return str(int(cell))
        return str(cell)
    if isinstance(cell, dt.datetime):
        return cell.strftime("%d.%m.%Y %H:%M")
    if isinstance(cell, dt.date):
        return cell.strftime("%d.%m.%Y")
    return str(cell).strip()


def count(cell: Cell) -> int | None:
    """A whole number ≥ 0 from 12, 12.0, «12 », «12,0», «1 234»; None for an empty cell."""
    if type(cell) is float and 0 <= cell <= 10_000_000 and cell == int(cell):
        return int(cell)  # the common case, first
    if cell == "":
        return None
    if cell is None or isinstance(cell, bool):
        if isinstance(cell, bool):
            return int(cell)
        return None
    if isinstance(cell, int | float):
        value = float(cell)
    else:
        raw = text(cell)
        if not raw:
            return None
        cleaned = raw.replace(" ", "").replace("\u202f", "").replace(",", ".")
        try:
            value = float(cleaned)
        except ValueError:
            raise BadValue(f"не число: «{raw}»") from None
    if not math.isfinite(value) or value != int(value):
        raise BadValue(f"не целое число: «{text(cell)}»")
    if value < 0:
        raise BadValue(f"отрицательное число: «{text(cell)}»")
    if value > 10_000_000:
        raise BadValue(f"слишком большое число: «{text(cell)}»")
    return int(value)


def yes_no(cell: Cell) -> bool:
    """да/нет, 1/0, +/−, true/false, ✓; an empty cell is «нет»."""
    if isinstance(cell, str):
        quick = cell.strip().lower()
        if quick in _YES:
            return True
        if quick in _NO:
            return False
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, dt.date):
        return True  # «Дата регистрации»: a date says yes
    if isinstance(cell, int | float):
        if cell in (0, 1):
            return bool(cell)
        raise BadValue(f"ожидалось «да» или «нет», а стоит «{text(cell)}»")
    raw = text(cell).lower().replace("ё", "е").rstrip(".")
    if raw in _YES:
        return True
    if raw in _NO:
        return False
    # Status words: «Зарегистрирован(а)», «Не привязан», «Связан».
    if raw.startswith(("не ", "не-")):
        return False
    if raw.startswith(_YES_WORDS) or _DATE_RE.match(raw):
        return True
    raise BadValue(f"ожидалось «да» или «нет», а стоит «{text(cell)}»")


def count_or_yes_no(cell: Cell) -> int:
    """A count, or yes/no read as 1/0 (for «Создал(а) групповой чат»)."""
    if isinstance(cell, str):
        quick = cell.strip().lower()
        if quick in _YES:
            return 1  # «1» means one chat either way
        if quick in _NO:
            return 0
    try:
        value = count(cell)
    except BadValue:
        return int(yes_no(cell))
    return value or 0


_MAX_ID_RE = re.compile(r"^(?:id)?(\d{1,19})(?:\.0+)?$")


def vk_ref(cell: Cell) -> tuple[int | None, str | None]:
    """(numeric id, screen name) from 123, id123, vk.com/id123, https://vk.com/ivanova_a, @name."""
    raw = text(cell)
    if not raw:
        return None, None
    match = _VK_URL_RE.match(raw)
    target = match.group(1) if match else raw
    id_match = _VK_ID_RE.match(target.lower())
    if id_match and int(id_match.group(1)) > 0:
        return int(id_match.group(1)), None
    name_match = _SCREEN_NAME_RE.match(target)
    if name_match:
        return None, name_match.group(1).lower()
    raise BadValue(f"не похоже на страницу ВКонтакте: «{raw}»")


def max_id(cell: Cell) -> int | None:
    """A MAX user id (a positive int64): 123, «id123», «123.0» from a spreadsheet; None for an empty cell."""
    raw = text(cell)
    if not raw:
        return None
    if isinstance(cell, float) and cell.is_integer():
        raw = str(int(cell))
    found = _MAX_ID_RE.match(raw.lower().replace(" ", ""))
    if found is None or not 0 < int(found.group(1)) < 2**63:
        raise BadValue(f"не похоже на ID пользователя MAX (нужно число): «{raw}»")
    return int(found.group(1))


def role(cell: Cell) -> Role | None:
    """The role a position names; None for an empty cell. Unknown positions are staff."""
    raw = text(cell).lower().replace("ё", "е")
    if not raw:
        return None
    if ("зам" in raw and "директор" in raw) or "сферум" in raw or raw in ("deputy", "завуч"):
        return Role.DEPUTY
    if "директор" in raw or raw == "director":
        return Role.DIRECTOR
    if any(s in raw for s in ("учител", "педагог", "преподават", "воспитател", "teacher",
                              "логопед", "дефектолог", "тьютор", "методист")):
        return Role.TEACHER
    # «Руководитель», «Заведующий (детским садом)», but not «Заведующий библиотекой».
    if raw.startswith("руководител") and "кружк" not in raw and "секци" not in raw:
        return Role.DIRECTOR
    if raw.startswith("заведующ") and (" " not in raw or "сад" in raw or "доу" in raw):
        return Role.DIRECTOR
    return Role.STAFF


def status(cell: Cell) -> str | None:
    """'active' / 'inactive' from «Активен» / «Не активен»; None for an empty cell."""
    raw = re.sub(r"[^а-яa-z]", "", text(cell).lower().replace("ё", "е"))
    if not raw:
        return None
    if raw.startswith(("не", "in", "not")):
        return "inactive"
    if raw.startswith(("актив", "active", "да")):
        return "active"
    raise BadValue(f"статус должен быть «Активен» или «Не активен», а стоит «{text(cell)}»")


def safe_for_sheet(value: str) -> str:
    """Text to write into a spreadsheet cell so that it can never run as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value
