"""Reminder templates: the packaged file, each rule of the check, agreement, school files, preview, CLI."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings, ThresholdsConfig
from bot.domain import reminders as rules
from bot.domain.models import Period, Person, Role
from bot.domain.records import PersonStats
from bot.domain.reminder_templates import (
    KEYS,
    TemplateError,
    check_text,
    defaults,
    dump,
    key_lines,
    parse,
)
from bot.services.reminder_templates import ReminderTemplates
from storage.templates import TemplateFiles
from tests.conftest import ROOT

PERIOD = Period(start=dt.date(2026, 11, 14), end=dt.date(2026, 11, 20))
T = ThresholdsConfig()
ALL_REASONS = list(rules.REASON_CODES)


def _service(settings: Settings) -> ReminderTemplates:
    return ReminderTemplates(settings, TemplateFiles(settings.storage.data_dir))


def _person(classes: tuple[str, ...] = ()) -> Person:
    return Person(id=1, org_id="school1", full_name="Иванова Анна Петровна", role=Role.TEACHER, classes=classes)


def _stats(**values: object) -> PersonStats:
    return PersonStats(person_id=1, org_id="school1", period=PERIOD, **values)  # type: ignore[arg-type]


def test_packaged_file_has_every_text_and_passes_its_own_check() -> None:
    """The shipped TOML defines every key, and every text passes the rules a school's file must pass."""
    texts = defaults().texts
    assert set(texts) == set(KEYS)
    assert all(check_text(key, text) is None for key, text in texts.items())


@pytest.mark.parametrize("classes", [(), ("5А", "6Б")])
def test_no_reminder_asks_for_a_number_of_messages(classes: tuple[str, ...]) -> None:
    """Whatever is missing, the suggested actions are useful work, never «write N more messages»."""
    stats = _stats(group_messages=1, calls=0, ejd_linked=False, registered=False)
    text = rules.render_reminder(_person(classes), PERIOD, ALL_REASONS, stats, T, ["5А — родители"])
    after = text.split("\n\n", 2)[2]  # what follows the greeting and the figures
    assert "сообщени" not in after
    assert "домашнее задание" in after if classes else "рабочий чат коллег" in after
    assert "ЭЖД" in after and "Зарегистрируйтесь" in after and "«5А — родители»" in after


def test_each_open_point_gets_its_own_action() -> None:
    """Class teachers: the parents' chat and homework, a call with parents; the journal; registration."""
    teacher = _person(("5А",))
    assert "чата родителей" in rules.tasks(["messages_below_threshold"], T, person=teacher)[0]
    assert "родителями 5А" in rules.tasks(["no_call"], T, person=teacher)[0]
    assert "ЭЖД" in rules.tasks(["ejd_not_linked"], T, person=teacher)[0]
    assert "до 01.12.2026" in rules.tasks(["not_registered"], T, dt.date(2026, 12, 1), person=teacher)[0]
    assert "планёрку с коллегами" in rules.tasks(["no_call"], T, person=_person())[0]
    # Below the threshold and below the target: one action, not two about the same thing.
    assert len(rules.tasks(["messages_below_threshold", "messages_below_target"], T, person=teacher)) == 1


def test_the_opening_lines_stay_word_for_word() -> None:
    """«По данным Сферума за неделю …» follows the greeting whatever the templates say."""
    custom = defaults().merged({"tasks.no_call.with_class": "Позвоните родителям {класс}.",
                                "reminder.closing": "Удачи!"})
    text = rules.render_reminder(_person(("5А",)), PERIOD, ["no_call"], _stats(calls=0), T, templates=custom)
    assert text.split("\n\n")[1].startswith("По данным Сферума за неделю 14.11.2026–20.11.2026:\n• 0 звонков")
    assert text.endswith("Позвоните родителям 5А.\n\nУдачи!")


@pytest.mark.parametrize(("calls", "expected"), [(1, "1 звонок"), (2, "2 звонка"), (5, "5 звонков"),
                                                 (21, "21 звонок")])
def test_numbers_agree_with_nouns(calls: int, expected: str) -> None:
    """{звонки} is the calls goal with the noun in agreement (pymorphy3)."""
    task = rules.tasks(["no_call"], ThresholdsConfig(calls=calls), person=_person())[0]
    assert expected in task


@pytest.mark.parametrize(("n", "text"), [(1, "1 сообщение"), (3, "3 сообщения"), (5, "5 сообщений"),
                                         (11, "11 сообщений"), (22, "22 сообщения")])
def test_agree(n: int, text: str) -> None:
    """The agreement helper on a table of cases."""
    assert rules.agree(n, "сообщение") == text


@pytest.mark.parametrize(("source", "problem"), [
    ('[tasks.no_call]\nwith_class = "Напишите ещё 2 сообщения в чат"\n', "строка 2 (tasks.no_call.with_class): текст просит"),
    ('[tasks.no_call]\nwith_class = "Отправьте {звонки} сообщений"\n', "строка 2 (tasks.no_call.with_class): текст просит"),
    ('[tasks.no_call]\n\nwithout_class = "Позвоните {класс}"\n', "строка 3 (tasks.no_call.without_class): "
                                                                   "неизвестная подстановка {класс}"),
    ('[tasks.no_call]\nwith_class = "Позвоните {клас}"\n', "неизвестная подстановка {клас}"),
    ('[tasks.no_call]\nwith_class = "Позвоните {класс"\n', "строка 2 (tasks.no_call.with_class): непарная"),
    ('[tasks.no_call]\nwith_class = "  "\n', "строка 2 (tasks.no_call.with_class): текст пустой"),
    ('[tasks.no_call]\nwith_class = 3\n', "строка 2 (tasks.no_call.with_class): значение должно быть текстом"),
    ('[tasks.no_call]\nwith_class = "' + "а" * 700 + '"\n', "длиннее 600"),
    ('[tasks.no_call]\nwith_klass = "Позвоните"\n', "строка 2: неизвестный ключ «tasks.no_call.with_klass»"),
    ('# комментарий\n[tasks.no_call]\nwith_class = "Позвоните\n', "строка 3, столбец"),
])
def test_each_rule_of_the_check_names_the_line(source: str, problem: str) -> None:
    """A broken school file is refused with the line and what is wrong."""
    with pytest.raises(TemplateError) as caught:
        parse(source)
    assert problem in str(caught.value)


