"""Reminder rules: who is reminded of what, in which words, and how often (pure).

A reason code names one open point (the codes are the settings' names in
`[schools.reminders]`, also used in machine output). One reminder per person
covers all their open points; nobody gets more than one automatic reminder in
any 7 days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from bot.config import REMINDER_RULES, ThresholdsConfig
from bot.domain.models import Period, Person, Role
from bot.domain.reminder_templates import Templates, defaults
from bot.domain.russian import count
from bot.domain.ui import Button, Color, Keyboard

if TYPE_CHECKING:
    from bot.domain.records import PersonStats

class Figures(Protocol):
    """A person's figures for a week, as the reminder text reads them (PersonStats has them)."""

    @property
    def group_messages(self) -> int | None: ...

    @property
    def calls(self) -> int | None: ...

    @property
    def ejd_linked(self) -> bool | None: ...

    @property
    def registered(self) -> bool | None: ...


MESSAGES_BELOW_THRESHOLD = "messages_below_threshold"
MESSAGES_BELOW_TARGET = "messages_below_target"
NO_CALL = "no_call"
EJD_NOT_LINKED = "ejd_not_linked"
NOT_REGISTERED = "not_registered"
CHATS_NOT_CONFIRMED = "chats_not_confirmed"
REASON_CODES = REMINDER_RULES

# Teachers are measured on messages, calls and the journal; other staff only register
# and move their chats (the orders count teachers' activity).
_STAFF_RULES = frozenset({NOT_REGISTERED, CHATS_NOT_CONFIRMED})
REMINDED_ROLES = (Role.TEACHER, Role.STAFF)

REMINDER_GAP = dt.timedelta(days=7)
HELP_LABEL = "Нужна помощь"
MAX_CHAT_TITLES = 3

# Short names of the reasons, for the deputy's report.
REASON_LABELS = {
    MESSAGES_BELOW_THRESHOLD: "меньше порога сообщений",
    MESSAGES_BELOW_TARGET: "ниже цели по сообщениям",
    NO_CALL: "нет звонков",
    EJD_NOT_LINKED: "ЭЖД не связан",
    NOT_REGISTERED: "нет в Сферуме",
    CHATS_NOT_CONFIRMED: "чаты не подтверждены",
}


def plural(n: int, one: str, few: str, many: str) -> str:
    """«1 сообщение», «3 сообщения», «5 сообщений»."""
    tail = abs(n) % 100
    if 11 <= tail <= 14:
        word = many
    elif tail % 10 == 1:
        word = one
    elif 2 <= tail % 10 <= 4:
        word = few
    else:
        word = many
    return f"{n} {word}"


def agree(n: int, word: str) -> str:
    """A number with a noun in agreement (pymorphy3): «1 звонок», «3 звонка», «11 звонков»."""
    return count(n, word)


def _messages(n: int) -> str:
    return agree(n, "сообщение")


def _calls(n: int) -> str:
    return agree(n, "звонок")


def reasons_for(person: Person, stats: PersonStats | None, thresholds: ThresholdsConfig,
                enabled: Sequence[str], missing_chats: Sequence[str] = ()) -> list[str]:
    """The open points of one person, as reason codes in the settings' order.

    Only figures the table really had count: a column that was missing (None) is not
    a failure. People who are not teachers or staff, or who left, get nothing.
    """
    if not person.active or person.role not in REMINDED_ROLES:
        return []
    found: set[str] = set()
    if stats is not None:
        messages, calls = stats.group_messages, stats.calls
        if messages is not None and messages < thresholds.messages:
            found.add(MESSAGES_BELOW_THRESHOLD)
        if messages is not None and messages < thresholds.messages_target:
            found.add(MESSAGES_BELOW_TARGET)
        if calls is not None and calls < thresholds.calls:
            found.add(NO_CALL)
        if stats.ejd_linked is False:
            found.add(EJD_NOT_LINKED)
        if stats.registered is False:
            found.add(NOT_REGISTERED)
    if missing_chats:
        found.add(CHATS_NOT_CONFIRMED)
    if person.role is not Role.TEACHER:
        found &= _STAFF_RULES
    on = set(enabled)
    return [code for code in REASON_CODES if code in found and code in on]


def _chat_list(titles: Sequence[str]) -> str:
    shown = ", ".join(f"«{t}»" for t in titles[:MAX_CHAT_TITLES])
    rest = len(titles) - MAX_CHAT_TITLES
    return f"{shown} и ещё {rest}" if rest > 0 else shown


def facts(reasons: Sequence[str], stats: Figures | None, thresholds: ThresholdsConfig,
          missing_chats: Sequence[str] = ()) -> list[str]:
    """One line per open point with the person's own figures."""
    lines: list[str] = []
    messages = stats.group_messages if stats and stats.group_messages is not None else 0
    if MESSAGES_BELOW_THRESHOLD in reasons:
        line = f"в групповых чатах {_messages(messages)}, а нужно не меньше {thresholds.messages}"
        if MESSAGES_BELOW_TARGET in reasons:
            line += f" (цель — {thresholds.messages_target})"
        lines.append(line)
    elif MESSAGES_BELOW_TARGET in reasons:
        lines.append(f"в групповых чатах {_messages(messages)}, цель — {thresholds.messages_target}")
    if NO_CALL in reasons:
        calls = stats.calls if stats and stats.calls is not None else 0
        lines.append(f"{_calls(calls)}, цель — хотя бы {_calls(thresholds.calls)} в неделю")
    if EJD_NOT_LINKED in reasons:
        lines.append("аккаунт электронного журнала (ЭЖД) не связан со Сферумом")
    if NOT_REGISTERED in reasons:
        lines.append("вы пока не зарегистрированы в Сферуме")
    if CHATS_NOT_CONFIRMED in reasons and missing_chats:
        lines.append(f"не подтверждён перенос чатов: {_chat_list(missing_chats)}")
    return lines


