"""Russian agreement for what people read: numbers with nouns, names in context, gender.

One place for it, so texts never pick word forms by hand:
- `count(3, "сообщение")` → «3 сообщения»; `count(5, "неподтверждённый чат")` → «5
  неподтверждённых чатов»; `count(2, "сообщение", case="gent")` → «2 сообщений» (after
  «меньше», «не меньше», «из», «до»).
- `name_in(full_name, "datv")` → «Ивановой Марии Петровне»; `short_name_in(…, "gent")` →
  «Ивановой М. П.»; `gender_of(full_name)` → "f" | "m" | None; `by_gender(…)` picks
  «напомнил» or «напомнила».

Cases are pymorphy3's tags: nomn, gent, datv, accs, ablt (instrumental), loct (prepositional).
Surnames follow the rules of Russian grammar (by ending and gender), since pymorphy3's
dictionary often reads «Иванова» as a man's genitive; first names and patronymics come from
its dictionary (tags Name, Patr).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

import pymorphy3

Case = Literal["nomn", "gent", "datv", "accs", "ablt", "loct"]
Gender = Literal["m", "f"]
CASES: tuple[Case, ...] = ("nomn", "gent", "datv", "accs", "ablt", "loct")

_MORPH: pymorphy3.MorphAnalyzer | None = None


def morph() -> pymorphy3.MorphAnalyzer:
    """The module's pymorphy3 analyzer, loaded on first use (never at import time)."""
    global _MORPH
    if _MORPH is None:
        _MORPH = pymorphy3.MorphAnalyzer()
    return _MORPH


# --- numbers and nouns ---------------------------------------------------------------------

# Counted forms pymorphy3 gets «wrong» for counting: «5 человек», not «5 людей».
_COUNTED_PLURAL_GENT = {"человек": "человек"}


def _form(n: int) -> Literal["one", "few", "many"]:
    tail = abs(n) % 100
    if 11 <= tail <= 14:
        return "many"
    if tail % 10 == 1:
        return "one"
    if 2 <= tail % 10 <= 4:
        return "few"
    return "many"


@lru_cache(maxsize=2048)
def _agree_word(word: str, n: int, case: Case) -> str:
    parsed = morph().parse(word)
    if not parsed:
        return word
    best = next((p for p in parsed if p.tag.POS in ("NOUN", "ADJF", "PRTF") and "nomn" in p.tag), parsed[0])
    if case != "nomn" and case != "accs":
        # After «меньше», «из», «до» the count is in that case: 1 → singular, others → plural.
        form = best.inflect({"sing" if _form(n) == "one" else "plur", case})
        if form is None:
            return word
        if case == "gent" and _form(n) != "one":
            return _COUNTED_PLURAL_GENT.get(word, str(form.word))
        return str(form.word)
    agreed = best.make_agree_with_number(abs(n))
    if agreed is None:
        return word
    if _form(n) == "many":
        return _COUNTED_PLURAL_GENT.get(word, str(agreed.word))
    return str(agreed.word)


@lru_cache(maxsize=4096)  # a regional wave writes the same few numbers and words tens of thousands of times
def agree(n: int, phrase: str, case: Case = "nomn") -> str:
    """The words of `phrase` (adjectives and a noun, in the nominative) agreed with the number `n`."""
    words = phrase.split()
    return " ".join(_keep_case(w, _agree_word(w.lower(), n, case)) for w in words)


def count(n: int, phrase: str, case: Case = "nomn") -> str:
    """«3 сообщения», «21 звонок», «11 звонков»; `case="gent"` for «меньше 3 сообщений»."""
    return f"{n} {agree(n, phrase, case)}"


def _keep_case(original: str, word: str) -> str:
    return word[:1].upper() + word[1:] if original[:1].isupper() else word


# --- names ---------------------------------------------------------------------------------

_FEMALE_PATR = re.compile(r"(?:вна|чна|кызы|гызы)$")
_MALE_PATR = re.compile(r"(?:вич|ич|оглы|улы|уулу)$")
_INDECLINABLE_SURNAME = re.compile(r"(?:[оеиую]|ых|их|аго|яго)$")


def _parts(full_name: str) -> list[str]:
    return [p for p in full_name.split() if p]


def gender_of(full_name: str) -> Gender | None:
    """A person's gender from the patronymic, else the first name, else the surname (None if unsure)."""
    parts = _parts(full_name)
    words = [p.lower().replace("ё", "е") for p in parts]
    if len(words) >= 3:
        if _FEMALE_PATR.search(words[2]):
            return "f"
        if _MALE_PATR.search(words[2]):
            return "m"
    if len(words) >= 2 and "." not in words[1]:
        for p in morph().parse(parts[1]):
            if "Name" in p.tag and p.score >= 0.1 and p.tag.gender in ("masc", "femn"):
                return "f" if p.tag.gender == "femn" else "m"
    if words:
        last = words[0]
        if re.search(r"(?:ова|ева|ина|ына|ская|цкая)$", last):
            return "f"
        if re.search(r"(?:ов|ев|ин|ын|ский|цкий)$", last):
            return "m"
    return None


def by_gender(full_name: str, male: str, female: str, unknown: str | None = None) -> str:
    """`male` or `female` by the person's gender; `unknown` (by default `male`) when unsure."""
    gender = gender_of(full_name)
    if gender == "f":
        return female
    if gender == "m":
        return male
    return unknown if unknown is not None else male


