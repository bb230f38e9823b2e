"""The orders' weekly indicators as pure rules (the indicators specification of the orders).

Storage aggregates a period's per-person table into `TableCounts` (in SQL, for speed) and
reads the per-organization row as `OrgFigures`; this module turns them into indicators
with counts, shares and changes, the profile status with its reason, registration
against the deadline, and the names behind the weakest indicators. No I/O here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.domain.models import Role
from bot.domain.russian import count

ProfileState = Literal["active", "inactive", "unknown"]

# The indicator ids in the order the orders list them (the JSON keeps this order).
INDICATOR_IDS = ("students_total", "teachers_total", "teachers_created_chats", "teachers_3plus",
                 "teachers_10plus", "teachers_1call", "teachers_ejd", "students_ejd")
TOTALS = ("students_total", "teachers_total")
# Indicators a per-person table gives per teacher: only these have names behind them.
PERSON_INDICATORS = ("teachers_created_chats", "teachers_3plus", "teachers_10plus", "teachers_1call",
                     "teachers_ejd")
# The higher target (10 messages) is never «the weakest»: it is weaker by design.
WEAKEST_CANDIDATES = ("teachers_created_chats", "teachers_3plus", "teachers_1call", "teachers_ejd")
MAX_NAMES = 10


class Thresholds(BaseModel):
    """The orders' targets (settings [thresholds])."""

    model_config = ConfigDict(frozen=True)

    messages: int = 3
    messages_target: int = 10
    calls: int = 1


def label(indicator_id: str, thresholds: Thresholds | None = None) -> str:
    """How an indicator is shown, with the configured thresholds."""
    t = thresholds or Thresholds()
    return {
        "students_total": "Учеников всего",
        "teachers_total": "Учителей всего",
        "teachers_created_chats": "Учителя, создавшие групповые чаты",
        "teachers_3plus": f"Учителя, написавшие ≥ {count(t.messages, 'сообщение', 'gent')} в групповых чатах за неделю",
        "teachers_10plus": f"Учителя, написавшие ≥ {count(t.messages_target, 'сообщение', 'gent')} в групповых чатах за неделю",
        "teachers_1call": f"Учителя, совершившие ≥ {count(t.calls, 'звонок', 'gent')} за неделю",
        "teachers_ejd": "Учителя, связавшие аккаунты ЭЖД",
        "students_ejd": "Ученики, связавшие аккаунты ЭЖД",
    }[indicator_id]


def short_label(indicator_id: str, thresholds: Thresholds | None = None) -> str:
    """A short name for charts, tables and the ranking."""
    t = thresholds or Thresholds()
    return {
        "students_total": "Учеников",
        "teachers_total": "Учителей",
        "teachers_created_chats": "Создали чаты",
        "teachers_3plus": f"≥ {count(t.messages, 'сообщение', 'gent')}",
        "teachers_10plus": f"≥ {count(t.messages_target, 'сообщение', 'gent')}",
        "teachers_1call": f"≥ {count(t.calls, 'звонок', 'gent')}",
        "teachers_ejd": "ЭЖД (учителя)",
        "students_ejd": "ЭЖД (ученики)",
    }[indicator_id]


class TableCounts(BaseModel):
    """A per-person table's period for one school, aggregated.

    `teachers_total` counts people with the teacher role who are registered (all of them
    when the table has no registration column); the activity counts are among teachers;
    a count is None when the table had no such column. `registered_people` counts everyone
    registered (or present, without the column): the profile status rule needs it.
    """

    model_config = ConfigDict(frozen=True)

    rows: int = 0
    teachers_total: int = 0
    teachers_created_chats: int | None = None
    teachers_3plus: int | None = None
    teachers_10plus: int | None = None
    teachers_1call: int | None = None
    teachers_ejd: int | None = None
    registered_people: int = 0
    has_registered: bool = False


class OrgFigures(BaseModel):
    """A per-organization table's row for one school and period."""

    model_config = ConfigDict(frozen=True)

    students_total: int | None = None
    teachers_total: int | None = None
    teachers_created_chats: int | None = None
    teachers_3plus: int | None = None
    teachers_10plus: int | None = None
    teachers_1call: int | None = None
    teachers_ejd: int | None = None
    students_ejd: int | None = None
    status: str | None = None


class Indicator(BaseModel):
    """One indicator for one period: count, share of its total, change against the previous period."""

    model_config = ConfigDict(frozen=True)

    id: str
    count: int | None
    share: float | None
    change: int | None


class ProfileStatus(BaseModel):
    """The organization's profile in Сферум: active, inactive or unknown, and why."""

    model_config = ConfigDict(frozen=True)

    status: ProfileState
    reason: str


class Registration(BaseModel):
    """Staff registered against the school's deadline."""

    model_config = ConfigDict(frozen=True)

    count: int | None
    total: int | None
    deadline: dt.date | None = None
    days_left: int | None = None


class PersonFigures(BaseModel):
    """One person's row of a per-person table, with their name (for «whom to talk to»)."""

    model_config = ConfigDict(frozen=True)

    name: str
    role: Role
    group_messages: int | None = None
    calls: int | None = None
    group_chats_created: int | None = None
    ejd_linked: bool | None = None
    registered: bool | None = None


class Weak(BaseModel):
    """A weak indicator and the teachers behind it (at most MAX_NAMES names, then `more`)."""

    model_config = ConfigDict(frozen=True)

    id: str
    share: float
    names: list[str]
    more: int = 0


