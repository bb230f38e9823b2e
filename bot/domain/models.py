"""Core domain models shared by every feature."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Role(StrEnum):
    """What a person may do follows from the role."""

    TEACHER = "teacher"
    STAFF = "staff"
    DEPUTY = "deputy"
    DIRECTOR = "director"
    # An education official bound to one district ([[district.officials]]): sees that district's schools.
    DISTRICT = "district"
    # An education official of the whole region ([district] official_*_ids): sees every school. Stored as
    # 'district' (the roster's official); the access service gives the role from the settings' binding.
    REGION = "region"

    @property
    def is_admin(self) -> bool:
        """Deputies import, broadcast and approve; directors and the district see summaries."""
        return self in (Role.DEPUTY, Role.DIRECTOR, Role.DISTRICT, Role.REGION)

    @property
    def label(self) -> str:
        return _ROLE_LABELS[self]


_ROLE_LABELS = {
    Role.TEACHER: "учитель",
    Role.STAFF: "сотрудник",
    Role.DEPUTY: "заместитель директора",
    Role.DIRECTOR: "директор",
    Role.DISTRICT: "управление образования",
    Role.REGION: "управление образования региона",
}


# Names of people known only from config.toml, until the roster gives their real names.
CONFIG_NAMES = {
    Role.DIRECTOR: "Директор",
    Role.DEPUTY: "Заместитель директора",
    Role.DISTRICT: "Управление образования",
    Role.REGION: "Управление образования",
}


class Organization(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    timezone: str = "Europe/Moscow"
    inn: str | None = None


class Person(BaseModel):
    """A roster person, possibly bound to a VK account."""

    model_config = ConfigDict(frozen=True)

    id: int
    org_id: str | None
    full_name: str
    role: Role
    vk_id: int | None = None
    classes: tuple[str, ...] = ()
    active: bool = True
    source: str = "roster"
    max_id: int | None = None

    @property
    def short_name(self) -> str:
        """«Иванова А. П.» from «Иванова Анна Петровна»."""
        parts = self.full_name.split()
        if len(parts) < 2:
            return self.full_name
        return parts[0] + " " + " ".join(p[0] + "." for p in parts[1:3] if p)

    @property
    def first_and_middle(self) -> str:
        """How a colleague is addressed: «Анна Петровна»; "" while only the config names them."""
        if self.full_name in CONFIG_NAMES.values():
            return ""
        parts = self.full_name.split()
        return " ".join(parts[1:3]) if len(parts) >= 2 else self.full_name


# Whose role counts when one account is bound to several roster people: the most privileged.
PRIVILEGE_ORDER = (Role.REGION, Role.DISTRICT, Role.DIRECTOR, Role.DEPUTY, Role.TEACHER, Role.STAFF)


def main_person(people: Iterable[Person]) -> Person | None:
    """The main person of an account bound to `people` (the most privileged role wins)."""
    ranked = sorted(people, key=lambda p: PRIVILEGE_ORDER.index(p.role))
    return ranked[0] if ranked else None


class Period(BaseModel):
    """A statistics period: Saturday 00:00 to Friday 23:59 in the school's timezone."""

    model_config = ConfigDict(frozen=True)

    start: dt.date
    end: dt.date

    @classmethod
    def containing(cls, day: dt.date) -> Period:
        """The Saturday-to-Friday period that contains `day`."""
        start = day - dt.timedelta(days=(day.weekday() - 5) % 7)
        return cls(start=start, end=start + dt.timedelta(days=6))

    @classmethod
    def last_completed(cls, now: dt.datetime) -> Period:
        """The period that ended on the most recent Friday (today after 17:00 on a Friday)."""
        friday = now.date() - dt.timedelta(days=(now.weekday() - 4) % 7)
        if friday == now.date() and now.hour < 17:
            friday -= dt.timedelta(days=7)
        return cls.containing(friday)

    def previous(self) -> Period:
        return Period(start=self.start - dt.timedelta(days=7), end=self.end - dt.timedelta(days=7))

    def next(self) -> Period:
        return Period(start=self.start + dt.timedelta(days=7), end=self.end + dt.timedelta(days=7))

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse `2026-11-14..2026-11-20`; ValueError with a Russian message otherwise."""
        try:
            left, right = text.split("..")
            start, end = dt.date.fromisoformat(left.strip()), dt.date.fromisoformat(right.strip())
        except ValueError:
            raise ValueError("период пишется как ГГГГ-ММ-ДД..ГГГГ-ММ-ДД, например 2026-11-14..2026-11-20") from None
        if end < start:
            raise ValueError("конец периода раньше начала")
        return cls(start=start, end=end)

    def __str__(self) -> str:
        return f"{self.start:%d.%m.%Y}–{self.end:%d.%m.%Y}"

    @property
    def key(self) -> str:
        return self.start.isoformat()
