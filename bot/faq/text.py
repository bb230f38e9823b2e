"""Turning Russian free text into comparable tokens.

Pipeline: `normalize` (case, ё, look-alike Latin letters, repeated letters, punctuation)
→ `lemma` (pymorphy3, cached) → `Vocabulary.features` (typo repair against the knowledge
base, synonyms, stop words).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

import pymorphy3
from rapidfuzz import fuzz, process

# Latin letters that look like Cyrillic ones; people (and autocorrect) mix them in words.
_LOOKALIKES = str.maketrans(
    {
        "a": "а",
        "b": "в",
        "c": "с",
        "e": "е",
        "h": "н",
        "k": "к",
        "m": "м",
        "o": "о",
        "p": "р",
        "t": "т",
        "x": "х",
        "y": "у",
        "u": "и",
        "r": "г",
        "n": "п",
    }
)
_TOKEN_RE = re.compile(r"[a-zа-я0-9]+")
_CYRILLIC_RE = re.compile(r"[а-я]")
_LATIN_RE = re.compile(r"[a-z]")
_RUN_RE = re.compile(r"(.)\1{2,}")
_DOUBLE_RE = re.compile(r"(.)\1")
# Past-tense endings and the infinitive ending they come from, reflexive ones first.
_PAST_ENDINGS: tuple[tuple[str, str], ...] = (
    ("лась", "ться"),
    ("лся", "ться"),
    ("лись", "ться"),
    ("лось", "ться"),
    ("ла", "ть"),
    ("ли", "ть"),
    ("ло", "ть"),
    ("л", "ть"),
)

#: Words that carry no topic: prepositions, conjunctions, particles, question words,
#: politeness. Pronouns stay: «мой», «у меня» tell `my_status` from `monitoring`.
STOP_WORDS: frozenset[str] = frozenset(
    [
        "и",
        "в",
        "во",
        "на",
        "с",
        "со",
        "к",
        "ко",
        "по",
        "из",
        "за",
        "от",
        "до",
        "у",
        "о",
        "об",
        "обо",
        "для",
        "при",
        "про",
        "над",
        "под",
        "через",
        "без",
        "а",
        "но",
        "или",
        "ли",
        "же",
        "бы",
        "то",
        "это",
        "этот",
        "тот",
        "такой",
        "так",
        "вот",
        "уже",
        "еще",
        "ну",
        "да",
        "нет",
        "не",
        "ни",
        "просто",
        "пожалуйста",
        "вообще",
        "как",
        "что",
        "где",
        "когда",
        "почему",
        "зачем",
        "какой",
        "каков",
        "куда",
        "откуда",
        "сколько",
        "чей",
        "который",
        "ли",
        "либо",
        "подсказать",
        "сказать",
        "помочь",
        "помогите",
        "подскажите",
        "скажите",
        "привет",
        "здравствовать",
        "здравствуйте",
        "спасибо",
        "спс",
        "благодарить",
        "добрый",
        "день",
        "утро",
        "вечер",
        "уважаемый",
        "коллега",
        "бот",
        "ты",
        "вы",
        "быть",
        "есть",
        "весь",
        "свой",
        "самый",
        "там",
        "тут",
        "здесь",
        "сейчас",
        "теперь",
        "тогда",
        "если",
        "чтобы",
        "очень",
        "ваш",
        "наш",
        "он",
        "она",
        "они",
        "оно",
        "его",
        "её",
        "ее",
        "их",
        "им",
        "ему",
        "ей",
        "мочь",
        "хотеть",
        "получаться",
        "получиться",
        "значит",
        "вообще",
        "ведь",
        "разве",
        "ладно",
        "типа",
        "вроде",
        "видимо",
        "наверное",
        "похоже",
        # Colloquial fillers: «чё там у меня», «щас», «короче».
        "че",
        "чо",
        "шо",
        "чего",
        "щас",
        "короче",
        "блин",
        "кстати",
        "перед",
        "даже",
        "совсем",
        "прям",
        "прямо",
        # Words about understanding rather than about a subject: «не понимаю как», «пошагово».
        "понимать",
        "понять",
        "знать",
        "узнать",
        "объяснить",
        "объяснять",
        "разобраться",
        "разбираться",
        "подробно",
        "пошагово",
        "срочно",
        "ситуация",
        # Rambling openings and addresses: «девочки, слышала…», «извините за беспокойство».
        "девочка",
        "девчонка",
        "девчата",
        "слышать",
        "говорить",
        "правда",
        "извинить",
        "извиняться",
        "беспокойство",
        "беспокоить",
        "заранее",
        "недавно",
        "интересовать",
        "нибудь",
        "нибыть",
        "пожалуста",
        "пожалуйсто",
        "пжл",
        "пж",
        "плиз",
        "все",
        "туда",
        "сюда",
        "тоже",
        "также",
        "пока",
    ]
)

_MORPH: pymorphy3.MorphAnalyzer | None = None


def morph() -> pymorphy3.MorphAnalyzer:
    """The shared pymorphy3 analyzer (loading dictionaries takes ~0.15 s, do it once)."""
    global _MORPH
    if _MORPH is None:
        _MORPH = pymorphy3.MorphAnalyzer()
    return _MORPH


def _fix_lookalikes(token: str) -> str:
    if _CYRILLIC_RE.search(token) and _LATIN_RE.search(token):
        return token.translate(_LOOKALIKES)
    return token


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens with ё→е, look-alike Latin letters fixed, runs collapsed."""
    lowered = text.lower().replace("ё", "е")
    tokens = []
    for raw in _TOKEN_RE.findall(lowered):
        token = _RUN_RE.sub(r"\1", _fix_lookalikes(raw))
        tokens.append(token)
    return tokens


