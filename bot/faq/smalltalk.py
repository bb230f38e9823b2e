"""Small talk: whether a whole message is a greeting, thanks and the like, and the reply."""

from __future__ import annotations

from collections.abc import Sequence

from bot.faq.knowledge import SmallTalk
from bot.faq.reply import SMALLTALK_FALLBACK
from bot.faq.text import STOP_WORDS, Vocabulary, phrase_keys

# Words that may surround small talk without making it a question («как дела у тебя»).
_FILLER = frozenset({"ты", "вы", "у", "очень", "так", "большой", "и", "тебя", "мы"})


class SmallTalkMatcher:
    """Finds the knowledge base's small-talk phrases in a message (as lemma sequences)."""

    def __init__(self, talks: Sequence[SmallTalk], vocab: Vocabulary) -> None:
        self.vocab = vocab
        self._talks = [(talk, phrase_keys(talk.phrases, vocab)) for talk in talks]

    def reply(self, question: str) -> str | None:
        """Reply text when the whole message is small talk (the reply of the phrase found
        first), else None."""
        words = self.vocab.lemmas(question)
        if not words:
            return None
        covered = [False] * len(words)
        first: tuple[int, str] | None = None
        for talk, keys in self._talks:
            for key in keys:
                size = len(key)
                for start in range(len(words) - size + 1):
                    if tuple(words[start : start + size]) == key:
                        for i in range(start, start + size):
                            covered[i] = True
                        if first is None or start < first[0]:
                            first = (start, talk.replies[0] if talk.replies else "")
        if first is None:
            return None
        rest = [
            w
            for w, done in zip(words, covered, strict=True)
            if not done and w not in STOP_WORDS and w not in _FILLER
        ]
        if rest:
            return None
        return first[1] or SMALLTALK_FALLBACK
