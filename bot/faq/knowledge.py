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
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from bot.faq.render import unknown_placeholders

MAX_ANSWER_CHARS = 1000
MAX_TITLE_CHARS = 40
TOPIC_ID_PATTERN = r"^[a-z][a-z0-9_]{1,31}$"
ENTRY_ID_PATTERN = r"^[a-z][a-z0-9_]{1,31}\.[a-z][a-z0-9_]{1,31}$"
#: The messengers an answer can be written for; the asker's one picks the variant.
MESSENGERS: tuple[str, ...] = ("max", "vk")
#: Name of the entry that carries a school's own answer for a whole topic.
SCHOOL_ENTRY = "school"

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
    #: The answer was written by the school (its file or its deputy): it replaces the
    #: bundled entries of the topic, as the school knows its own practice best.
    school_answer: bool = False


@dataclass(frozen=True)
class Entry:
    """One short question-answer entry under a topic, with its own phrasings.

    `answer` is the text for every messenger; `vk` and `max` are the variants where the
    steps differ (an asker in MAX gets `max`, in VK gets `vk`, each falling back to `answer`
    and then to the other variant).
    """

    id: str
    title: str
    answer: str = ""
    vk: str = ""
    max: str = ""
    examples: tuple[str, ...] = ()
    school_specific: bool = False

    @property
    def topic(self) -> str:
        """The topic id: the part of the entry id before the dot."""
        return self.id.split(".", 1)[0]

    def text(self, messenger: str) -> str:
        """The answer for an asker in `messenger` ("max" or "vk")."""
        own = self.max if messenger == "max" else self.vk
        other = self.vk if messenger == "max" else self.max
        return own or self.answer or other


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
    #: Answer entries in file order, keyed by `<topic>.<name>`.
    entries: Mapping[str, Entry] = field(default_factory=dict)
    #: Weight factors for lemmas in questions (side words such as «макс» weigh less).
    weights: Mapping[str, float] = field(default_factory=dict)

    def merged(
        self,
        items: Iterable[TopicEntry],
        source: str = "",
        answers: Iterable[AnswerEntry] = (),
        lines: Mapping[str, int] | None = None,
    ) -> KnowledgeBase:
        """A copy with `items` (topics) and `answers` (entries) applied on top: existing ids
        are overridden field by field, new ids are added as school-specific ones."""
        topics = dict(self.topics)
        for item in items:
            topics[item.id] = _apply(topics.get(item.id), item, source, lines)
        entries = dict(self.entries)
        for answer in answers:
            if answer.topic_id not in topics:
                raise KnowledgeBaseError(
                    f"{_prefix(source, lines, answer.id)}запись \"{answer.id}\": "
                    f"нет темы \"{answer.topic_id}\""
                )
            entries[answer.id] = _apply_entry(entries.get(answer.id), answer, source, lines)
        return replace(self, topics=topics, entries=entries)

    def entries_of(self, topic_id: str) -> list[Entry]:
        """The entries that answer `topic_id`, the main one first.

        A topic answered by the school (its file or its deputy) gets that answer as its
        first entry, and the bundled entries step aside; a topic with an answer and no
        entries gets that answer as its only entry.
        """
        topic = self.topics.get(topic_id)
        if topic is None:
            return []
        own = [e for e in self.entries.values() if e.topic == topic_id]
        if topic.school_answer:
            own = [e for e in own if e.school_specific]
        if topic.answer and (topic.school_answer or not own):
            main = Entry(
                id=f"{topic_id}.{SCHOOL_ENTRY}",
                title=topic.title,
                answer=topic.answer,
                examples=(),
                school_specific=topic.school_specific or topic.school_answer,
            )
            own = [main, *[e for e in own if e.id != main.id]]
        return own


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
        return _clean_title(value)

    @field_validator("answer")
    @classmethod
    def _check_answer(cls, value: str | None) -> str | None:
        return _clean_answer(value)

    @field_validator("examples", "keywords", "requires", "avoids")
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


