"""Knowledge base: topics, synonyms and small talk loaded from TOML and validated.

The bundled ``kb.toml`` holds every topic of the spec. A school file in the same
format can override fields of existing topics or add school-specific topics, and entries
coming from the database (``extra``) take precedence over both. Reading and validating
the files lives in `bot.faq.kbfile`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from bot.faq.kbfile import (
    AnswerEntry,
    KnowledgeBaseError,
    ParsedFile,
    TopicEntry,
    coerce_entries,
    location_prefix,
    parse_file,
    read_toml,
)

#: The messengers an answer can be written for; the asker's one picks the variant.
MESSENGERS: tuple[str, ...] = ("max", "vk")
#: Name of the entry that carries a school's own answer for a whole topic.
SCHOOL_ENTRY = "school"

#: Topic ids fixed by the published FAQ topics specification; they never change once published.
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
    #: Services outside the platform that look like this topic's (kbfile.TopicEntry.outside).
    outside: tuple[str, ...] = ()
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
                    f"{location_prefix(source, lines, answer.id)}запись \"{answer.id}\": "
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


def _apply(
    base: Topic | None, entry: TopicEntry, source: str, lines: Mapping[str, int] | None = None
) -> Topic:
    where = location_prefix(source, lines, entry.id)
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
            outside=tuple(entry.outside or ()),
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
        outside=tuple(entry.outside) if entry.outside is not None else base.outside,
        school_answer=base.school_answer or bool(entry.answer),
    )


def _apply_entry(
    base: Entry | None, item: AnswerEntry, source: str, lines: Mapping[str, int] | None = None
) -> Entry:
    where = location_prefix(source, lines, item.id)
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
    data, text = read_toml(path)
    parsed = parse_file(data, path.name, text)
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
        edata, etext = read_toml(epath)
        eparsed = parse_file(edata, epath.name, etext)
        kb = kb.merged(eparsed.topics, epath.name, lines=eparsed.lines)
        kb = _add_entries(kb, eparsed, epath.name, bundled=True)
    _check_bundled(kb, path.name)
    if overrides_path is not None:
        school = Path(overrides_path)
        sdata, stext = read_toml(school)
        sparsed = parse_file(sdata, school.name, stext)
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


def _add_entries(kb: KnowledgeBase, parsed: ParsedFile, source: str, *, bundled: bool) -> KnowledgeBase:
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