def normalize(text: str) -> str:
    """`tokenize` joined by single spaces: «Cферум, ВОТСАП!!!» → «сферум вотсап»."""
    return " ".join(tokenize(text))


#: Forms whose first pymorphy3 reading is wrong in questions to the bot: «данные» is the
#: noun (data), not the participle of «дать» (which would read «где эти данные» as giving).
_LEMMAS = {"данные": "данные"}


@lru_cache(maxsize=65536)
def lemma(token: str) -> str:
    """Normal form of one normalized token, with ё→е; digits and Latin kept as they are."""
    if not _CYRILLIC_RE.search(token):
        return token
    if token in _LEMMAS:
        return _LEMMAS[token]
    return str(morph().parse(token)[0].normal_form).replace("ё", "е")


#: Parts of speech (pymorphy3 tags) that never say what a question asks: pronouns
#: («мы», «сам», «свой»), particles, conjunctions, prepositions, interjections, numerals.
_FUNCTION_TAGS = frozenset({"NPRO", "Apro", "PRCL", "CONJ", "PREP", "INTJ", "NUMR", "PRED"})


@lru_cache(maxsize=65536)
def _readings(token: str) -> tuple[str, ...]:
    """Normal forms of the dictionary readings of `token` after the first one."""
    parses = morph().parse(token)
    # A form that can be a function word or a parenthetical («видимо», «чем») is one.
    if any(t in p.tag for p in parses for t in (*_FUNCTION_TAGS, "Prnt")):
        return ()
    return tuple(str(p.normal_form).replace("ё", "е") for p in parses[1:] if p.is_known)


def _known_reading(token: str, known: Mapping[str, str]) -> str | None:
    """A later reading of `token` whose normal form is one of `known` words, if any."""
    return next((r for r in _readings(token) if r in known), None)


@lru_cache(maxsize=65536)
def is_function_word(word: str) -> bool:
    """Whether a (lemmatized) Cyrillic word is a pronoun, particle or the like."""
    if not _CYRILLIC_RE.search(word):
        return False
    tag = morph().parse(word)[0].tag
    return any(t in tag for t in _FUNCTION_TAGS)


@lru_cache(maxsize=65536)
def is_known(token: str) -> bool:
    """Whether pymorphy3 knows the word from its dictionary (rather than guessing)."""
    if not _CYRILLIC_RE.search(token):
        return True
    return bool(morph().word_is_known(token))


def lemmas(text: str) -> list[str]:
    """Lemmas of every token of `text`, stop words included."""
    return [lemma(t) for t in tokenize(text)]


