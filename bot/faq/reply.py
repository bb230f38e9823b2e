"""The engine's decision as callers see it, and the fixed texts it replies with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["answer", "choice", "unknown", "greeting"]
Messenger = Literal["max", "vk"]
#: The variant of the answers when nobody says which messenger the asker uses.
DEFAULT_MESSENGER: Messenger = "max"

UNKNOWN_TEXT = (
    "Пока не знаю ответа на этот вопрос. Выберите тему в меню или передайте вопрос "
    "ответственному — кто поможет: {responsible}."
)
CHOOSE_TEXT = "Уточните, пожалуйста, о чём вопрос:"
SMALLTALK_FALLBACK = "Здравствуйте! Чем помочь со Сферумом?"

@dataclass(frozen=True)
class FaqAnswer:
    """The bot's decision for one question (see the `ask --json` spec for the fields)."""

    question: str
    topic: str | None
    confidence: float
    kind: Kind
    answer: str
    alternatives: list[str] = field(default_factory=list)
    #: The answer entry used (kind "answer" only).
    entry: str | None = None
    #: The topic's other entries, offered as buttons under the answer.
    related: list[str] = field(default_factory=list)
    #: The entries a "choice" offers, best first.
    options: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The object `sferum-bot ask --json` prints for this answer."""
        return {
            "question": self.question,
            "topic": self.topic,
            "confidence": round(self.confidence, 4),
            "answer": self.answer,
            "alternatives": list(self.alternatives),
            "kind": self.kind,
            "entry": self.entry if self.kind == "answer" else None,
        }


def clarifying_question(titles: Sequence[str]) -> str:
    """One short question that offers the candidate answers by their titles."""
    if len(titles) == 2:
        return f"Уточните, пожалуйста, что вы имели в виду: «{titles[0]}» или «{titles[1]}»?"
    lines = [CHOOSE_TEXT] + [f"{n}. {title}" for n, title in enumerate(titles, start=1)]
    return "\n".join(lines)
