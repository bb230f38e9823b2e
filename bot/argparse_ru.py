"""argparse's own words in Russian («использование:», «ошибка:», «показать эту справку…»).

argparse looks its messages up through the module-level `gettext` names `_` and `ngettext` at
the moment it prints them; `use_russian()` points those names at a fixed Russian catalogue, so
no locale or .mo file is needed. It is called when a parser is built, never at import time.
"""

from __future__ import annotations

import argparse

RUSSIAN: dict[str, str] = {
    "usage: ": "использование: ",
    "positional arguments": "аргументы",
    "options": "параметры",
    "optional arguments": "параметры",
    "show this help message and exit": "показать эту справку и выйти",
    "show program's version number and exit": "показать версию и выйти",
    "subcommands": "команды",
    "%(prog)s: error: %(message)s\n": "%(prog)s: ошибка: %(message)s\n",
    "unrecognized arguments: %s": "неизвестные аргументы: %s",
    "the following arguments are required: %s": "не хватает обязательных аргументов: %s",
    "one of the arguments %s is required": "нужен один из аргументов: %s",
    "argument %(argument_name)s: %(message)s": "аргумент %(argument_name)s: %(message)s",
    "expected one argument": "нужно одно значение",
    "expected at most one argument": "нужно не больше одного значения",
    "expected at least one argument": "нужно хотя бы одно значение",
    "not allowed with argument %s": "нельзя вместе с аргументом %s",
    "ignored explicit argument %r": "лишнее значение %r",
    "ambiguous option: %(option)s could match %(matches)s":
        "неоднозначный параметр %(option)s: подходят %(matches)s",
    "unexpected option string: %s": "неожиданный параметр: %s",
    "invalid %(type)s value: %(value)r": "неверное значение %(value)r (нужен тип %(type)s)",
    "invalid choice: %(value)r (choose from %(choices)s)":
        "неверное значение %(value)r (возможные: %(choices)s)",
    "unknown parser %(parser_name)r (choices: %(choices)s)":
        "неизвестная команда %(parser_name)r (есть: %(choices)s)",
    "can't open '%(filename)s': %(error)s": "не удалось открыть «%(filename)s»: %(error)s",
}

RUSSIAN_PLURAL: dict[str, tuple[str, str, str]] = {
    # argparse's singular form -> Russian one / few / many.
    "expected %s argument": ("нужно %s значение", "нужно %s значения", "нужно %s значений"),
}


def _gettext(message: str) -> str:
    return RUSSIAN.get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    forms = RUSSIAN_PLURAL.get(singular)
    if forms is None:
        return singular if n == 1 else plural
    if n % 10 == 1 and n % 100 != 11:
        return forms[0]
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return forms[1]
    return forms[2]


def use_russian() -> None:
    """Make argparse print its own words in Russian (idempotent)."""
    argparse._ = _gettext  # type: ignore[attr-defined]
    argparse.ngettext = _ngettext  # type: ignore[attr-defined]


def add_version(parser: argparse.ArgumentParser, version: str) -> None:
    """`--version` with Russian help (argparse's default help is not looked up through gettext)."""
    parser.add_argument("--version", action="version", version=version,
                        help="показать версию и выйти")
