"""Pure reminder rules: reason codes, the personal text, the 7-day rule."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.config import REMINDER_RULES, ReminderRules, ThresholdsConfig
from bot.domain import reminders as rules
from bot.domain.models import Person, Role
from bot.domain.records import PersonStats
from tests.reminders.conftest import PERIOD

T = ThresholdsConfig()
ALL = list(REMINDER_RULES)
ANNA = Person(id=1, org_id="school1", full_name="Иванова Анна Петровна", role=Role.TEACHER, vk_id=2001)


def stats(**values: object) -> PersonStats:
    return PersonStats(person_id=1, org_id="school1", period=PERIOD, **values)  # type: ignore[arg-type]


GOOD = dict(group_messages=12, calls=2, ejd_linked=True, registered=True)


@pytest.mark.parametrize(("values", "missing", "code"), [
    ({**GOOD, "group_messages": 10}, [], None),
    ({**GOOD, "group_messages": 2}, [], "messages_below_threshold"),
    ({**GOOD, "group_messages": 9}, [], "messages_below_target"),
    ({**GOOD, "calls": 0}, [], "no_call"),
    ({**GOOD, "ejd_linked": False}, [], "ejd_not_linked"),
    ({**GOOD, "registered": False}, [], "not_registered"),
    (GOOD, ["5А — родители"], "chats_not_confirmed"),
])
def test_each_code_fires_alone(values: dict[str, object], missing: list[str], code: str | None) -> None:
    """Each rule, with only it on, yields its code for its shortfall; the target (10) is met at 10."""
    enabled = [code] if code else ALL
    assert rules.reasons_for(ANNA, stats(**values), T, enabled, missing) == ([code] if code else [])
    others = [c for c in ALL if c != code and not (code or "").startswith("messages")]
    assert rules.reasons_for(ANNA, stats(**values), T, others, missing) == []


def test_defaults_switch_off_target_and_calls() -> None:
    """With the default settings 9 messages and no calls are not reminded of."""
    enabled = ReminderRules().enabled()
    assert rules.reasons_for(ANNA, stats(**{**GOOD, "group_messages": 9, "calls": 0}), T, enabled) == []


def test_below_threshold_is_also_below_target_in_settings_order() -> None:
    """One message with everything on: both message codes, then the others, in the settings' order."""
    found = rules.reasons_for(ANNA, stats(group_messages=1, calls=0, ejd_linked=False, registered=False), T, ALL,
                              ["Чат"])
    assert found == ALL


def test_missing_columns_are_not_failures() -> None:
    """A table without a column (None) reminds of nothing for it; no row at all reminds of nothing."""
    assert rules.reasons_for(ANNA, stats(), T, ALL) == []
    assert rules.reasons_for(ANNA, None, T, ALL) == []


def test_thresholds_are_settings() -> None:
    """A school with a threshold of 5 reminds a teacher with 4 messages."""
    assert rules.reasons_for(ANNA, stats(group_messages=4), ThresholdsConfig(messages=5), ALL) == [
        "messages_below_threshold", "messages_below_target"]


def test_staff_only_register_and_move_chats_and_left_people_get_nothing() -> None:
    """Staff are not measured on messages; deputies and people who left are never reminded."""
    staff = ANNA.model_copy(update={"role": Role.STAFF})
    bad = stats(group_messages=0, registered=False)
    assert rules.reasons_for(staff, bad, T, ALL, ["Чат"]) == ["not_registered", "chats_not_confirmed"]
    assert rules.reasons_for(ANNA.model_copy(update={"role": Role.DEPUTY}), bad, T, ALL) == []
    assert rules.reasons_for(ANNA.model_copy(update={"active": False}), bad, T, ALL) == []


def test_disabled_rule_yields_nothing() -> None:
    """A rule switched off in the settings is never a reason."""
    assert rules.reasons_for(ANNA, stats(ejd_linked=False), T, ["messages_below_threshold"]) == []


def test_text_is_personal_with_figures_and_next_steps() -> None:
    """The reminder names the person, gives their figures, the period and what to do, with help."""
    reasons = ["messages_below_threshold", "ejd_not_linked", "chats_not_confirmed"]
    text = rules.render_reminder(ANNA, PERIOD, reasons, stats(group_messages=1), T, ["5А — ученики", "5А — родители"])
    assert text.startswith("Анна Петровна, добрый день!")
    assert "14.11.2026–20.11.2026" in text
    assert "1 сообщение" in text and "не меньше 3" in text
    assert "ЭЖД" in text and "«5А — родители»" in text
    assert "1. " in text and "3. " in text
    assert f"«{rules.HELP_LABEL}»" in text
    assert len(text) < 1200


def test_one_point_is_one_sentence_and_registration_deadline_is_named() -> None:
    """A single open point is one plain sentence; the registration deadline is spelled out."""
    text = rules.render_reminder(ANNA, PERIOD, ["not_registered"], stats(registered=False), T,
                                 deadline=dt.date(2026, 12, 1))
    assert "Что можно сделать" not in text
    assert "до 01.12.2026" in text


def test_config_only_people_get_no_made_up_name() -> None:
    """Someone known only from the config is greeted without a name."""
    nameless = ANNA.model_copy(update={"full_name": "Заместитель директора"})
    assert rules.render_reminder(nameless, PERIOD, ["no_call"], stats(calls=0), T).startswith("Добрый день!")


@pytest.mark.parametrize(("n", "word"), [(1, "сообщение"), (2, "сообщения"), (5, "сообщений"), (11, "сообщений"),
                                         (21, "сообщение"), (0, "сообщений"), (104, "сообщения")])
def test_plural(n: int, word: str) -> None:
    """Russian plurals after a number."""
    assert rules.plural(n, "сообщение", "сообщения", "сообщений") == f"{n} {word}"


def test_seven_day_rule_edges() -> None:
    """A reminder 7 days after the last one may go; a second earlier may not; never sent — any time."""
    last = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)
    assert rules.may_remind(None, last)
    assert not rules.may_remind(last, last + dt.timedelta(days=7) - dt.timedelta(seconds=1))
    assert rules.may_remind(last, last + dt.timedelta(days=7))
    assert rules.next_allowed(last) == last + dt.timedelta(days=7)
    assert rules.next_allowed(None) is None


def test_help_keyboard_is_inline_with_faq() -> None:
    """The reminder's button opens the FAQ."""
    keyboard = rules.help_keyboard()
    assert keyboard.inline and keyboard.rows[0][0].payload == {"cmd": "faq"}
