"""`import-schools`: the table read with row-numbered problems, preview then apply, and config ∪ table schools."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import parse_settings
from bot.imports.reader import ImportRefused, Limits
from bot.imports.schools import KnownBots, SchoolTable, bot_changes, compare, read_school_table
from storage.db import Database
from storage.schools import SchoolsRepo, read_table_schools
from tests.imports.tables import csv_bytes, xlsx

HEADER = ["Наименование", "ИНН", "Район", "Часовой пояс", "Директор VK", "Заместители VK", "Директор MAX",
          "Заместители MAX", "id"]
ROWS = [["МБОУ СОШ № 1", "0500000001", "Северный", "Europe/Moscow", 101, "102, 103", "", "", ""],
        ["МБОУ СОШ № 2", "0500000002", "Южный", "Asia/Yekaterinburg", "", "", 7001, "7002", ""],
        ["Лицей № 3", "0500000003", "Южный", "", "", "", "", "", "licey3"]]
LIMITS = Limits(max_file_mb=20, max_rows=200_000, max_unzipped_mb=200, max_cells=2_000_000)


def test_a_table_of_schools_is_read_with_ids_districts_and_heads() -> None:
    """Ids default to inn-<ИНН>, an empty timezone to Moscow; heads' ids on both messengers are parsed."""
    table = read_school_table(xlsx([["Список школ региона"], HEADER, *ROWS, ["Итого", "", "", ""]]), LIMITS, "s.xlsx")
    first, second, third = table.schools
    assert (first["id"], first["district"], first["director_vk_id"], first["deputy_vk_ids"]) == (
        "inn-0500000001", "Северный", 101, [102, 103])
    assert (second["director_max_id"], second["deputy_max_ids"], second["timezone"]) == (
        7001, [7002], "Asia/Yekaterinburg")
    assert (third["id"], third["timezone"], third["row_no"]) == ("licey3", "Europe/Moscow", 5)


def test_bad_rows_refuse_the_whole_file_with_their_line_numbers() -> None:
    """A short ИНН, an unknown timezone, a repeated ИНН: refused, each problem with its CSV line."""
    rows = [HEADER, ROWS[0], ["Школа 4", "12345", "", "Mars/Base", "", "", "", "", ""],
            ["Школа 5", "0500000001", "", "", "", "", "", "", "s5"]]
    with pytest.raises(ImportRefused) as refused:
        read_school_table(csv_bytes(rows), LIMITS, "s.csv")
    text = str(refused.value)
    assert text.startswith("в таблице школ есть ошибки, ничего не изменено")
    assert "строка 3: ИНН «12345» — нужно 10 или 12 цифр" in text
    assert "строка 3: неизвестный часовой пояс «Mars/Base»" in text
    assert "строка 4: ИНН «0500000001» уже есть в строке 2" in text


def test_a_file_without_the_inn_column_is_refused() -> None:
    """Without «Наименование» and «ИНН» there is no table of schools: the reason names the columns."""
    with pytest.raises(ImportRefused, match="нужны хотя бы столбцы «Наименование» и «ИНН»"):
        read_school_table(csv_bytes([["ФИО", "Должность"], ["Иванова", "учитель"]]), LIMITS, "s.csv")


async def test_stored_schools_are_compared_and_read_back(db: Database) -> None:
    """Stored whole; a file without a stored school previews it as removed; the sync read gives the same."""
    repo = SchoolsRepo(db)
    table = read_school_table(csv_bytes([HEADER, *ROWS]), LIMITS, "s.csv")
    assert compare(await repo.all(), table).added == 3
    await repo.replace(table.schools)
    stored = await repo.all()
    assert [s["id"] for s in stored] == ["inn-0500000001", "inn-0500000002", "licey3"]
    assert stored[0]["deputy_vk_ids"] == [102, 103]
    fewer = SchoolTable(schools=[{**table.schools[0], "district": "Другой"}, table.schools[1]])
    preview = compare(stored, fewer)
    assert (preview.added, preview.changed, preview.left, preview.left_names) == (0, 1, 1, ("Лицей № 3",))
    assert preview.needs_confirmation


def test_table_schools_join_the_config_and_override_the_same_id(tmp_path: Path) -> None:
    """Config ∪ table: the config's school keeps its place unless the table has its id; the placeholder goes."""
    settings = parse_settings({"schools": [{"id": "licey3", "name": "Лицей (из настроек)"},
                                           {"id": "school9", "name": "Школа 9"}]}, tmp_path)
    table = read_school_table(csv_bytes([HEADER, *ROWS]), LIMITS, "s.csv").schools
    merged = settings.with_table_schools(table)
    assert [s.id for s in merged.schools] == ["licey3", "school9", "inn-0500000001", "inn-0500000002"]
    assert merged.school("licey3").name == "Лицей № 3" and merged.school("inn-0500000002").district == "Южный"
    bare = parse_settings({}, tmp_path).with_table_schools(table)
    assert [s.id for s in bare.schools] == ["inn-0500000001", "inn-0500000002", "licey3"]
    assert read_table_schools(tmp_path / "missing.sqlite3") == []


