"""Knowledge base: topics, synonyms and small talk loaded from TOML and validated.

The bundled ``kb.toml`` holds every topic of the spec. A school file in the same
format can override fields of existing topics or add school-specific topics, and entries
coming from the database (``extra``) take precedence over both.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from bot.faq.render import unknown_placeholders

MAX_ANSWER_CHARS = 1000
MAX_TITLE_CHARS = 40
TOPIC_ID_PATTERN = r"^[a-z][a-z0-9_]{1,31}$"

#: Topic ids fixed by shared/specs/faq-topics.md; they never change once published.
SPEC_TOPIC_IDS: tuple[str, ...] = (
    "register",
    "login_code",
    "web_version",
    "join_school",
    "role",
    "privacy",
    "class_chats",
    "invite",
    "calls",
    "ejd",
    "monitoring",
    "my_status",
    "org_status",
    "admin",
    "migration",
    "max",
    "rules",
    "contact",
)


class KnowledgeBaseError(Exception):
    """A knowledge-base file or entry is invalid; the message is one Russian line."""


@dataclass(frozen=True)
class Topic:
    """One FAQ topic: a button title, an answer template and what people write about it."""

    id: str
    title: str
    answer: str
    examples: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    avoids: tuple[str, ...] = ()
    school_specific: bool = False


@dataclass(frozen=True)
class SmallTalk:
    """A small-talk category (greeting, thanks...) with its phrases and replies."""

    id: str
    phrases: tuple[str, ...]
    replies: tuple[str, ...]


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything the engine needs, already validated and merged."""

    topics: Mapping[str, Topic]
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    smalltalk: tuple[SmallTalk, ...] = ()
    #: School questions that are not about Сферум (salary, timetable, meetings...): the
    #: engine treats them as a rival «no topic» class so that their words stop pulling
    #: questions into a topic.
    offtopic: tuple[str, ...] = ()

    def merged(self, entries: Iterable[TopicEntry], source: str = "") -> KnowledgeBase:
        """A copy with `entries` applied on top: existing ids are overridden field by field,
        new ids are added as school-specific topics (they need title, answer and examples)."""
        topics = dict(self.topics)
        for entry in entries:
            topics[entry.id] = _apply(topics.get(entry.id), entry, source)
        return replace(self, topics=topics)