def task_keys(reasons: Sequence[str], has_class: bool) -> list[str]:
    """The template keys of the suggested actions, one per open point, in a sensible order."""
    variant = "with_class" if has_class else "without_class"
    found: list[str] = []
    if NOT_REGISTERED in reasons:
        found.append("tasks.not_registered.text")
    if CHATS_NOT_CONFIRMED in reasons:
        found.append("tasks.chats_not_confirmed.text")
    if MESSAGES_BELOW_THRESHOLD in reasons:
        found.append(f"tasks.messages_below_threshold.{variant}")
    elif MESSAGES_BELOW_TARGET in reasons:
        found.append(f"tasks.messages_below_target.{variant}")
    if NO_CALL in reasons:
        found.append(f"tasks.no_call.{variant}")
    if EJD_NOT_LINKED in reasons:
        found.append("tasks.ejd_not_linked.text")
    return found


def template_values(person: Person | None, thresholds: ThresholdsConfig, deadline: dt.date | None = None,
                    missing_chats: Sequence[str] = ()) -> dict[str, str]:
    """What the templates' placeholders stand for, for one person."""
    classes = list(person.classes) if person is not None else []
    return {
        "имя": person.first_and_middle if person is not None else "",
        "класс": classes[0] if classes else "",
        "классы": ", ".join(classes),
        "чаты": _chat_list(missing_chats) if missing_chats else "",
        "срок": f" до {deadline:%d.%m.%Y}" if deadline else "",
        "звонки": agree(thresholds.calls, "звонок"),
    }


def tasks(reasons: Sequence[str], thresholds: ThresholdsConfig,
          deadline: dt.date | None = None, *, person: Person | None = None,
          missing_chats: Sequence[str] = (), templates: Templates | None = None) -> list[str]:
    """What to do next: one useful action per open point (also shown in «Мой статус»)."""
    chosen = templates or defaults()
    values = template_values(person, thresholds, deadline, missing_chats)
    has_class = bool(person is not None and person.classes)
    return [chosen.text(key).format(**values) for key in task_keys(reasons, has_class)]


def render_reminder(person: Person, period: Period, reasons: Sequence[str], stats: Figures | None,
                    thresholds: ThresholdsConfig, missing_chats: Sequence[str] = (),
                    deadline: dt.date | None = None, templates: Templates | None = None) -> str:
    """The personal reminder: name, their figures, then what the templates suggest doing."""
    chosen = templates or defaults()
    values = template_values(person, thresholds, deadline, missing_chats)
    name = person.first_and_middle
    parts = [f"{name}, добрый день!" if name else "Добрый день!"]
    lines = facts(reasons, stats, thresholds, missing_chats)
    if lines:
        body = ";\n".join(f"• {x}" for x in lines) + "."
        parts.append(f"По данным Сферума за неделю {period}:\n{body}")
    todo = tasks(reasons, thresholds, deadline, person=person, missing_chats=missing_chats, templates=chosen)
    if len(todo) == 1:
        parts.append(todo[0])
    elif todo:
        title = chosen.text("reminder.tasks_title").format(**values)
        parts.append(title + "\n" + "\n".join(f"{i}. {t}" for i, t in enumerate(todo, 1)))
    parts.append(chosen.text("reminder.closing").format(**values))
    return "\n\n".join(parts)


def render_nudge(person: Person, messages: int, thresholds: ThresholdsConfig) -> str:
    """The mid-week nudge from live counts (only the chats the bot reads)."""
    name = person.first_and_middle
    hello = f"{name}, добрый день!" if name else "Добрый день!"
    left = thresholds.messages - messages
    return (f"{hello} На этой неделе я вижу {_messages(messages)} от вас в рабочих чатах, где я есть; "
            f"до недельной нормы ({thresholds.messages}) не хватает {left}. Неделя считается до пятницы "
            f"включительно. Если что-то не получается, нажмите «{HELP_LABEL}».")


def help_keyboard() -> Keyboard:
    """The button under a reminder: the FAQ and the person's own status."""
    return Keyboard(rows=[[Button(label=HELP_LABEL, payload={"cmd": "faq"}, color=Color.PRIMARY),
                           Button(label="Мой статус", payload={"cmd": "my_status"})]], inline=True)


def may_remind(last_sent: dt.datetime | None, now: dt.datetime, gap: dt.timedelta = REMINDER_GAP) -> bool:
    """The 7-day rule: an automatic reminder only when the last one is at least `gap` old."""
    return last_sent is None or now - last_sent >= gap


def next_allowed(last_sent: dt.datetime | None, gap: dt.timedelta = REMINDER_GAP) -> dt.datetime | None:
    """The first moment the 7-day rule lets the next automatic reminder go (None: any time)."""
    return None if last_sent is None else last_sent + gap
