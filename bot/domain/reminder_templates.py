"""Reminder templates: what the reminder suggests doing for each open point, kept as data.

The package ships `reminder_templates.toml` with every text; a school may override any of
them with its own TOML of the same shape. Both are checked on load (`parse`), and an error
names the line: a TOML mistake, an unknown key or placeholder, an empty text, or a text that
asks for a number of messages (people then post empty messages «for the report»).
The opening lines of the reminder and of the deputy's report are not templates.
"""

from __future__ import annotations

import functools
import re
import string
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

DEFAULT_FILE = "reminder_templates.toml"
MAX_TEXT = 600

# Every editable text: its key, a short Russian name (the chat lists them) and the placeholders it may use.
_COMMON = frozenset({"имя", "звонки", "срок"})
_CLASS = _COMMON | {"класс", "классы"}
KEYS: dict[str, tuple[str, frozenset[str]]] = {
    "reminder.tasks_title": ("заголовок списка дел", frozenset()),
    "reminder.closing": ("последняя строка напоминания", _COMMON),
    "tasks.not_registered.text": ("не зарегистрирован в Сферуме", _COMMON),
    "tasks.chats_not_confirmed.text": ("чаты не перенесены", _COMMON | {"чаты"}),
    "tasks.messages_below_threshold.with_class": ("мало сообщений, есть класс", _CLASS),
    "tasks.messages_below_threshold.without_class": ("мало сообщений, нет класса", _COMMON),
    "tasks.messages_below_target.with_class": ("ниже цели по сообщениям, есть класс", _CLASS),
    "tasks.messages_below_target.without_class": ("ниже цели по сообщениям, нет класса", _COMMON),
    "tasks.no_call.with_class": ("нет звонков, есть класс", _CLASS),
    "tasks.no_call.without_class": ("нет звонков, нет класса", _COMMON),
    "tasks.ejd_not_linked.text": ("ЭЖД не связан", _COMMON),
    "report.unreachable_hint": ("отчёт заместителю: совет, если напоминание не дошло", frozenset()),
}
# «напишите ещё 2 сообщения», «отправьте {n} сообщений»: a count of messages is not a useful action.
_COUNT_ASK = re.compile(
    r"(напиш|отправ|опубликуй|публикуй|сдела)\w*[^.!?\n]{0,40}?(\d+|\{[^}]*\}|несколько|пару|ещё)\s+"
    r"(сообщени|пост)", re.IGNORECASE)
_HEADER = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*=")


class TemplateError(ValueError):
    """Problems in a templates file, one Russian line each, with line numbers."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class Templates:
    """The effective texts by key (defaults with a school's overrides on top)."""

    texts: Mapping[str, str]
    overridden: frozenset[str] = frozenset()

    def text(self, key: str) -> str:
        return self.texts[key]

    def merged(self, override: Mapping[str, str]) -> Templates:
        """These templates with `override`'s texts on top."""
        return Templates({**self.texts, **override}, self.overridden | frozenset(override))


def key_lines(source: str) -> dict[str, int]:
    """The line of each `table.key = …` in a TOML text (for error messages)."""
    table = ""
    found: dict[str, int] = {}
    for number, line in enumerate(source.splitlines(), 1):
        if header := _HEADER.match(line):
            table = header.group(1).replace(" ", "").replace('"', "")
        elif key := _KEY.match(line):
            found.setdefault(f"{table}.{key.group(1)}" if table else key.group(1), number)
    return found


def _flatten(data: Mapping[str, object], prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            flat.update(_flatten(value, path))
        else:
            flat[path] = value
    return flat


def placeholders(text: str) -> list[str]:
    """The `{name}` placeholders of a text; ValueError on a lone brace."""
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


def check_text(key: str, text: object) -> str | None:
    """What is wrong with one template text (None: it is fine)."""
    if not isinstance(text, str):
        return "значение должно быть текстом в кавычках"
    if not text.strip():
        return "текст пустой"
    if len(text) > MAX_TEXT:
        return f"текст длиннее {MAX_TEXT} символов ({len(text)}): напоминание должно читаться с телефона"
    try:
        names = placeholders(text)
    except ValueError:
        return "непарная фигурная скобка: подстановки пишутся как {класс}"
    allowed = KEYS[key][1]
    for name in names:
        if name not in allowed:
            hint = ", ".join(f"{{{a}}}" for a in sorted(allowed)) or "нет"
            return f"неизвестная подстановка {{{name}}}; здесь можно: {hint}"
    if _COUNT_ASK.search(text):
        return ("текст просит написать сколько-то сообщений; предложите полезное дело — создать чат "
                "родителей, выложить домашнее задание, провести встречу с родителями, связать ЭЖД")
    return None


def parse(source: str, *, complete: bool = False, name: str = "") -> dict[str, str]:
    """Check a templates TOML and return its texts by key; TemplateError lists every problem.

    With `complete`, every key must be present (the packaged file); a school's file may
    override only some.
    """
    where = f"{name}: " if name else ""
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        at = f"строка {match.group(1)}, столбец {match.group(2)}" if match else "файл"
        raise TemplateError([f"{where}{at}: ошибка в записи TOML (проверьте кавычки, скобки и знак «=»)"]
                            ) from None
    lines = key_lines(source)
    problems: list[str] = []
    texts: dict[str, str] = {}
    for key, value in _flatten(data).items():
        at = f"строка {lines[key]}" if key in lines else "файл"
        if key not in KEYS:
            problems.append(f"{where}{at}: неизвестный ключ «{key}»")
            continue
        problem = check_text(key, value)
        if problem:
            problems.append(f"{where}{at} ({key}): {problem}")
        else:
            texts[key] = str(value)
    if complete:
        problems.extend(f"{where}нет ключа «{key}»" for key in KEYS if key not in texts and key not in
                        _flatten(data))
    if problems:
        raise TemplateError(problems)
    return texts


def dump(texts: Mapping[str, str]) -> str:
    """A school's overrides as TOML (tables in the order of KEYS)."""
    out: list[str] = ["# Шаблоны напоминаний этой школы: тексты здесь заменяют встроенные.", ""]
    table = None
    for key in KEYS:
        if key not in texts:
            continue
        head, _, leaf = key.rpartition(".")
        if head != table:
            if table is not None:
                out.append("")
            out.append(f"[{head}]")
            table = head
        out.append(f"{leaf} = {_toml_string(texts[key])}")
    return "\n".join(out) + "\n"


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


@functools.cache
def default_source() -> str:
    """The packaged templates file."""
    return resources.files("bot.domain").joinpath(DEFAULT_FILE).read_text(encoding="utf-8")


@functools.cache
def defaults() -> Templates:
    """The packaged templates (checked: a broken package file fails loudly)."""
    return Templates(parse(default_source(), complete=True, name=DEFAULT_FILE))
