"""Matching names and VK ids from a table to roster people, never guessing silently."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.domain.names import initials_fit, name_key, split_key

_COUNT_WORDS = {2: "двум", 3: "трём", 4: "четырём"}


class PersonLike(Protocol):
    """What matching needs of a person: a roster Person or a lighter row from storage."""

    @property
    def id(self) -> int: ...
    @property
    def org_id(self) -> str | None: ...
    @property
    def full_name(self) -> str: ...
    @property
    def vk_id(self) -> int | None: ...
    @property
    def active(self) -> bool: ...


def _last_name(key: str) -> str:
    head = key.split(maxsplit=1)
    if head and (first := head[0].strip(".")):
        return first  # the usual case: the first word
    for part in key.split():
        part = part.strip(".")
        if part:
            return part
    return ""


@dataclass(frozen=True)
class Match:
    """A person found, or the candidates and a Russian reason why none was chosen."""

    person: PersonLike | None
    candidates: tuple[PersonLike, ...] = ()
    reason: str = ""


@dataclass
class RosterIndex:
    """People of the covered organizations, indexed for fast matching by VK id and name."""

    by_vk: dict[tuple[str | None, int], PersonLike] = field(default_factory=dict)
    # By (school, key) and (school, last name): the one person, or a list of two or more (`_people`).
    # Most keys are one person's: a list for each would be 100,000 more objects for a region's roster.
    by_key: dict[tuple[str | None, str], PersonLike | list[PersonLike]] = field(default_factory=dict)
    by_last: dict[tuple[str | None, str], PersonLike | list[PersonLike]] = field(default_factory=dict)
    # A name written exactly as the roster writes it, for people whose key no one else shares:
    # most rows are found here without normalizing their name (`name_key` is the costliest step).
    # Keyed by the name alone (no tuple per person: a region's roster is 60,000 people); a name that
    # is so in two schools maps to None and is matched by its key.
    by_name: dict[str, PersonLike | None] = field(default_factory=dict)

    @classmethod
    def build(cls, people: Iterable[PersonLike]) -> RosterIndex:
        """Index active people (people who left are not matched)."""
        index = cls()
        by_vk, by_key, by_last = index.by_vk, index.by_key, index.by_last
        for person in people:
            if not person.active:
                continue
            org_id = person.org_id
            if person.vk_id is not None:
                by_vk[(org_id, person.vk_id)] = person
            key = getattr(person, "key", "") or name_key(person.full_name)
            # Usually the first person of the key (one C call); else `_join` makes or extends the list.
            if (had := by_key.setdefault(where := (org_id, key), person)) is not person:
                _join(by_key, where, had, person)
            # The usual key «фамилия имя отчество» gives its last name without `_last_name`'s care.
            last = key.partition(" ")[0]
            where = (org_id, last if last and "." not in last else _last_name(key))
            if (had := by_last.setdefault(where, person)) is not person:
                _join(by_last, where, had, person)
        by_name = index.by_name
        for group in by_key.values():
            if not isinstance(group, list) and (name := group.full_name).strip():
                by_name[name] = None if name in by_name else group
        return index

    def quick(self, org_id: str | None, name: str, vk_id: int | None = None) -> PersonLike | None:
        """The person `match` finds by VK id or by the one exact name, without building a Match;
        None when `match` has more to say (initials, several people, nobody)."""
        if vk_id is not None:
            found = self.by_vk.get((org_id, vk_id))
            if found is not None:
                return found
        found = self.by_name.get(name)
        if found is not None and found.org_id == org_id:
            return found  # the same name gives the same key, and the key is this person's alone
        if not name.strip():
            return None
        exact = self.by_key.get((org_id, name_key(name)))
        return None if isinstance(exact, list) else exact

    def match(self, org_id: str | None, name: str, vk_id: int | None = None) -> Match:
        """The one person this row names: VK id first, then the full name, then initials."""
        found = self.find(org_id, name, vk_id)
        return found if isinstance(found, Match) else Match(found)

    def find(self, org_id: str | None, name: str, vk_id: int | None = None) -> PersonLike | Match:
        """`quick`'s person, else `match`'s Match: the name is normalized once for both."""
        if vk_id is not None:
            found = self.by_vk.get((org_id, vk_id))
            if found is not None:
                return found
        found = self.by_name.get(name)
        if found is not None and found.org_id == org_id:
            return found
        if not name.strip():
            return Match(None, (), "нет ФИО")
        key = name_key(name)
        exact = self.by_key.get((org_id, key))
        if isinstance(exact, list):
            return Match(None, tuple(exact), ambiguous(name, exact))
        if exact is not None:
            return exact
        parts = split_key(key)
        # The people's stored keys (PersonRef.key) spare normalizing each candidate's name again.
        candidates = [p for p in _people(self.by_last.get((org_id, _last_name(key))))
                      if initials_fit(parts, split_key(getattr(p, "key", "") or name_key(p.full_name)))]
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            return Match(None, tuple(candidates), ambiguous(name, candidates))
        return Match(None, (), f"«{name}» нет в списке сотрудников")


def _join(index: dict[tuple[str | None, str], PersonLike | list[PersonLike]], key: tuple[str | None, str],
          had: PersonLike | list[PersonLike], person: PersonLike) -> None:
    """`person` added under `key`, where `had` is already: a list of the two, or one more in the list."""
    if isinstance(had, list):
        had.append(person)
    else:
        index[key] = [had, person]


def _people(found: PersonLike | list[PersonLike] | None) -> list[PersonLike]:
    """The people an index entry holds (none for a missing one)."""
    if found is None:
        return []
    return found if isinstance(found, list) else [found]


def ambiguous(name: str, people: Sequence[PersonLike]) -> str:
    """«Сидоров П.» подходит к двум сотрудникам: Сидоров Пётр Ильич, Сидоров Павел Андреевич."""
    n = len(people)
    word = _COUNT_WORDS.get(n, str(n))
    names = ", ".join(p.full_name for p in people[:5]) + (" и другим" if n > 5 else "")
    return f"«{name}» подходит к {word} сотрудникам: {names}"