def _apply(
    base: Topic | None, entry: TopicEntry, source: str, lines: Mapping[str, int] | None = None
) -> Topic:
    where = _prefix(source, lines, entry.id)
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
                f'{where}запись "{entry.id}": новой теме нужно поле "{missing[0]}"'
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
        raise KnowledgeBaseError(f'{where}запись "{entry.id}": replace_examples без списка examples')
    return replace(
        base,
        title=entry.title or base.title,
        answer=entry.answer or base.answer,
        examples=examples,
        keywords=keywords,
        requires=tuple(entry.requires) if entry.requires is not None else base.requires,
        avoids=tuple(entry.avoids) if entry.avoids is not None else base.avoids,
        school_answer=base.school_answer or bool(entry.answer),
    )


def _apply_entry(
    base: Entry | None, item: AnswerEntry, source: str, lines: Mapping[str, int] | None = None
) -> Entry:
    where = _prefix(source, lines, item.id)
    if base is None:
        missing = [n for n, v in (("title", item.title), ("examples", item.examples)) if not v]
        if not (item.answer or item.vk or item.max):
            missing.append("answer")
        if missing:
            raise KnowledgeBaseError(f'{where}запись "{item.id}": новой записи нужно поле "{missing[0]}"')
        assert item.title is not None and item.examples
        return Entry(
            id=item.id,
            title=item.title,
            answer=item.answer or "",
            vk=item.vk or "",
            max=item.max or "",
            examples=tuple(item.examples),
            school_specific=True,
        )
    examples = tuple(item.examples or ())
    if not item.replace_examples:
        examples = base.examples + examples
    elif not examples:
        raise KnowledgeBaseError(f'{where}запись "{item.id}": replace_examples без списка examples')
    changed_text = bool(item.answer or item.vk or item.max)
    return replace(
        base,
        title=item.title or base.title,
        # A school that writes its own text for an entry replaces all its variants.
        answer=(item.answer or "") if changed_text else base.answer,
        vk=(item.vk or "") if changed_text else base.vk,
        max=(item.max or "") if changed_text else base.max,
        examples=examples,
        school_specific=base.school_specific or changed_text,
    )


def _prefix(source: str, lines: Mapping[str, int] | None = None, key: str | None = None) -> str:
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
        where = _prefix(source) + (f"строка {line}, " if line else "")
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


def _read_toml(path: Path) -> tuple[dict[str, Any], str]:
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
class _Parsed:
    rest: _KbFile
    topics: list[TopicEntry]
    entries: list[AnswerEntry]
    #: id -> line of its table header, for errors found after parsing (merging).
    lines: dict[str, int]


def _parse_file(data: Mapping[str, Any], source: str, text: str = "") -> _Parsed:
    topics = data.get("topic", [])
    answers = data.get("entry", [])
    for name, value in (("topic", topics), ("entry", answers)):
        if not isinstance(value, list):
            raise KnowledgeBaseError(f"{_prefix(source)}[[{name}]] должен быть списком записей")
    rest = {k: v for k, v in data.items() if k not in ("topic", "entry")}
    try:
        parsed = _KbFile.model_validate(rest)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise KnowledgeBaseError(f"{_prefix(source)}раздел {where}: {_describe(exc)}") from None
    topic_lines = _table_lines(text, "topic") if text else []
    entry_lines = _table_lines(text, "entry") if text else []
    topic_items = parse_entries(topics, source, topic_lines)
    entry_items = parse_answers(answers, source, entry_lines)
    lines = {t.id: n for t, n in zip(topic_items, topic_lines, strict=False)}
    lines.update({e.id: n for e, n in zip(entry_items, entry_lines, strict=False)})
    return _Parsed(parsed, topic_items, entry_items, lines)


def bundled_path() -> Path:
    """Path of the knowledge base shipped with the bot (topics, synonyms, small talk)."""
    return Path(str(resources.files("bot.faq").joinpath("kb.toml")))


def bundled_entries_path() -> Path:
    """Path of the answer entries shipped with the bot."""
    return Path(str(resources.files("bot.faq").joinpath("entries.toml")))


