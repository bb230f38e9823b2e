"""Labelled questions: teachers' questions with the topic that answers them.

A file holds one question per line, `topic<TAB>question`; the topic is a topic id, `none` for a
question the bot should hand off (it is not about Сферум), or several ids joined by «|» when
either answers it. `faq-eval` measures the engine on such files, and the files bundled in
`bot/faq/questions/` also train the learned classifier (bot/faq/learned.py) beside the
knowledge base's phrasings: real questions teach it how people word things, which the
phrasings, written to be clear, do not.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from importlib import resources
from pathlib import Path

from bot.faq.kbfile import KnowledgeBaseError

#: Joins the accepted topics of one question («web_version|max»).
ALTERNATIVE_SEP = "|"
#: The label of a question that is not about Сферум.
NONE_LABEL = "none"
#: A bundled question's share of the classifier's loss, as a phrasing's (round thirteen:
#: twice that scored alike on the blind sets; see tests/faq/test_accuracy.py).
QUESTION_WEIGHT = 1.0

Rows = list[tuple[str, str]]


def bundled_questions_dir() -> Path:
    """The folder of labelled questions shipped with the bot."""
    return Path(str(resources.files("bot.faq").joinpath("questions")))


def parse_labelled(text: str, source: str, known: Iterable[str]) -> Rows:
    """`(expected, question)` pairs of a file's text; blank lines skipped. Raises
    KnowledgeBaseError naming the file and line of the first bad row."""
    topics = set(known)
    rows: Rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise KnowledgeBaseError(f"{source}, строка {number}: ожидалось «тема<TAB>вопрос»")
        expected, question = parts[0].strip(), parts[1].strip()
        labels = [label.strip() for label in expected.split(ALTERNATIVE_SEP)]
        for label in labels:
            if not label:
                raise KnowledgeBaseError(f"{source}, строка {number}: пустая тема в «{expected}»")
            if label != NONE_LABEL and label not in topics:
                raise KnowledgeBaseError(f"{source}, строка {number}: неизвестная тема «{label}»")
        rows.append((ALTERNATIVE_SEP.join(labels), question))
    return rows


def question_key(question: str) -> str:
    """What makes two questions the same, case and spacing aside (a training question must not
    be one of a set that measures the engine)."""
    return " ".join(question.lower().split())


def accepted(expected: str) -> set[str | None]:
    """The topics (None for `none`) that count as right for an expected label."""
    return {None if t == NONE_LABEL else t for t in expected.split(ALTERNATIVE_SEP)}


def bundled_questions(known: Iterable[str]) -> Rows:
    """The labelled questions shipped with the bot, file by file in name order."""
    topics = set(known)
    rows: Rows = []
    for path in sorted(bundled_questions_dir().glob("*.tsv")):
        rows += parse_labelled(path.read_text(encoding="utf-8"), path.name, topics)
    return rows


def question_samples(
    rows: Sequence[tuple[str, str]],
    features: Callable[[str], list[str]],
    usable: Collection[str],
    weight: float = QUESTION_WEIGHT,
) -> tuple[list[tuple[list[str], str]], list[float]]:
    """Classifier samples and their weights: a `none` question is one sample of the off-topic
    class "" of `weight`, a question with `a|b` two samples of half the weight each. Questions
    with a topic outside `usable` and those with no content word (a greeting) give none."""
    samples: list[tuple[list[str], str]] = []
    weights: list[float] = []
    for expected, question in rows:
        labels = sorted(t or "" for t in accepted(expected))
        if any(label and label not in usable for label in labels):
            continue
        lemmas = features(question)
        if not lemmas:
            continue
        for label in labels:
            samples.append((lemmas, label))
            weights.append(weight / len(labels))
    return samples, weights