def test_every_problem_is_listed_at_once() -> None:
    """Two broken texts: both are reported, each with its own line."""
    source = '[reminder]\nclosing = ""\n\n[tasks.ejd_not_linked]\ntext = "Свяжите {что}"\n'
    with pytest.raises(TemplateError) as caught:
        parse(source)
    assert [p.split(" ")[1] for p in caught.value.problems] == ["2", "5"]


def test_a_partial_file_is_fine_and_dump_reads_back() -> None:
    """A school may set one text; what `dump` writes parses to the same texts."""
    texts = {"tasks.no_call.with_class": 'Позвоните родителям {класс} — «коротко»\\ и "по делу"'}
    assert parse(dump(texts)) == texts
    assert key_lines(dump(texts)) == {"tasks.no_call.with_class": 4}


def test_school_file_overrides_and_a_broken_one_falls_back(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    """The school's texts win; a broken school file is logged and the built-in texts are used."""
    service = _service(settings)
    service.install("school1", '[reminder]\nclosing = "Спасибо!"\n')
    assert service.for_school("school1").text("reminder.closing") == "Спасибо!"
    assert service.for_school("school1").overridden == {"reminder.closing"}
    service.files.path("school1").write_text('[reminder]\nclosing = "Напишите 3 сообщения"\n', encoding="utf-8")
    assert service.for_school("school1").text("reminder.closing") == defaults().text("reminder.closing")
    assert "строка 2" in caplog.text


def test_install_refuses_a_broken_file_and_changes_nothing(settings: Settings) -> None:
    """An install that fails the check leaves the school's texts as they were."""
    service = _service(settings)
    with pytest.raises(TemplateError):
        service.install("school1", '[reminder]\nclosing = "{x}"\n')
    assert service.files.read("school1") is None


def test_edit_one_text_then_back_to_built_in(settings: Settings) -> None:
    """The chat's edit: one text changes and is saved; «по умолчанию» removes it again."""
    service = _service(settings)
    with pytest.raises(TemplateError, match="текст просит"):
        service.with_text("school1", "tasks.no_call.with_class", "Напишите ещё 2 сообщения")
    draft = service.with_text("school1", "tasks.no_call.with_class", "Созвонитесь с родителями {класс}.")
    assert service.files.read("school1") is None  # a draft is not saved
    assert draft.text("tasks.no_call.with_class") == "Созвонитесь с родителями {класс}."
    service.save_text("school1", "tasks.no_call.with_class", "Созвонитесь с родителями {класс}.")
    assert "Созвонитесь" in (service.files.read("school1") or "")
    service.save_text("school1", "tasks.no_call.with_class", None)
    assert service.files.read("school1") is None


def test_preview_uses_every_text(settings: Settings) -> None:
    """The preview's sample reminders together show every template text."""
    service = _service(settings)
    marked = defaults().merged({key: f"[{i}] " + text for i, (key, text) in enumerate(defaults().texts.items())})
    shown = "\n".join(s.text for s in service.preview("school1", marked))
    assert all(f"[{i}] " in shown for i in range(len(KEYS)))
    assert all(s.text.startswith("Анна Петровна, добрый день!\n\nПо данным Сферума за неделю")
               for s in service.preview("school1")[:-1])


def test_files_are_per_school(tmp_path: Path) -> None:
    """Each school's texts live in their own file under the data directory."""
    files = TemplateFiles(tmp_path)
    files.write("school1", "a")
    assert files.path("school1") == tmp_path / "reminder-templates" / "school1.toml"
    assert files.read("school2") is None and files.delete("school1") and not files.delete("school1")


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "reminder-templates", *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(ROOT), "PATH": ""})


def test_cli_show_check_preview_install(tmp_path: Path) -> None:
    """Print the texts, check a file with a mistake (line, exit 1), preview (exit 3), install with --yes."""
    shown = _cli(tmp_path)
    assert shown.returncode == 0 and "[tasks.no_call]" in shown.stdout
    good = tmp_path / "t.toml"
    good.write_text('[tasks.no_call]\nwith_class = "Созвонитесь с родителями {класс} в Сферуме."\n',
                    encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text('[tasks.no_call]\n\nwith_class = "Напишите ещё 5 сообщений"\n', encoding="utf-8")
    refused = _cli(tmp_path, str(bad), "--check")
    assert refused.returncode == 1 and "строка 3" in refused.stderr and "Traceback" not in refused.stderr
    assert _cli(tmp_path, str(good), "--check").returncode == 0
    asked = _cli(tmp_path, str(good), "--install")
    assert asked.returncode == 3 and "Созвонитесь с родителями 5А в Сферуме." in asked.stdout
    assert not (tmp_path / "data" / "reminder-templates" / "school1.toml").exists()
    assert _cli(tmp_path, str(good), "--install", "--yes").returncode == 0
    assert "Созвонитесь" in _cli(tmp_path, "--preview").stdout
    assert _cli(tmp_path, "--reset", "--yes").returncode == 0
    assert "Созвонитесь" not in _cli(tmp_path, "--preview").stdout
    missing = _cli(tmp_path, "nope.toml", "--check")
    assert missing.returncode == 1 and "не найден" in missing.stderr