def _check_bundled(kb: KnowledgeBase, source: str) -> None:
    missing = [tid for tid in SPEC_TOPIC_IDS if tid not in kb.topics]
    if missing:
        raise KnowledgeBaseError(f'база знаний {source}: нет темы "{missing[0]}"')
    for topic_id in kb.topics:
        if not kb.entries_of(topic_id):
            raise KnowledgeBaseError(
                f'база знаний {source}: у темы "{topic_id}" нет ни ответа, ни записей [[entry]]'
            )


def load_knowledge_base(
    overrides_path: str | Path | None = None,
    extra: Sequence[TopicEntry | Mapping[str, Any]] = (),
    base_path: str | Path | None = None,
    entries_path: str | Path | None = None,
) -> KnowledgeBase:
    """Load the bundled knowledge base and entries, then a school file, then `extra` on top.

    The bundled files must cover every topic id of the spec, each with entries or an answer.
    Raises KnowledgeBaseError with a Russian message naming the file, the line and the entry.
    """
    path = Path(base_path) if base_path is not None else bundled_path()
    data, text = _read_toml(path)
    parsed = _parse_file(data, path.name, text)
    topics: dict[str, Topic] = {}
    for item in parsed.topics:
        base = _apply(None, item, path.name, parsed.lines)
        # Bundled topics are the project's own, not school-specific.
        topics[item.id] = replace(base, school_specific=False)
    kb = KnowledgeBase(
        topics=topics,
        synonyms={k: tuple(v) for k, v in parsed.rest.synonyms.items()},
        smalltalk=tuple(
            SmallTalk(id=s.id, phrases=tuple(s.phrases), replies=tuple(s.replies))
            for s in parsed.rest.smalltalk
        ),
        offtopic=tuple(p.strip() for p in parsed.rest.offtopic.phrases if p.strip()),
        weights=dict(parsed.rest.weights),
    )
    kb = _add_entries(kb, parsed, path.name, bundled=True)
    if base_path is None or entries_path is not None:
        epath = Path(entries_path) if entries_path is not None else bundled_entries_path()
        edata, etext = _read_toml(epath)
        eparsed = _parse_file(edata, epath.name, etext)
        kb = kb.merged(eparsed.topics, epath.name, lines=eparsed.lines)
        kb = _add_entries(kb, eparsed, epath.name, bundled=True)
    _check_bundled(kb, path.name)
    if overrides_path is not None:
        school = Path(overrides_path)
        sdata, stext = _read_toml(school)
        sparsed = _parse_file(sdata, school.name, stext)
        kb = kb.merged(sparsed.topics, school.name, sparsed.entries, sparsed.lines)
        if sparsed.rest.synonyms:
            synonyms = dict(kb.synonyms)
            for key, values in sparsed.rest.synonyms.items():
                synonyms[key] = synonyms.get(key, ()) + tuple(values)
            kb = replace(kb, synonyms=synonyms)
        if sparsed.rest.offtopic.phrases:
            extra_offtopic = tuple(p.strip() for p in sparsed.rest.offtopic.phrases if p.strip())
            kb = replace(kb, offtopic=kb.offtopic + extra_offtopic)
        if sparsed.rest.weights:
            kb = replace(kb, weights={**kb.weights, **sparsed.rest.weights})
    if extra:
        kb = kb.merged(coerce_entries(extra, "из базы данных"), "из базы данных")
    return kb


def _add_entries(kb: KnowledgeBase, parsed: _Parsed, source: str, *, bundled: bool) -> KnowledgeBase:
    """`parsed`'s entries added to `kb`; bundled ones are not school-specific."""
    if not parsed.entries:
        return kb
    kb = kb.merged((), source, parsed.entries, parsed.lines)
    if bundled:
        ids = {e.id for e in parsed.entries}
        kb = replace(
            kb,
            entries={
                k: replace(v, school_specific=False) if k in ids else v
                for k, v in kb.entries.items()
            },
        )
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