def test_cli_previews_removals_and_applies_with_yes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """New schools apply at once; a file that drops one exits 3 with the preview; --yes applies; summary sees them."""
    config = tmp_path / "config.toml"
    config.write_text('[district]\nname = "Область"\n', "utf-8")
    full, short = tmp_path / "all.csv", tmp_path / "two.csv"
    full.write_bytes(csv_bytes([HEADER, *ROWS]))
    short.write_bytes(csv_bytes([HEADER, *ROWS[:2]]))
    assert main(["import-schools", str(full), "--config", str(config), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"added": 3, "changed": 0, "left": 0, "schools": 3,
                                                   "overrides": 0, "bot_changes": [], "schedule_changes": []}
    assert main(["import-schools", str(short), "--config", str(config), "--json"]) == 3
    assert json.loads(capsys.readouterr().out) == {"preview": True, "added": 0, "changed": 0, "left": 1,
                                                   "left_names": ["Лицей № 3"], "replaces_period": None,
                                                   "bot_changes": [], "schedule_changes": []}
    assert main(["summary", "--district", "Южный", "--config", str(config), "--json"]) == 0
    assert [s["org"] for s in json.loads(capsys.readouterr().out)["schools"]] == ["inn-0500000002", "licey3"]
    assert main(["import-schools", str(short), "--config", str(config), "--yes"]) == 0
    assert "Загружено из таблицы: 2 школы" in capsys.readouterr().out
    assert main(["summary", "--district", "Южный", "--config", str(config), "--json"]) == 0
    assert [s["org"] for s in json.loads(capsys.readouterr().out)["schools"]] == ["inn-0500000002"]


BOTS = KnownBots(vk=("north", "south"), max=("main-max", "east"))


@pytest.mark.parametrize(("vk_header", "max_header"), [
    ("Сообщество ВК", "Бот MAX"), ("Сообщество VK", "Бот МАКС"), ("Сообщество ВКонтакте", "Бот в MAX"),
    ("Группа ВК", "MAX bot"), ("vk_community", "max_bot")])
def test_a_school_names_its_community_and_bot_under_any_usual_header(vk_header: str, max_header: str) -> None:
    """The optional bot columns are found by their usual names; an empty cell names none (the first bot)."""
    rows = [[*HEADER, vk_header, max_header], [*ROWS[0], "south", "east"], [*ROWS[1], "", ""]]
    first, second = read_school_table(csv_bytes(rows), LIMITS, "s.csv", BOTS).schools
    assert (first["vk_community"], first["max_bot"]) == ("south", "east")
    assert "vk_community" not in second and "max_bot" not in second
    assert (first["director_vk_id"], second["director_max_id"]) == (101, 7001)  # the heads' columns still read


def test_an_unknown_bot_name_is_refused_with_its_line() -> None:
    """A name the settings do not have: the whole file is refused, the line, the name and the known ones said."""
    rows = [[*HEADER, "Сообщество ВК", "Бот MAX"], [*ROWS[0], "south", ""], [*ROWS[1], "west", "east"],
            [*ROWS[2], "", "north"]]
    with pytest.raises(ImportRefused) as refused:
        read_school_table(csv_bytes(rows), LIMITS, "s.csv", BOTS)
    text = str(refused.value)
    assert "строка 3: сообщество ВКонтакте «west» — такого нет в [[vk.communities]] (есть: north, south)" in text
    assert "строка 4: бот MAX «north» — такого нет в [[max.bots]] (есть: main-max, east)" in text
    assert "строка 2" not in text
    with pytest.raises(ImportRefused, match="сообщество ВКонтакте «south» — такого нет в \\[\\[vk.communities\\]\\] "
                                            "\\(в настройках их не задано\\)"):
        read_school_table(csv_bytes(rows[:2]), LIMITS, "s.csv")


async def test_named_bots_are_stored_and_their_changes_listed(db: Database) -> None:
    """Stored and read back (both readers); a new name, a changed one and a dropped one are the changes."""
    repo = SchoolsRepo(db)
    rows = [[*HEADER, "Сообщество ВК", "Бот MAX"], [*ROWS[0], "south", ""], [*ROWS[1], "", "east"], [*ROWS[2], "", ""]]
    table = read_school_table(csv_bytes(rows), LIMITS, "s.csv", BOTS)
    assert [(c.org, c.messenger, c.bot, c.was, c.new_school) for c in bot_changes([], table)] == [
        ("inn-0500000001", "vk", "south", None, True), ("inn-0500000002", "max", "east", None, True)]
    await repo.replace(table.schools)
    stored = await repo.all()
    assert [(s["id"], s.get("vk_community"), s.get("max_bot")) for s in stored] == [
        ("inn-0500000001", "south", None), ("inn-0500000002", None, "east"), ("licey3", None, None)]
    assert bot_changes(stored, table) == [] and compare(stored, table).changed == 0
    again = [[*HEADER, "Сообщество ВК", "Бот MAX"], [*ROWS[0], "north", ""], [*ROWS[1], "", ""], [*ROWS[2], "", ""]]
    moved = read_school_table(csv_bytes(again), LIMITS, "s.csv", BOTS)
    assert [(c.org, c.messenger, c.bot, c.was, c.new_school) for c in bot_changes(stored, moved)] == [
        ("inn-0500000001", "vk", "north", "south", False), ("inn-0500000002", "max", None, "east", False)]
    assert compare(stored, moved).changed == 2


async def test_the_settings_read_schools_stored_before_the_bot_columns(tmp_path: Path) -> None:
    """A database still at 0027 (not migrated yet): its table schools are read, naming no bot."""
    path = tmp_path / "old.sqlite3"
    db = await Database.open(path, migrate=False)
    try:
        await db.migrate(target=27)
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO table_schools(id, name, inn, timezone, row_no, imported_at) "
                               "VALUES ('inn-1', 'Школа 1', '1234567890', 'Europe/Moscow', 2, 'x')")
    finally:
        await db.close()
    assert read_table_schools(path) == [{"id": "inn-1", "name": "Школа 1", "inn": "1234567890",
                                         "timezone": "Europe/Moscow", "deputy_vk_ids": [], "deputy_max_ids": []}]


