"""Settings validation errors in Russian: pydantic's messages for the mistakes a config file can hold."""

from __future__ import annotations

from pydantic import ValidationError


def _location(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        else:
            parts.append(item)
    return ".".join(parts)


def describe(error: ValidationError) -> str:
    """The first mistake of a config file as one Russian line: the key and what it needs."""
    first = error.errors()[0]
    key = _location(tuple(first["loc"]))
    kind = first["type"]
    if kind == "extra_forbidden":
        return f"неизвестный ключ «{key}»: проверьте написание (см. config.example.toml)"
    msg = _RUSSIAN.get(kind, "")
    if kind == "literal_error":
        expected = str((first.get("ctx") or {}).get("expected", "")).replace("'", '"').replace(" or ", " или ")
        msg = f"допустимо одно из значений: {expected}"
    elif msg:
        msg = msg.format(**(first.get("ctx") or {}))
    else:
        msg = first["msg"].removeprefix("Value error, ")
    # A check across sections (a school naming a bot) has no one key: its text names what to change.
    return f"ключ «{key}»: {msg}" if key else msg


# pydantic's English messages for the mistakes a config file can hold, in Russian ({ctx} keys filled in).
_RUSSIAN = {
    "int_parsing": "нужно целое число",
    "int_type": "нужно целое число",
    "float_parsing": "нужно число",
    "float_type": "нужно число",
    "bool_parsing": "нужно true или false",
    "bool_type": "нужно true или false",
    "string_type": "нужна строка в кавычках",
    "list_type": "нужен список в квадратных скобках, например [1, 2]",
    "model_type": "нужна таблица (раздел) с ключами, а не одно значение",
    "dict_type": "нужна таблица (раздел) с ключами",
    "greater_than": "должно быть больше {gt}",
    "greater_than_equal": "должно быть не меньше {ge}",
    "less_than": "должно быть меньше {lt}",
    "less_than_equal": "должно быть не больше {le}",
    "date_parsing": "дата пишется как ГГГГ-ММ-ДД, например 2026-12-01",
    "date_from_datetime_parsing": "дата пишется как ГГГГ-ММ-ДД, например 2026-12-01",
    "date_type": "дата пишется как ГГГГ-ММ-ДД, например 2026-12-01",
    "too_short": "нужно не меньше {min_length}",
    "missing": "ключ обязателен",
}
