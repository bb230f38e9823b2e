"""`import-schools`: the table read with row-numbered problems, preview then apply, and config ∪ table schools."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import parse_settings
from bot.imports.reader import ImportRefused, Limits
from bot.imports.schools import SchoolTable, compare, read_school_table
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
                                                   "overrides": 0}
    assert main(["import-schools", str(short), "--config", str(config), "--json"]) == 3
    assert json.loads(capsys.readouterr().out) == {"preview": True, "added": 0, "changed": 0, "left": 1,
                                                   "left_names": ["Лицей № 3"], "replaces_period": None}
    assert main(["summary", "--district", "Южный", "--config", str(config), "--json"]) == 0
    assert [s["org"] for s in json.loads(capsys.readouterr().out)["schools"]] == ["inn-0500000002", "licey3"]
    assert main(["import-schools", str(short), "--config", str(config), "--yes"]) == 0
    assert "Загружено из таблицы: 2 школы" in capsys.readouterr().out
    assert main(["summary", "--district", "Южный", "--config", str(config), "--json"]) == 0
    assert [s["org"] for s in json.loads(capsys.readouterr().out)["schools"]] == ["inn-0500000002"]


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
