"""Splitting a message into clauses and finding the one that asks.

A long message tells a story around its question; the engine scores the asking clause
on its own and lets the story's words weigh less.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: Clause ends; a dot only before a space or the end, so «web.max.ru» stays one clause.
CLAUSE_RE = re.compile(r"[,!?;:\n]+|\.+(?=\s|$)")
#: Words that make a clause ask something.
QUESTION_WORDS = frozenset(
    {"как", "где", "что", "почему", "зачем", "куда", "кто", "когда", "какой", "можно", "ли",
     "нужно", "надо", "сколько", "чей", "каков", "обязательно"}
)

#: Particles that make a question word indefinite: «какой-то макс», «кто-нибудь».
_INDEFINITE = frozenset({"то", "нибудь", "нибыть", "либо"})


def asks(words: Sequence[str]) -> bool:
    """Whether lemmas `words` have a question word that is not an indefinite pronoun
    («все говорят про какой-то макс» asks nothing)."""
    return any(
        w in QUESTION_WORDS and (n + 1 == len(words) or words[n + 1] not in _INDEFINITE)
        for n, w in enumerate(words)
    )


#: Third-person pronouns and «туда», «там»: a clause with one («как их туда добавить») points
#: back to the story for its object or place, so the story keeps its weight and the clause alone
#: weighs less (ANAPHORA_WEIGHT in bot/faq/tuning.py).
ANAPHORA = frozenset({"он", "она", "оно", "они", "туда", "там", "это"})


#: Words that state what the asker wants: «хочу, чтобы писала только я» is the question
#: when the message ends with one that points back to it («как это настроить?»).
WANTS = frozenset({"хотеть", "нужно"})


#: A clause of only these words hedges what follows: «Может, нужно создать классы?».
_HEDGES = frozenset({"может", "быть", "наверное", "или", "а"})


def hedges(clause: str) -> bool:
    """Whether `clause` is only a hedge («может», «может быть», «или»)."""
    words = clause.lower().split()
    return bool(words) and "может" in words and all(w in _HEDGES for w in words)


#: A comma before a purpose, cause, relative or «что» clause does not end the question: «как дать им
#: ссылку, чтобы они подключились» asks one thing.
_SUBORDINATE_RE = re.compile(
    r",\s*(?=(?:чтобы|если|потому что|так как|котор[а-яё]+"
    r"|что(?!\s+(?:делать|это|значит|такое|за|мне|нам|теперь|дальше|сейчас|с|именно|же|ли|не|нужно|надо|можно|делают)\b))\b)",
    re.IGNORECASE,
)


def _glued(question: str) -> str:
    return _SUBORDINATE_RE.sub(" ", question)


def split_clauses(question: str) -> list[str]:
    """The non-empty clauses of `question`, in order."""
    return [c for c in CLAUSE_RE.split(_glued(question)) if c.strip()]


def marked_clauses(question: str) -> frozenset[int]:
    """Indices (among the non-empty clauses) of the clauses that end with «?»."""
    question = _glued(question)
    pieces = CLAUSE_RE.split(question)
    ends = [m.group(0) for m in CLAUSE_RE.finditer(question)] + [""]
    marked: list[bool] = []
    for piece, end in zip(pieces, ends, strict=False):
        if piece.strip():
            marked.append("?" in end)
        elif marked and "?" in end:
            marked[-1] = True
    return frozenset(n for n, m in enumerate(marked) if m)


def question_clause(question: str) -> int:
    """Index (among the non-empty clauses) of the clause that asks: the last one, unless
    it has no «?» and an earlier one does («нам тоже надо регистрироваться? как это
    сделать, там вроде роль сотрудник»): then the last clause that ends with «?»."""
    question = _glued(question)
    pieces = CLAUSE_RE.split(question)
    ends = [m.group(0) for m in CLAUSE_RE.finditer(question)] + [""]
    marked: list[bool] = []
    tail = ""
    for piece, end in zip(pieces, ends, strict=False):
        if piece.strip():
            marked.append("?" in end)
            tail = ""
        tail += end
    if not marked:
        return 0
    if marked[-1] or "?" in tail or not any(marked):
        return len(marked) - 1
    return max(n for n, m in enumerate(marked) if m)
