"""The indicators' rules on plain data: counts, shares, changes, the null rules, status, names."""

from __future__ import annotations

import datetime as dt

from bot.domain.indicators import (
    INDICATOR_IDS,
    MAX_NAMES,
    OrgFigures,
    PersonFigures,
    TableCounts,
    Thresholds,
    figures,
    indicators,
    label,
    profile_status,
    rank,
    registration,
    share,
    weakest,
)
from bot.domain.models import Role

TABLE = TableCounts(rows=10, teachers_total=8, teachers_created_chats=4, teachers_3plus=6, teachers_10plus=2,
                    teachers_1call=3, teachers_ejd=None, registered_people=9, has_registered=True)


def test_per_person_figures_leave_pupils_null() -> None:
    """A per-person table gives teachers' counts only; pupils' counts stay null."""
    values = figures(TABLE, None)
    assert values["students_total"] is None and values["students_ejd"] is None
    assert (values["teachers_total"], values["teachers_3plus"], values["teachers_ejd"]) == (8, 6, None)


def test_organization_table_wins_where_it_has_a_value() -> None:
    """The district's row overrides the per-person counts it gives and keeps the rest."""
    org = OrgFigures(students_total=300, teachers_total=9, teachers_3plus=7, students_ejd=150)
    values = figures(TABLE, org)
    assert (values["teachers_total"], values["teachers_3plus"], values["teachers_1call"]) == (9, 7, 3)
    assert (values["students_total"], values["students_ejd"]) == (300, 150)


def test_shares_and_changes() -> None:
    """Shares are of the right total, null for totals; change is the count difference, null without a previous period."""
    current = figures(TABLE, OrgFigures(students_total=200, students_ejd=50))
    found = {i.id: i for i in indicators(current, None)}
    assert [i for i in INDICATOR_IDS if found[i].change is not None] == []
    assert found["teachers_3plus"].share == 0.75 and found["students_ejd"].share == 0.25
    assert found["teachers_total"].share is None and found["students_total"].share is None
    assert found["teachers_ejd"].count is None and found["teachers_ejd"].share is None
    previous = figures(TABLE.model_copy(update={"teachers_3plus": 8, "teachers_ejd": 1}), None)
    changed = {i.id: i for i in indicators(current, previous)}
    assert changed["teachers_3plus"].change == -2 and changed["teachers_total"].change == 0
    assert changed["teachers_ejd"].change is None and changed["students_ejd"].change is None


def test_share_is_null_for_an_unknown_or_zero_total_and_capped() -> None:
    """No total or a zero total gives no share; a count above its total is capped at 1."""
    assert (share(3, None), share(3, 0), share(None, 5), share(7, 5)) == (None, None, None, 1.0)


def test_profile_status_rule() -> None:
    """The district's status wins; else more than two registered and a class mean active; else unknown."""
    assert profile_status("inactive", TABLE, 3).status == "inactive"
    assert profile_status(None, TABLE, 3).status == "active"
    few = profile_status(None, TABLE.model_copy(update={"registered_people": 2}), 3)
    assert few.status == "inactive" and "не меньше 3" in few.reason
    assert profile_status(None, TABLE, 0).status == "unknown"
    assert profile_status(None, None, 3).status == "unknown"


def test_registration_against_the_deadline() -> None:
    """Registered from the table, total from the roster (or the district's teachers), days to the deadline."""
    today = dt.date(2026, 11, 23)
    reg = registration(TABLE, 12, None, dt.date(2026, 12, 1), today)
    assert (reg.count, reg.total, reg.days_left) == (9, 12, 8)
    fallback = registration(None, None, OrgFigures(teachers_total=40), None, today)
    assert (fallback.count, fallback.total, fallback.days_left) == (None, 40, None)


def test_weakest_indicators_name_at_most_ten_teachers() -> None:
    """The lowest shares below 100 % name the teachers who miss them: ten, then «и ещё N»."""
    people = [PersonFigures(name=f"Учитель {n:02d}", role=Role.TEACHER, group_messages=n % 2, calls=1,
                            group_chats_created=1, ejd_linked=True) for n in range(30)]
    people.append(PersonFigures(name="Заместитель", role=Role.DEPUTY, group_messages=0, calls=0))
    found = indicators({"teachers_total": 30, "teachers_3plus": 0, "teachers_1call": 30,
                        "teachers_created_chats": 30, "teachers_ejd": 30, "teachers_10plus": 0}, None)
    [weak] = weakest(found, people, Thresholds())
    assert weak.id == "teachers_3plus" and len(weak.names) == MAX_NAMES and weak.more == 20
    assert "Заместитель" not in weak.names


def test_thresholds_show_in_labels() -> None:
    """Configured thresholds are in the indicator names."""
    assert "≥ 5 сообщений" in label("teachers_3plus", Thresholds(messages=5))
    assert "≥ 2 звонков" in label("teachers_1call", Thresholds(calls=2))


def test_ranking_puts_inactive_first_then_lowest_share() -> None:
    """Inactive profiles lead, then the weakest share; unknown shares go after known ones."""
    order = rank({"a": ("active", 0.2), "b": ("inactive", 0.9), "c": ("active", None), "d": ("active", 0.1)})
    assert order == ["b", "d", "a", "c"]