class Vocabulary:
    """Synonyms, stop words and typo repair bound to one knowledge base's words.

    `features(text)` is what the index and the queries are built from.
    """

    def __init__(self, synonyms: Mapping[str, Iterable[str]]) -> None:
        # Phrase (tuple of lemmas) -> canonical token. Longest phrases are tried first.
        self._phrases: dict[tuple[str, ...], str] = {}
        for canonical, variants in synonyms.items():
            target = normalize(canonical)
            for variant in variants:
                key = tuple(lemmas(variant))
                if key and key != (target,):
                    self._phrases[key] = target
        #: One-word synonyms, so that a phrase matches whichever variant its words come in
        #: («привязаться к своей оу» is «привязаться к своей школе»).
        self._single: dict[str, str] = {k[0]: t for k, t in self._phrases.items() if len(k) == 1}
        for key, target in list(self._phrases.items()):
            if len(key) > 1:
                self._phrases.setdefault(self._canonical(key), target)
        self._max_phrase = max((len(k) for k in self._phrases), default=1)
        # Surface form or lemma -> lemma, for repairing misspelt words.
        self._known: dict[str, str] = {}
        self._choices: list[str] = []
        self._repairs: dict[str, str | None] = {}

    def _canonical(self, words: Sequence[str]) -> tuple[str, ...]:
        return tuple(self._single.get(w, w) for w in words)

    def signature(self) -> tuple[tuple[tuple[tuple[str, ...], str], ...], tuple[tuple[str, str], ...]]:
        """Equal for two vocabularies that turn every text into the same lemmas (the same
        synonyms and known words), so that what one computed the other may reuse."""
        return tuple(sorted(self._phrases.items())), tuple(sorted(self._known.items()))

    def learn(self, texts: Iterable[str]) -> None:
        """Add the words of `texts` to the typo-repair vocabulary."""
        for text in texts:
            for token in tokenize(text):
                if len(token) >= 4 and _CYRILLIC_RE.search(token):
                    self._known.setdefault(token, lemma(token))
                    self._known.setdefault(lemma(token), lemma(token))
        for key in self._phrases:
            for word in key:
                if len(word) >= 4:
                    self._known.setdefault(word, word)
        self._choices = sorted(self._known)
        self._repairs.clear()

    def _repair(self, token: str) -> str:
        """Lemma of `token`, guessing the intended word when pymorphy3 does not know it."""
        guess = lemma(token)
        if guess not in self._known and _CYRILLIC_RE.search(token) and not is_function_word(guess):
            # An ambiguous form takes the reading the knowledge base uses: «перешли» is
            # «перейти» here, not «переслать».
            guess = _known_reading(token, self._known) or guess
        if guess.startswith("не") and guess not in self._known and len(token) > 5:
            # «неподтвержденный», «неактивный»: the negation is a stop word anyway.
            rest = token[2:]
            base = self._known.get(rest) or self._known.get(lemma(rest))
            if base is not None:
                return base
        if len(token) < 4 or is_known(token) or guess in self._known or token in self._known:
            return guess
        cached = self._repairs.get(token, "")
        if cached != "":
            return cached or guess
        fixed: str | None = None
        single = _DOUBLE_RE.sub(r"\1", token)
        slang = self._slang_verb(token)
        if single != token and is_known(single):
            fixed = lemma(single)
        elif slang is not None:
            fixed = slang
        elif self._choices:
            cutoff = 80.0 if len(token) >= 6 else 84.0
            found = process.extractOne(token, self._choices, scorer=fuzz.ratio, score_cutoff=cutoff)
            if found is not None:
                fixed = self._known[found[0]]
        self._repairs[token] = fixed
        return fixed or guess

    def _slang_verb(self, token: str) -> str | None:
        """Infinitive of a slang past-tense verb the knowledge base knows: «зарегалась» →
        «зарегаться», «перекинул» → «перекинуть»; pymorphy3 guesses nouns for these."""
        for ending, infinitive in _PAST_ENDINGS:
            if token.endswith(ending) and len(token) > len(ending) + 2:
                candidate = token[: -len(ending)] + infinitive
                if candidate in self._known:
                    return self._known[candidate]
        return None

    def _joined(self, tokens: list[str]) -> list[str]:
        """Tokens with words split by a stray space glued back: «гос услуги» → «госуслуги»,
        when the glued word is one the knowledge base uses and one half is not."""
        out: list[str] = []
        i = 0
        while i < len(tokens):
            if i + 1 < len(tokens):
                first, second = tokens[i], tokens[i + 1]
                glued = first + second
                if (
                    len(glued) >= 6
                    and glued in self._known
                    and (first not in self._known or second not in self._known)
                    and not (is_known(first) and is_known(second) and lemma(glued) == glued)
                ):
                    out.append(glued)
                    i += 2
                    continue
            out.append(tokens[i])
            i += 1
        return out

    def lemmas(self, text: str) -> list[str]:
        """Lemmas after typo repair and synonyms, stop words still in place."""
        words = [self._repair(t) for t in self._joined(tokenize(text))]
        out: list[str] = []
        i = 0
        while i < len(words):
            for size in range(min(self._max_phrase, len(words) - i), 0, -1):
                window = words[i : i + size]
                target = self._phrases.get(tuple(window))
                if target is None and size > 1:
                    target = self._phrases.get(self._canonical(window))
                if target is not None:
                    # A canonical form of several words («найти школа») keeps them all.
                    out.extend(target.split())
                    i += size
                    break
            else:
                out.append(words[i])
                i += 1
        return out

    def features(self, text: str) -> list[str]:
        """Content lemmas of `text`: repaired, synonyms applied, stop words dropped."""
        return [w for w in self.lemmas(text) if w not in STOP_WORDS]


def phrase_keys(phrases: Sequence[str], vocab: Vocabulary) -> list[tuple[str, ...]]:
    """Phrases as lemma tuples, for matching small talk inside a question."""
    return [tuple(vocab.lemmas(p)) for p in phrases if p.strip()]


def lemma_ngrams(features: Sequence[str]) -> set[str]:
    """Character 4-grams of the single-lemma features of 4 letters or more, padded with <>."""
    grams: set[str] = set()
    for feature in features:
        if len(feature) >= 4 and "+" not in feature:
            padded = f"<{feature}>"
            grams.update(padded[i : i + 4] for i in range(len(padded) - 3))
    return grams


def unit_vector(vector: Mapping[str, float]) -> dict[str, float]:
    """`vector` scaled to length 1 (empty when it is all zeros)."""
    norm = math.sqrt(sum(v * v for v in vector.values()))
    if norm == 0:
        return {}
    return {k: v / norm for k, v in vector.items()}