Figures = Mapping[str, int | None]


def figures(table: TableCounts | None, org: OrgFigures | None) -> dict[str, int | None]:
    """One value per indicator id for one period.

    The per-organization table is the official monitoring figure, so it wins where it gives
    a value; the per-person table fills the rest. Pupils' figures come only from the former.
    """
    values: dict[str, int | None] = dict.fromkeys(INDICATOR_IDS)
    if table is not None and table.rows:
        for key in ("teachers_total", *PERSON_INDICATORS):
            values[key] = getattr(table, key)
    if org is not None:
        for key in INDICATOR_IDS:
            value = getattr(org, key)
            if value is not None:
                values[key] = value
    return values


def share(count: int | None, total: int | None) -> float | None:
    """count / total in [0, 1]; None when either is unknown or the total is zero."""
    if count is None or not total:
        return None
    return max(0.0, min(1.0, count / total))


def _base(indicator_id: str) -> str:
    return "students_total" if indicator_id.startswith("students") else "teachers_total"


def indicators(current: Figures, previous: Figures | None) -> list[Indicator]:
    """Every indicator with its share and change (null rules of the spec)."""
    found: list[Indicator] = []
    for key in INDICATOR_IDS:
        count = current.get(key)
        before = previous.get(key) if previous is not None else None
        # Built from typed values: no validation needed (a district makes thousands of these).
        found.append(Indicator.model_construct(
            id=key, count=count,
            share=None if key in TOTALS else share(count, current.get(_base(key))),
            change=None if count is None or before is None else count - before,
        ))
    return found


def profile_status(org_status: str | None, table: TableCounts | None, classes: int | None) -> ProfileStatus:
    """Letter № 450: «Активен» with more than two registered users and at least one class.

    The per-organization table's status wins; else the rule on what the bot knows
    (registered people from the per-person table, classes from the roster); else unknown.
    """
    if org_status in ("active", "inactive"):
        word = "Активен" if org_status == "active" else "Не активен"
        return ProfileStatus(status=org_status, reason=f"{word} — по таблице мониторинга")
    if table is None or not table.rows:
        return ProfileStatus(status="unknown", reason="нет данных: загрузите статистику за неделю")
    registered = table.registered_people
    if registered <= 2:
        return ProfileStatus(status="inactive", reason=(
            f"зарегистрировано пользователей: {registered}, а нужно не меньше 3"))
    if not classes:
        return ProfileStatus(status="unknown", reason=(
            "не знаю классов школы: загрузите список сотрудников с классным руководством"))
    return ProfileStatus(status="active", reason=(
        f"зарегистрировано пользователей: {registered}, классов: {classes}"))


def registration(table: TableCounts | None, roster_total: int | None, org: OrgFigures | None,
                 deadline: dt.date | None, today: dt.date) -> Registration:
    """Registered staff out of everyone on the roster (or the district's «Учителей всего»).

    `count` is registered people from the per-person table (present in it without a
    registration column), None without such a table; `total` is the roster's people, else
    the per-organization table's `teachers_total`, else None.
    """
    count = table.registered_people if table is not None and table.rows else None
    total = roster_total or (org.teachers_total if org is not None else None)
    days_left = (deadline - today).days if deadline is not None else None
    return Registration(count=count, total=total, deadline=deadline, days_left=days_left)


def _meets(indicator_id: str, person: PersonFigures, t: Thresholds) -> bool | None:
    """Whether a person meets an indicator; None when the table had no such column."""
    if indicator_id == "teachers_created_chats":
        value: int | bool | None = person.group_chats_created
        return None if value is None else value > 0
    if indicator_id == "teachers_3plus":
        return None if person.group_messages is None else person.group_messages >= t.messages
    if indicator_id == "teachers_10plus":
        return None if person.group_messages is None else person.group_messages >= t.messages_target
    if indicator_id == "teachers_1call":
        return None if person.calls is None else person.calls >= t.calls
    if indicator_id == "teachers_ejd":
        return person.ejd_linked
    raise KeyError(indicator_id)


def weakest(found: Sequence[Indicator], people: Sequence[PersonFigures], thresholds: Thresholds,
            limit: int = 2) -> list[Weak]:
    """The `limit` weakest teacher indicators below 100 % with the teachers who miss them.

    Only indicators the per-person table gives can name people; ties keep the orders' order.
    """
    teachers = [p for p in people if p.role is Role.TEACHER]
    shares = [(i.share, n, i.id) for n, i in enumerate(found)
              if i.id in WEAKEST_CANDIDATES and i.share is not None and i.share < 1]
    picked: list[Weak] = []
    for value, _, key in sorted(shares):
        missing = sorted(p.name for p in teachers if _meets(key, p, thresholds) is False)
        if not missing:
            continue
        picked.append(Weak(id=key, share=value, names=missing[:MAX_NAMES],
                           more=max(0, len(missing) - MAX_NAMES)))
        if len(picked) == limit:
            break
    return picked


def rank(values: Mapping[str, tuple[ProfileState, float | None]]) -> list[str]:
    """School ids ranked for one indicator: inactive profiles first, then by share, lowest first.

    A school without the figure comes after those with one (unknown is not «good»).
    """
    order = {"inactive": 0, "unknown": 1, "active": 2}
    return sorted(values, key=lambda org: (order[values[org][0]], values[org][1] is None,
                                           values[org][1] or 0.0, org))
