"""Knowledge-base files: reading TOML, validating its tables, errors with line numbers.

Every problem becomes a KnowledgeBaseError with one Russian line naming the file, the
line of the table and the entry, so that a school can fix its file without a traceback.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from bot.faq.render import unknown_placeholders

MAX_ANSWER_CHARS = 1000
MAX_TITLE_CHARS = 40
TOPIC_ID_PATTERN = r"^[a-z][a-z0-9_]{1,31}$"
ENTRY_ID_PATTERN = r"^[a-z][a-z0-9_]{1,31}\.[a-z][a-z0-9_]{1,31}$"

class KnowledgeBaseError(Exception):
    """A knowledge-base file or entry is invalid; the message is one Russian line."""

def _clean_title(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        raise ValueError("пустой заголовок")
    if len(value) > MAX_TITLE_CHARS:
        raise ValueError(f"заголовок длиннее {MAX_TITLE_CHARS} символов")
    return value


def _clean_answer(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        raise ValueError("пустой ответ")
    if len(value) > MAX_ANSWER_CHARS:
        raise ValueError(f"ответ длиннее {MAX_ANSWER_CHARS} символов")
    unknown = unknown_placeholders(value)
    if unknown:
        raise ValueError(f"в ответе неизвестная подстановка {{{unknown[0]}}}")
    return value


def _clean_phrases(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    cleaned = [v.strip() for v in value]
    if any(not v for v in cleaned):
        raise ValueError("пустая строка в списке примеров или ключевых слов")
    return cleaned


class TopicEntry(BaseModel):
    """One ``[[topic]]`` entry as written in a knowledge-base file.

    Every field but ``id`` is optional so that a school file may override only the
    answer of a bundled topic; a new topic must give title, answer and examples.
    For an existing topic ``examples`` and ``keywords`` are added to the bundled ones
    unless ``replace_examples`` is true. ``requires`` lists words of which the question
    must contain at least one for the topic to score fully (``my_status`` needs «я»/«мой»);
    ``avoids`` lists words that point elsewhere: any of them lowers the topic's score
    (registration of staff is not asked about «ученик» or «родитель»); ``outside`` lists
    services outside the platform that the topic's own things resemble (Zoom beside calls): a
    question naming one of them and not the platform is about that service, not the topic.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str | None = None
    answer: str | None = None
    examples: list[str] | None = None
    keywords: list[str] | None = None
    requires: list[str] | None = None
    avoids: list[str] | None = None
    outside: list[str] | None = None
    replace_examples: bool = False

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not re.match(TOPIC_ID_PATTERN, value):
            raise ValueError(
                "идентификатор темы — латинские строчные буквы, цифры и _, от 2 до 32 символов"
            )
        return value

    @field_validator("title")
    @classmethod
    def _check_title(cls, value: str | None) -> str | None:
        return _clean_title(value)

    @field_validator("answer")
    @classmethod
    def _check_answer(cls, value: str | None) -> str | None:
        return _clean_answer(value)

    @field_validator("examples", "keywords", "requires", "avoids", "outside")
    @classmethod
    def _check_phrases(cls, value: list[str] | None) -> list[str] | None:
        return _clean_phrases(value)


