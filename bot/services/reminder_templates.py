"""A school's reminder templates: load (checked), edit one text, install a file, preview.

The built-in texts come with the package; a school's file overrides some of them. A
broken school file is reported and ignored (the built-in texts are used), so reminders
never stop because of a typo. Every change is checked first and previewed on sample
teachers (`preview`), in the chat and in the CLI alike.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from bot.config import Settings
from bot.domain import reminders as rules
from bot.domain.models import Period, Person, Role
from bot.domain.reminder_templates import (
    KEYS,
    TemplateError,
    Templates,
    check_text,
    defaults,
    dump,
    parse,
)
from bot.ports import TemplateFileStore

log = logging.getLogger(__name__)

SAMPLE_PERIOD = Period(start=dt.date(2026, 11, 14), end=dt.date(2026, 11, 20))


@dataclass(frozen=True)
class Sample:
    """One preview case: who, which open points, and the reminder they would get."""

    title: str
    text: str


@dataclass(frozen=True)
class SampleFigures:
    """A sample teacher's figures for the preview (the shape of `rules.Figures`)."""

    group_messages: int | None = None
    calls: int | None = None
    ejd_linked: bool | None = None
    registered: bool | None = None


# Preview cases: together they use every template text.
_CASES: list[tuple[str, tuple[str, ...], SampleFigures, tuple[str, ...], tuple[str, ...]]] = [
    ("Классный руководитель 5А: мало сообщений, нет звонков",
     ("5А",), SampleFigures(group_messages=1, calls=0),
     (rules.MESSAGES_BELOW_THRESHOLD, rules.MESSAGES_BELOW_TARGET, rules.NO_CALL), ()),
    ("Учитель без класса: мало сообщений, нет звонков",
     (), SampleFigures(group_messages=0, calls=0),
     (rules.MESSAGES_BELOW_THRESHOLD, rules.NO_CALL), ()),
    ("Классный руководитель 7Б: ниже цели по сообщениям",
     ("7Б",), SampleFigures(group_messages=6), (rules.MESSAGES_BELOW_TARGET,), ()),
    ("Учитель без класса: ниже цели по сообщениям",
     (), SampleFigures(group_messages=6), (rules.MESSAGES_BELOW_TARGET,), ()),
    ("Не зарегистрирован, ЭЖД не связан, чаты не перенесены",
     ("9В",), SampleFigures(registered=False, ejd_linked=False),
     (rules.NOT_REGISTERED, rules.EJD_NOT_LINKED, rules.CHATS_NOT_CONFIRMED), ("9В — родители", "9В — ученики")),
]


class ReminderTemplates:
    """The effective templates of each school, and the ways to change them."""

    def __init__(self, settings: Settings, files: TemplateFileStore) -> None:
        self._settings = settings
        self.files = files

    def own(self, org_id: str) -> dict[str, str]:
        """The school's own texts (checked; TemplateError when its file is broken)."""
        source = self.files.read(org_id)
        if source is None:
            return {}
        return parse(source, name=str(self.files.path(org_id)))

    def for_school(self, org_id: str) -> Templates:
        """Built-in texts with the school's on top; a broken school file is logged and ignored."""
        try:
            own = self.own(org_id)
        except TemplateError as exc:
            log.error("шаблоны напоминаний школы %s не загружены, используются встроенные: %s", org_id,
                      "; ".join(exc.problems))
            return defaults()
        return defaults().merged(own)

    def check(self, source: str, name: str = "") -> Templates:
        """A school file's text, checked and merged with the built-in texts (TemplateError if broken)."""
        return defaults().merged(parse(source, name=name))

    def install(self, org_id: str, source: str) -> Templates:
        """Check a whole file and make it the school's (nothing changes if it is broken)."""
        templates = self.check(source)
        self.files.write(org_id, source)
        return templates

    def with_text(self, org_id: str, key: str, text: str) -> Templates:
        """The school's templates with one text changed, not saved yet (TemplateError if wrong)."""
        if key not in KEYS:
            raise TemplateError([f"нет шаблона «{key}»"])
        problem = check_text(key, text)
        if problem:
            raise TemplateError([f"{KEYS[key][0]}: {problem}"])
        return self.for_school(org_id).merged({key: text})

    def save_text(self, org_id: str, key: str, text: str | None) -> Templates:
        """Change one text of the school's file (None: back to the built-in one) and save it."""
        own = self._own_or_empty(org_id)
        if text is None:
            own.pop(key, None)
        else:
            self.with_text(org_id, key, text)
            own[key] = text
        if own:
            self.files.write(org_id, dump(own))
        else:
            self.files.delete(org_id)
        return defaults().merged(own)

    def _own_or_empty(self, org_id: str) -> dict[str, str]:
        try:
            return self.own(org_id)
        except TemplateError:
            return {}  # a broken file is replaced by the texts that are set from now on

    def reset(self, org_id: str) -> bool:
        """Back to the built-in texts for the school; True if it had its own."""
        return self.files.delete(org_id)

    def preview(self, org_id: str, templates: Templates | None = None) -> list[Sample]:
        """Sample reminders (and the report's hint) as the school's teachers would get them."""
        chosen = templates or self.for_school(org_id)
        school = self._settings.school(org_id)
        thresholds = self._settings.thresholds
        samples: list[Sample] = []
        for number, (title, classes, figures, reasons, chats) in enumerate(_CASES, 1):
            person = Person(id=-number, org_id=org_id, full_name="Иванова Анна Петровна", role=Role.TEACHER,
                            classes=classes)
            text = rules.render_reminder(person, SAMPLE_PERIOD, list(reasons), figures, thresholds, list(chats),
                                         school.registration_deadline, templates=chosen)
            samples.append(Sample(title, text))
        samples.append(Sample("Отчёт заместителю: последний абзац, если не всем дошло",
                              chosen.text("report.unreachable_hint")))
        return samples