class TopicEntry(BaseModel):
    """One ``[[topic]]`` entry as written in a knowledge-base file.

    Every field but ``id`` is optional so that a school file may override only the
    answer of a bundled topic; a new topic must give title, answer and examples.
    For an existing topic ``examples`` and ``keywords`` are added to the bundled ones
    unless ``replace_examples`` is true. ``requires`` lists words of which the question
    must contain at least one for the topic to score fully (``my_status`` needs «я»/«мой»);
    ``avoids`` lists words that point elsewhere: any of them lowers the topic's score
    (registration of staff is not asked about «ученик» or «родитель»).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str | None = None
    answer: str | None = None
    examples: list[str] | None = None
    keywords: list[str] | None = None
    requires: list[str] | None = None
    avoids: list[str] | None = None
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
        if value is None:
            return None
        value = value.strip()
        if not value:
            raise ValueError("пустой заголовок")
        if len(value) > MAX_TITLE_CHARS:
            raise ValueError(f"заголовок длиннее {MAX_TITLE_CHARS} символов")
        return value

    @field_validator("answer")
    @classmethod
    def _check_answer(cls, value: str | None) -> str | None:
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

    @field_validator("examples", "keywords", "requires", "avoids")
    @classmethod
    def _check_phrases(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        cleaned = [v.strip() for v in value]
        if any(not v for v in cleaned):
            raise ValueError("пустая строка в списке примеров или ключевых слов")
        return cleaned


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
    topic: list[dict[str, Any]] = []


def _describe(error: ValidationError) -> str:
    """One Russian phrase for the first pydantic error of an entry."""
    first = error.errors()[0]
    loc = [str(part) for part in first["loc"]]
    name = loc[0] if loc else ""
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
    return f'поле "{name}": неверное значение'


def _apply(base: Topic | None, entry: TopicEntry, source: str) -> Topic:
    if base is None:
        missing = [
            name
            for name, value in (
                ("title", entry.title),
                ("answer", entry.answer),
                ("examples", entry.examples),
            )
            if not value
        ]
        if missing:
            raise KnowledgeBaseError(
                f'{_prefix(source)}запись "{entry.id}": новой теме нужно поле "{missing[0]}"'
            )
        assert entry.title is not None and entry.answer is not None and entry.examples
        return Topic(
            id=entry.id,
            title=entry.title,
            answer=entry.answer,
            examples=tuple(entry.examples),
            keywords=tuple(entry.keywords or ()),
            requires=tuple(entry.requires or ()),
            avoids=tuple(entry.avoids or ()),
            school_specific=True,
        )
    examples = tuple(entry.examples or ())
    keywords = tuple(entry.keywords or ())
    if not entry.replace_examples:
        examples = base.examples + examples
        keywords = base.keywords + keywords
    elif not examples:
        raise KnowledgeBaseError(
            f'{_prefix(source)}запись "{entry.id}": replace_examples без списка examples'
        )
    return replace(
        base,
        title=entry.title or base.title,
        answer=entry.answer or base.answer,
        examples=examples,
        keywords=keywords,
        requires=tuple(entry.requires) if entry.requires is not None else base.requires,
        avoids=tuple(entry.avoids) if entry.avoids is not None else base.avoids,
    )


def _prefix(source: str) -> str:
    return f"база знаний {source}: " if source else "база знаний: "


def parse_entries(raw: Sequence[Mapping[str, Any]], source: str = "") -> list[TopicEntry]:
    """Validate raw ``[[topic]]`` tables (or dicts from the database) into entries.

    Raises KnowledgeBaseError naming the entry by id (or number) and the problem.
    """
    entries: list[TopicEntry] = []
    seen: set[str] = set()
    for number, item in enumerate(raw, start=1):
        raw_id = item.get("id") if isinstance(item, Mapping) else None
        label = f'"{raw_id}"' if isinstance(raw_id, str) and raw_id else f"№{number}"
        if not isinstance(item, Mapping):
            raise KnowledgeBaseError(f"{_prefix(source)}запись {label}: ожидалась таблица")
        try:
            entry = TopicEntry.model_validate(dict(item))
        except ValidationError as exc:
            raise KnowledgeBaseError(f"{_prefix(source)}запись {label}: {_describe(exc)}") from None
        if entry.id in seen:
            raise KnowledgeBaseError(f"{_prefix(source)}запись {label}: тема повторяется")
        seen.add(entry.id)
        entries.append(entry)
    return entries


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise KnowledgeBaseError(f"база знаний {path.name}: файл не найден ({path})") from None
    except OSError as exc:
        raise KnowledgeBaseError(f"база знаний {path.name}: не удалось прочитать ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeBaseError(f"база знаний {path.name}: ошибка TOML: {exc}") from None
    except UnicodeDecodeError:
        raise KnowledgeBaseError(f"база знаний {path.name}: файл не в UTF-8") from None


def _parse_file(data: Mapping[str, Any], source: str) -> tuple[_KbFile, list[TopicEntry]]:
    topics = data.get("topic", [])
    if not isinstance(topics, list):
        raise KnowledgeBaseError(f"{_prefix(source)}[[topic]] должен быть списком записей")
    rest = {k: v for k, v in data.items() if k != "topic"}
    try:
        parsed = _KbFile.model_validate(rest)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise KnowledgeBaseError(f"{_prefix(source)}раздел {where}: {_describe(exc)}") from None
    return parsed, parse_entries(topics, source)


def bundled_path() -> Path:
    """Path of the knowledge base shipped with the bot."""
    return Path(str(resources.files("bot.faq").joinpath("kb.toml")))


def load_knowledge_base(
    overrides_path: str | Path | None = None,
    extra: Sequence[TopicEntry | Mapping[str, Any]] = (),
    base_path: str | Path | None = None,
) -> KnowledgeBase:
    """Load the bundled knowledge base, then a school file, then `extra` entries on top.

    The bundled file must contain every topic id of the spec with title and answer.
    Raises KnowledgeBaseError with a Russian message naming the file and the entry.
    """
    path = Path(base_path) if base_path is not None else bundled_path()
    parsed, entries = _parse_file(_read_toml(path), path.name)
    topics: dict[str, Topic] = {}
    for entry in entries:
        topics[entry.id] = _apply(None, entry, path.name)
    missing = [tid for tid in SPEC_TOPIC_IDS if tid not in topics]
    if missing:
        raise KnowledgeBaseError(f'база знаний {path.name}: нет темы "{missing[0]}"')
    kb = KnowledgeBase(
        topics=topics,
        synonyms={k: tuple(v) for k, v in parsed.synonyms.items()},
        smalltalk=tuple(
            SmallTalk(id=s.id, phrases=tuple(s.phrases), replies=tuple(s.replies))
            for s in parsed.smalltalk
        ),
        offtopic=tuple(p.strip() for p in parsed.offtopic.phrases if p.strip()),
    )
    if overrides_path is not None:
        school = Path(overrides_path)
        school_parsed, school_entries = _parse_file(_read_toml(school), school.name)
        kb = kb.merged(school_entries, school.name)
        if school_parsed.synonyms:
            synonyms = dict(kb.synonyms)
            for key, values in school_parsed.synonyms.items():
                synonyms[key] = synonyms.get(key, ()) + tuple(values)
            kb = replace(kb, synonyms=synonyms)
        if school_parsed.offtopic.phrases:
            extra_offtopic = tuple(p.strip() for p in school_parsed.offtopic.phrases if p.strip())
            kb = replace(kb, offtopic=kb.offtopic + extra_offtopic)
    if extra:
        kb = kb.merged(coerce_entries(extra, "из базы данных"), "из базы данных")
    return kb


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
