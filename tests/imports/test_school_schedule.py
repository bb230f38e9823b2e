"""The «Напоминания» column of `import-schools`: cells read as the config's weekly time, bad ones refused with their
line, the preview and the applied result listing changed times, and the settings giving each school its time."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import QuietHours, WeeklyTime, parse_settings
from bot.imports.reader import ImportRefused
from bot.imports.school_schedule import ScheduleCellError, parse_cell, quiet_problem, shown
from bot.imports.schools import read_school_table, schedule_changes
from tests.imports.tables import csv_bytes, xlsx
from tests.imports.test_schools import HEADER, LIMITS, ROWS


@pytest.mark.parametrize(("cell", "stored"), [
    ("вт 09:00", "tue 09:00"), ("Вторник 9:00", "tue 09:00"), ("ВТ. 09.00", "tue 09:00"),
    ("понедельник 10:00", "mon 10:00"), ("пн 10:00", "mon 10:00"), ("10:00 пн", "mon 10:00"),
    ("по средам в 15.30", "wed 15:30"), ("каждый четверг в 8:30", "thu 08:30"), ("пятн, 11-45", "fri 11:45"),
    ("Tue 09:00", "tue 09:00"), ("thursday 12:00", "thu 12:00"), ("  ", None), ("", None),
    ("нет", "off"), ("Не напоминать", "off"), ("выкл.", "off")])
def test_natural_spellings_are_read_as_the_config_spells_them(cell: str, stored: str | None) -> None:
    """Short and full Russian day names, «по средам», either order, «:», «.» or «-»; «нет» is off; empty is None."""
    assert parse_cell(cell) == stored


@pytest.mark.parametrize(("cell", "why"), [
    ("пн", "не нашёл время"), ("вт 9", "не нашёл время"), ("вт 25:00", "нет такого времени «25:00»"),
    ("10:00", "не понял день недели"), ("понятно 10:00", "не понял день недели"),
    ("пн, ср 10:00", "указано несколько дней"), ("пн 10:00 11:00", "указано больше одного времени")])
def test_a_cell_that_is_no_weekly_time_says_what_is_wrong_and_what_to_write(cell: str, why: str) -> None:
    """Each refusal names the problem and shows the form: «вт 09:00», empty for the default, «нет» for none."""
    with pytest.raises(ScheduleCellError) as refused:
        parse_cell(cell)
    assert str(refused.value).startswith(why)
    assert "например «вт 09:00» или «понедельник 10:00»" in str(refused.value)


def test_what_is_stored_is_the_configs_weekly_time_and_reads_back_in_russian() -> None:
    """The stored form validates as [schools.schedule.reminders]; the preview says it in words."""
    assert WeeklyTime.model_validate({"day": "tue", "time": "09:00"}).hour == 9
    assert (shown("tue 09:00"), shown("off"), shown(None)) == ("вторник, 09:00", "выключены", "по умолчанию")


def test_a_time_in_quiet_hours_is_named_with_the_hours_to_use() -> None:
    """Saturday or 21:00 would wait for the end of quiet hours: the reason says which hours are free."""
    default = QuietHours()
    assert quiet_problem("tue 09:00", default) is None and quiet_problem("off", default) is None
    assert quiet_problem("sat 10:00", default) == (
        "это тихие часы школы (с 20:00 до 08:00 и в выходные): напоминания ждали бы их конца; укажите время "
        "с 08:00 до 20:00 в будний день, например «вт 09:00»")
    assert "с 08:00 до 20:00 в будний день" in (quiet_problem("tue 21:30", default) or "")
    assert quiet_problem("sat 10:00", QuietHours(weekends=False)) is None
    assert (quiet_problem("sun 12:00", QuietHours(start="00:00", end="00:00")) or "").endswith(
        "(в выходные): напоминания ждали бы их конца; укажите будний день, например «вт 09:00»")
    assert "(с 20:00 до 08:00): напоминания ждали бы их конца; укажите время с 08:00 до 20:00, например" in (
        quiet_problem("mon 07:00", QuietHours(weekends=False)) or "")


REMINDERS = [*HEADER, "Напоминания"]


@pytest.mark.parametrize("header", ["Напоминания", "Напоминание", "Расписание напоминаний", "День и время напоминаний",
                                    "Когда напоминать", "reminders"])
def test_the_column_is_found_under_its_usual_names(header: str) -> None:
    """The optional column under any usual header; an empty cell leaves the school at the default."""
    rows = [[*HEADER, header], [*ROWS[0], "вт 09:00"], [*ROWS[1], ""]]
    first, second = read_school_table(xlsx([rows[0], *rows[1:]]), LIMITS, "s.xlsx").schools
    assert first["reminders_at"] == "tue 09:00" and "reminders_at" not in second
    assert first["director_vk_id"] == 101  # the other columns still read


def test_bad_cells_refuse_the_file_with_their_lines() -> None:
    """A cell without a time and one in quiet hours: the file is refused, each with its line and what to write."""
    rows = [REMINDERS, [*ROWS[0], "вт 09:00"], [*ROWS[1], "вторник"], [*ROWS[2], "сб 10:00"]]
    with pytest.raises(ImportRefused) as refused:
        read_school_table(csv_bytes(rows), LIMITS, "s.csv")
    text = str(refused.value)
    assert "строка 3: напоминания «вторник» — не нашёл время: напишите день недели и время" in text
    assert "строка 4: напоминания «сб 10:00» — это тихие часы школы (с 20:00 до 08:00 и в выходные)" in text
    assert "строка 2" not in text


def test_a_config_schools_own_quiet_hours_decide_for_its_table_row() -> None:
    """A config school without quiet weekends may be reminded on Saturday; the other schools keep the default."""
    rows = [REMINDERS, [*ROWS[2], "сб 10:00"]]
    [school] = read_school_table(csv_bytes(rows), LIMITS, "s.csv", quiet={"licey3": QuietHours(weekends=False)}).schools
    assert school["reminders_at"] == "sat 10:00"
    with pytest.raises(ImportRefused, match="строка 2: напоминания «сб 10:00» — это тихие часы"):
        read_school_table(csv_bytes(rows), LIMITS, "s.csv", quiet={"other": QuietHours(weekends=False)})


def test_changes_list_new_changed_and_dropped_times() -> None:
    """A new school with a time, a changed time, a time cleared back to the default; unchanged ones are not listed."""
    stored = [{"id": "inn-0500000001", "name": "МБОУ СОШ № 1", "reminders_at": "mon 10:00"},
              {"id": "inn-0500000002", "name": "МБОУ СОШ № 2", "reminders_at": "wed 12:00"},
              {"id": "licey3", "name": "Лицей № 3"}]
    rows = [REMINDERS, [*ROWS[0], "вт 09:00"], [*ROWS[1], ""], [*ROWS[2], ""],
            ["Гимназия № 4", "0500000004", "", "", "", "", "", "", "", "чт 11:00"]]
    table = read_school_table(csv_bytes(rows), LIMITS, "s.csv")
    assert [c.as_json() for c in schedule_changes(stored, table)] == [
        {"org": "inn-0500000001", "reminders": "tue 09:00", "was": "mon 10:00"},
        {"org": "inn-0500000002", "reminders": None, "was": "wed 12:00"},
        {"org": "inn-0500000004", "reminders": "thu 11:00", "was": None}]
    assert [c.new_school for c in schedule_changes(stored, table)] == [False, False, True]


def test_the_settings_give_each_table_school_its_time(tmp_path: Path) -> None:
    """A table school gets its own time; one overriding a config school keeps that school's schedule unless the
    table gives a time; one without a time and without a config school is at Monday 10:00; «off» switches off."""
    settings = parse_settings({"schools": [
        {"id": "licey3", "name": "Лицей", "schedule": {"reminders": {"day": "wed", "time": "15:00"},
                                                       "quiet_hours": {"weekends": False}}},
        {"id": "inn-0500000002", "name": "Школа 2", "schedule": {"reminders": {"day": "fri", "time": "12:00"}}}]},
        tmp_path)
    rows = [REMINDERS, [*ROWS[0], "вт 09:00"], [*ROWS[1], "нет"], [*ROWS[2], ""],
            ["Гимназия № 4", "0500000004", "", "", "", "", "", "", "", ""]]
    merged = settings.with_table_schools(read_school_table(csv_bytes(rows), LIMITS, "s.csv").schools)
    schedule = {s.id: s.schedule for s in merged.schools}
    assert (schedule["inn-0500000001"].reminders.day, schedule["inn-0500000001"].reminders.time) == ("tue", "09:00")
    assert schedule["inn-0500000002"].reminders.enabled is False
    assert (schedule["licey3"].reminders.day, schedule["licey3"].quiet_hours.weekends) == ("wed", False)
    assert merged.school("licey3").name == "Лицей № 3"  # the rest of the school is the table's
    assert (schedule["inn-0500000004"].reminders.day, schedule["inn-0500000004"].reminders.time) == ("mon", "10:00")


def test_cli_previews_and_applies_the_times(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--dry-run lists each new time (JSON: `schedule_changes`, the other keys as before); applied, the result lists
    them and `status` plans the school's reminders at its time; a changed time is shown with the old one."""
    config = tmp_path / "config.toml"
    config.write_text('[district]\nname = "Область"\n', "utf-8")
    table = tmp_path / "schools.csv"
    table.write_bytes(csv_bytes([REMINDERS, [*ROWS[0], "вт 09:00"], [*ROWS[1], ""]]))
    assert main(["import-schools", str(table), "--config", str(config), "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "preview": True, "added": 2, "changed": 0, "left": 0, "left_names": [], "replaces_period": None,
        "bot_changes": [], "schedule_changes": [{"org": "inn-0500000001", "reminders": "tue 09:00", "was": None}]}
    assert main(["import-schools", str(table), "--config", str(config), "--dry-run"]) == 0
    assert "«МБОУ СОШ № 1» (новая школа): напоминания — вторник, 09:00." in capsys.readouterr().out
    assert main(["import-schools", str(table), "--config", str(config), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["schedule_changes"] == [
        {"org": "inn-0500000001", "reminders": "tue 09:00", "was": None}]
    assert main(["status", "--config", str(config), "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)["next_runs"]
    [first] = [r for r in runs if r["org"] == "inn-0500000001" and r["job"] == "напоминания"]
    [second] = [r for r in runs if r["org"] == "inn-0500000002" and r["job"] == "напоминания"]
    tuesday, monday = (dt.datetime.fromisoformat(r["at"]) for r in (first, second))
    assert (tuesday.weekday(), tuesday.time(), tuesday.utcoffset()) == (1, dt.time(9), dt.timedelta(hours=3))
    assert (monday.weekday(), monday.time()) == (0, dt.time(10))
    table.write_bytes(csv_bytes([REMINDERS, [*ROWS[0], "среда 11:00"], [*ROWS[1], ""]]))
    assert main(["import-schools", str(table), "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "изменённых 1" in out and "«МБОУ СОШ № 1»: напоминания — среда, 11:00 (было: вторник, 09:00)." in out
    table.write_bytes(csv_bytes([REMINDERS, [*ROWS[0], "среда"], [*ROWS[1], ""]]))
    assert main(["import-schools", str(table), "--config", str(config)]) == 1
    assert "строка 2: напоминания «среда» — не нашёл время" in capsys.readouterr().err
