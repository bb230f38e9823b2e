"""Normalizing and matching people's names as they come in tables and chats."""

from __future__ import annotations

import re

_SPACES = re.compile(r"\s+")
_NOT_NAME = re.compile(r"[^a-zа-я\s.\-]")
_CYRILLIC = re.compile(r"[а-я]")
_LATIN_LOOKALIKE = re.compile(r"[aceopxyk]")
# Already a key: Cyrillic words (hyphens allowed) split by single spaces, nothing to fix.
_PLAIN_KEY = re.compile(r"[а-я\-]+(?: [а-я\-]+)*")
# Latin letters that look like Cyrillic ones, as typed by mistake in Russian names.
_LOOKALIKES = str.maketrans("aceopxyk", "асеорхук")


def name_key(full_name: str) -> str:
    """A normalized form for matching: lowercase, ё→е, look-alikes fixed, single spaces."""
    text = full_name.lower().replace("ё", "е")
    if _PLAIN_KEY.fullmatch(text):
        return text  # the usual name: what follows would change nothing
    if _LATIN_LOOKALIKE.search(text) and _CYRILLIC.search(text):
        text = text.translate(_LOOKALIKES)
    text = _NOT_NAME.sub(" ", text).replace(".", ". ")
    return _SPACES.sub(" ", text).strip()


def split_name(full_name: str) -> tuple[str, str, str]:
    """(last, first, middle) from a normalized or raw full name; missing parts are empty."""
    return split_key(name_key(full_name))


def split_key(key: str) -> tuple[str, str, str]:
    """`split_name` of a name `name_key` has normalized already."""
    parts = [p.strip(".") for p in key.split() if p.strip(".")]
    parts += ["", "", ""]
    return parts[0], parts[1], parts[2]


def initials_match(query: str, candidate: str) -> bool:
    """Whether «Иванова А. П.» (or «Иванова Анна») can be «Иванова Анна Петровна»."""
    return initials_fit(split_name(query), split_name(candidate))


def initials_fit(query: tuple[str, str, str], candidate: tuple[str, str, str]) -> bool:
    """`initials_match` of two names split already (`split_key`)."""
    q_last, q_first, q_middle = query
    c_last, c_first, c_middle = candidate
    if not q_last or q_last != c_last:
        return False
    for q, c in ((q_first, c_first), (q_middle, c_middle)):
        if not q:
            continue
        if not c:
            return False
        if len(q) == 1 and c[0] != q:
            return False
        if len(q) > 1 and q != c:
            return False
    return True


def normalize_class(raw: str) -> str:
    """«5 а», «5-А», «5а» → «5А»; anything else stripped and uppercased."""
    text = raw.strip().upper().replace("Ё", "Е")
    match = re.fullmatch(r"(\d{1,2})\s*[-–—]?\s*([А-ЯA-Z]?)", text)
    if match:
        return match.group(1) + match.group(2).translate(str.maketrans("ABCEHKMOPTXY", "АВСЕНКМОРТХУ"))
    return text


def split_classes(raw: str) -> list[str]:
    """«5а, 7б» → ["5А", "7Б"]; empty input → []."""
    items = re.split(r"[;,/\n]+", raw or "")
    return [normalize_class(i) for i in items if i.strip()]