def test_cli_previews_and_applies_a_schools_bot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The preview says which school moves to which community; applied, the school is routed through it."""
    from bot.commands._common import settings_from

    config = tmp_path / "config.toml"
    config.write_text('[[vk.communities]]\nname = "north"\ntoken = "a"\ngroup_id = 11\n\n'
                      '[[vk.communities]]\nname = "south"\ntoken = "b"\ngroup_id = 12\n', "utf-8")
    table = tmp_path / "schools.csv"
    table.write_bytes(csv_bytes([[*HEADER, "Сообщество ВК"], [*ROWS[0], "south"], [*ROWS[1], ""]]))
    assert main(["import-schools", str(table), "--config", str(config), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "«МБОУ СОШ № 1» (новая школа): сообщество ВКонтакте — «south»." in out
    assert "СОШ № 2" not in out.split("\n", 2)[-1]  # names no community: nothing to say about it
    assert main(["import-schools", str(table), "--config", str(config), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["bot_changes"] == [
        {"org": "inn-0500000001", "messenger": "vk", "bot": "south", "was": None}]
    settings = settings_from(type("Args", (), {"config": config, "env_file": None})())
    assert settings.bot_of("vk", "inn-0500000001") == "south" and settings.bot_of("vk", "inn-0500000002") == "north"
    table.write_bytes(csv_bytes([[*HEADER, "Сообщество ВК"], [*ROWS[0], "north"], [*ROWS[1], ""]]))
    assert main(["import-schools", str(table), "--config", str(config)]) == 0
    assert "«МБОУ СОШ № 1»: сообщество ВКонтакте — «north» (было: «south»)." in capsys.readouterr().out
    table.write_bytes(csv_bytes([[*HEADER, "Сообщество ВК"], [*ROWS[0], "west"]]))
    assert main(["import-schools", str(table), "--config", str(config)]) == 1
    assert "строка 2: сообщество ВКонтакте «west» — такого нет в [[vk.communities]]" in capsys.readouterr().err


def test_commands_on_postgresql_see_the_table_schools(tmp_path: Path, pg_url: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """On PostgreSQL the commands read the table schools from the database, not from an SQLite file that is
    not there: a regional roster is routed by its ИНН column and the district summary lists the schools."""
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\nurl = "{pg_url}"\n', "utf-8")
    schools, roster = tmp_path / "schools.csv", tmp_path / "roster.csv"
    schools.write_bytes(csv_bytes([HEADER, *ROWS]))
    roster.write_bytes(csv_bytes([["ИНН", "ФИО", "Должность"], ["0500000001", "Бабаева Анна Петровна", "учитель"],
                                  ["0500000003", "Вевеева Ольга Ивановна", "учитель"]]))
    assert main(["import-schools", str(schools), "--config", str(config)]) == 0
    assert main(["import-roster", str(roster), "--config", str(config), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert (result["added"], result["problems"]) == (2, [])
    assert main(["summary", "--district", "Южный", "--config", str(config), "--json"]) == 0
    assert [s["org"] for s in json.loads(capsys.readouterr().out)["schools"]] == ["inn-0500000002", "licey3"]