class AnswerEntry(BaseModel):
    """One ``[[entry]]`` table: a short answer to one question of a topic.

    ``id`` is ``<topic>.<name>``; ``title`` is its button label; ``answer`` is the text for
    every messenger and ``vk``/``max`` the variants where the steps differ; ``examples``
    are its phrasings. A school file may override fields of a bundled entry or add its own
    (a new entry needs title, examples and a text).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str | None = None
    answer: str | None = None
    vk: str | None = None
    max: str | None = None
    examples: list[str] | None = None
    replace_examples: bool = False

    @property
    def topic_id(self) -> str:
        """The topic part of the id."""
        return self.id.split(".", 1)[0]

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not re.match(ENTRY_ID_PATTERN, value):
            raise ValueError(
                "идентификатор записи — «тема.имя» латинскими строчными буквами, цифрами и _, "
                "например join_school.change"
            )
        return value

    @field_validator("title")
    @classmethod
    def _check_title(cls, value: str | None) -> str | None:
        return _clean_title(value)

    @field_validator("answer", "vk", "max")
    @classmethod
    def _check_text(cls, value: str | None) -> str | None:
        return _clean_answer(value)

    @field_validator("examples")
    @classmethod
    def _check_examples(cls, value: list[str] | None) -> list[str] | None:
        return _clean_phrases(value)


_M = TypeVar("_M", TopicEntry, AnswerEntry)


class _SmallTalkEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    phrases: list[str]
    replies: list[str]


class _OfftopicEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    phrases: list[str] = []


class _KbFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    synonyms: dict[str, list[str]] = {}
    smalltalk: list[_SmallTalkEntry] = []
    offtopic: _OfftopicEntry = _OfftopicEntry()
    weights: dict[str, float] = {}
    topic: list[dict[str, Any]] = []
    entry: list[dict[str, Any]] = []


def _describe(error: ValidationError) -> str:
    """One Russian phrase for the first pydantic error of an entry."""
    first = error.errors()[0]
    # The innermost named part: «examples» for ("examples", 0), «max» for ("weights", "max").
    names = [str(part) for part in first["loc"] if not isinstance(part, int)]
    name = names[-1] if names else ""
    kind = first["type"]
    if kind == "value_error":
        # Our own validators: the message after pydantic's "Value error, " prefix.
        return str(first["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        return f'нет поля "{name}"'
    if kind == "extra_forbidden":
        return f'неизвестное поле "{name}"'
    if kind.startswith("string"):
        return f'поле "{name}" должно быть строкой'
    if kind.startswith("list"):
        return f'поле "{name}" должно быть списком строк'
    if kind.startswith("bool"):
        return f'поле "{name}" должно быть true или false'
    if kind.startswith("float") or kind.startswith("int"):
        return f'поле "{name}" должно быть числом'
    return f'поле "{name}": неверное значение'


def location_prefix(source: str, lines: Mapping[str, int] | None = None, key: str | None = None) -> str:
    line = (lines or {}).get(key or "")
    at = f"строка {line}, " if line else ""
    return f"база знаний {source}: {at}" if source else f"база знаний: {at}"


def _table_lines(text: str, table: str) -> list[int]:
    """Line numbers (from 1) of each ``[[table]]`` header in a TOML text, in order."""
    pattern = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
    return [n for n, line in enumerate(text.splitlines(), start=1) if pattern.match(line)]


def parse_entries(
    raw: Sequence[Mapping[str, Any]], source: str = "", lines: Sequence[int] = ()
) -> list[TopicEntry]:
    """Validate raw ``[[topic]]`` tables (or dicts from the database) into entries.

    Raises KnowledgeBaseError naming the entry by id (or number), its line when `lines`
    gives the header lines, and the problem.
    """
    return _parse_tables(raw, TopicEntry, source, lines, "тема повторяется")


def parse_answers(
    raw: Sequence[Mapping[str, Any]], source: str = "", lines: Sequence[int] = ()
) -> list[AnswerEntry]:
    """Validate raw ``[[entry]]`` tables into answer entries (errors as `parse_entries`)."""
    return _parse_tables(raw, AnswerEntry, source, lines, "запись повторяется")


def _parse_tables(
    raw: Sequence[Mapping[str, Any]],
    model: type[_M],
    source: str,
    lines: Sequence[int],
    repeated: str,
) -> list[_M]:
    items: list[_M] = []
    seen: set[str] = set()
    for number, item in enumerate(raw, start=1):
        raw_id = item.get("id") if isinstance(item, Mapping) else None
        label = f'"{raw_id}"' if isinstance(raw_id, str) and raw_id else f"№{number}"
        line = lines[number - 1] if number - 1 < len(lines) else None
        where = location_prefix(source) + (f"строка {line}, " if line else "")
        if not isinstance(item, Mapping):
            raise KnowledgeBaseError(f"{where}запись {label}: ожидалась таблица")
        try:
            parsed = model.model_validate(dict(item))
        except ValidationError as exc:
            raise KnowledgeBaseError(f"{where}запись {label}: {_describe(exc)}") from None
        if parsed.id in seen:
            raise KnowledgeBaseError(f"{where}запись {label}: {repeated}")
        seen.add(parsed.id)
        items.append(parsed)
    return items


def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    try:
        text = path.read_bytes().decode("utf-8")
        return tomllib.loads(text), text
    except FileNotFoundError:
        raise KnowledgeBaseError(f"база знаний {path.name}: файл не найден ({path})") from None
    except OSError as exc:
        raise KnowledgeBaseError(f"база знаний {path.name}: не удалось прочитать ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeBaseError(f"база знаний {path.name}: ошибка TOML: {exc}") from None
    except UnicodeDecodeError:
        raise KnowledgeBaseError(f"база знаний {path.name}: файл не в UTF-8") from None


@dataclass(frozen=True)
class ParsedFile:
    """One knowledge-base file, validated: its plain sections, topics and entries."""

    rest: _KbFile
    topics: list[TopicEntry]
    entries: list[AnswerEntry]
    #: id -> line of its table header, for errors found after parsing (merging).
    lines: dict[str, int]


def parse_file(data: Mapping[str, Any], source: str, text: str = "") -> ParsedFile:
    topics = data.get("topic", [])
    answers = data.get("entry", [])
    for name, value in (("topic", topics), ("entry", answers)):
        if not isinstance(value, list):
            raise KnowledgeBaseError(f"{location_prefix(source)}[[{name}]] должен быть списком записей")
    rest = {k: v for k, v in data.items() if k not in ("topic", "entry")}
    try:
        parsed = _KbFile.model_validate(rest)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise KnowledgeBaseError(f"{location_prefix(source)}раздел {where}: {_describe(exc)}") from None
    topic_lines = _table_lines(text, "topic") if text else []
    entry_lines = _table_lines(text, "entry") if text else []
    topic_items = parse_entries(topics, source, topic_lines)
    entry_items = parse_answers(answers, source, entry_lines)
    lines = {t.id: n for t, n in zip(topic_items, topic_lines, strict=False)}
    lines.update({e.id: n for e, n in zip(entry_items, entry_lines, strict=False)})
    return ParsedFile(parsed, topic_items, entry_items, lines)


def coerce_entries(
    items: Sequence[TopicEntry | Mapping[str, Any]], source: str = ""
) -> list[TopicEntry]:
    """Entries given either as TopicEntry objects or as plain mappings, validated."""
    ready = [item for item in items if isinstance(item, TopicEntry)]
    if len(ready) == len(items):
        return ready
    raw = [
        item.model_dump(exclude_none=True) if isinstance(item, TopicEntry) else item
        for item in items
    ]
    return parse_entries(raw, source)