# Endings of surnames that decline like «Иванов(а)» and like adjectives («Толстой», «Белая»).
_POSSESSIVE = {
    "m": {"gent": "а", "datv": "у", "accs": "а", "ablt": "ым", "loct": "е"},
    "f": {"gent": "ой", "datv": "ой", "accs": "у", "ablt": "ой", "loct": "ой"},
}
_ADJECTIVE_F = {"gent": "ой", "datv": "ой", "accs": "ую", "ablt": "ой", "loct": "ой"}


def _surname(word: str, gender: Gender | None, case: Case) -> str:
    if case == "nomn" or "-" in word and not all(word.split("-")):
        return word
    if "-" in word:  # «Петрова-Водкина»: both halves decline
        return "-".join(_surname(part, gender, case) for part in word.split("-"))
    low = word.lower().replace("ё", "е")
    if gender == "f":
        if re.search(r"(?:ова|ева|ина|ына)$", low):
            return word[:-1] + _POSSESSIVE["f"][case]
        if re.search(r"(?:ая|яя)$", low):
            return word[:-2] + _ADJECTIVE_F[case]
        if re.search(r"[ая]$", low) and len(low) > 2:
            return _as_noun(word, case, "femn")
        return word  # «Ким», «Шевченко», «Черных»: a woman's surname on a consonant does not change
    if gender == "m":
        if re.search(r"(?:ов|ев|ин|ын)$", low):
            return word + _POSSESSIVE["m"][case]
        if re.search(r"(?:ский|цкий|ой|ый|ий)$", low):
            return _as_adjective(word, case)
        if _INDECLINABLE_SURNAME.search(low):
            return word
        if re.search(r"[ая]$", low):
            return _as_noun(word, case, "femn")
        return _as_noun(word, case, "masc")
    return word  # gender unknown: a wrong form reads worse than the nominative


def _as_noun(word: str, case: Case, gender: str) -> str:
    for p in morph().parse(word):
        if "Abbr" in p.tag or "Geox" in p.tag:
            continue
        # A common-gender surname's tag reads "ms-f", which pymorphy3 does not report as `tag.gender`.
        if p.tag.POS == "NOUN" and "nomn" in p.tag and "sing" in p.tag and (p.tag.gender == gender or "ms-f" in p.tag):
            if "Fixd" in p.tag:
                return word
            form = p.inflect({"sing", case})
            if form is not None:
                return _keep_case(word, form.word)
    if gender == "masc":  # an unknown consonant surname: regular endings
        return word + {"gent": "а", "datv": "у", "accs": "а", "ablt": "ом", "loct": "е"}[case]
    stem = word[:-1]
    return stem + {"gent": "ы", "datv": "е", "accs": "у", "ablt": "ой", "loct": "е"}[case]


def _as_adjective(word: str, case: Case) -> str:
    for p in morph().parse(word):
        if p.tag.POS == "ADJF" and "masc" in p.tag and "nomn" in p.tag:
            form = p.inflect({"masc", "sing", case})
            if form is not None:
                return _keep_case(word, form.word)
    stem, ending = word[:-2], word[-2:].lower()
    soft = ending == "ий" and stem[-1:].lower() not in "кгх"
    table = {"gent": "его" if soft else "ого", "datv": "ему" if soft else "ому", "accs": "его" if soft else "ого",
             "ablt": "им" if soft or stem[-1:].lower() in "кгх" else "ым", "loct": "ем" if soft else "ом"}
    return stem + table[case]


def _given(word: str, case: Case, gender: Gender | None, tag: str) -> str:
    if case == "nomn" or "." in word or len(word) < 2:
        return word
    want = {"m": "masc", "f": "femn"}.get(gender or "")
    for p in morph().parse(word):
        if tag in p.tag and "nomn" in p.tag and "sing" in p.tag and (want is None or p.tag.gender == want):
            form = p.inflect({"sing", case})
            if form is not None:
                return _keep_case(word, form.word)
    return word


def name_in(full_name: str, case: Case) -> str:
    """«Иванова Мария Петровна» in `case`: «Ивановой Марии Петровны» (gent), «… Петровне» (datv)."""
    parts = _parts(full_name)
    if not parts or case == "nomn":
        return full_name
    gender = gender_of(full_name)
    out = [_surname(parts[0], gender, case)]
    if len(parts) >= 2:
        out.append(_given(parts[1], case, gender, "Name"))
    if len(parts) >= 3:
        out.append(_given(parts[2], case, gender, "Patr"))
    out += parts[3:]
    return " ".join(out)


def short_name(full_name: str) -> str:
    """«Иванова М. П.» from «Иванова Мария Петровна»."""
    parts = _parts(full_name)
    if len(parts) < 2:
        return full_name
    return parts[0] + " " + " ".join(p[0] + "." for p in parts[1:3] if p)


def short_name_in(full_name: str, case: Case) -> str:
    """The short name with the surname in `case`: «у Ивановой М. П.», «Петрову И. С.»."""
    parts = _parts(full_name)
    if not parts:
        return full_name
    short = short_name(full_name).split()
    short[0] = _surname(parts[0], gender_of(full_name), case)
    return " ".join(short)


def first_and_middle_in(full_name: str, case: Case) -> str:
    """«Марии Петровне» (datv) — the polite address without the surname."""
    parts = _parts(full_name)
    if len(parts) < 2:
        return ""
    gender = gender_of(full_name)
    out = [_given(parts[1], case, gender, "Name")]
    if len(parts) >= 3:
        out.append(_given(parts[2], case, gender, "Patr"))
    return " ".join(out)
