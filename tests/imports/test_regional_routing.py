"""A regional per-person table: rows go to their schools by the «ИНН» column; without it the table is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, parse_settings
from bot.domain.models import Role
from bot.imports.reader import ImportRefused
from bot.services.imports import ImportService
from storage.db import Database
from storage.imports import ImportsSql
from storage.people import PeopleRepo
from tests.imports.conftest import FixedClock, table_counts
from tests.imports.tables import xlsx

SCHOOLS = 12


@pytest.fixture
def region(tmp_path: Path) -> Settings:
    """Twelve schools in two districts, each with its own INN."""
    return parse_settings({"schools": [
        {"id": f"s{n:02d}", "name": f"Школа № {n}", "inn": f"05000000{n:02d}",
         "district": "Северный" if n % 2 else "Южный"} for n in range(1, SCHOOLS + 1)]}, tmp_path)


async def test_rows_go_to_their_schools_by_inn(db: Database, region: Settings) -> None:
    """Each row lands in the school of its ИНН; an unknown ИНН is reported with its row number."""
    svc = ImportService(ImportsSql(db), region, clock=FixedClock())
    await svc.prepare()
    await PeopleRepo(db).add("s03", "Иванова Анна Петровна", Role.TEACHER)
    await PeopleRepo(db).add("s11", "Петров Игорь Сергеевич", Role.TEACHER)
    data = xlsx([["ИНН", "ФИО", "Сообщений в групповых чатах"], ["0500000003", "Иванова А.П.", 4],
                 ["0500000011", "Петров И.С.", 1], ["0599999999", "Сидоров П.", 2]])
    result = await svc.import_stats(data, "region.xlsx")
    assert result.orgs == ["s03", "s11"] and result.rows_imported == 2
    assert [p.row for p in result.problems if "0599999999" in p.reason] == [4]


async def test_a_regional_table_without_the_school_column_is_refused(db: Database, region: Settings) -> None:
    """No «ОО»/«ИНН» column and no --org: refused in Russian without listing a region's ids; nothing stored."""
    svc = ImportService(ImportsSql(db), region, clock=FixedClock())
    await svc.prepare()
    await PeopleRepo(db).add("s03", "Иванова Анна Петровна", Role.TEACHER)
    before = await table_counts(db)
    data = xlsx([["ФИО", "Сообщений в групповых чатах"], ["Иванова А.П.", 4]])
    with pytest.raises(ImportRefused, match="нет столбца «ОО» или «ИНН», а в настройках 12 школ") as refused:
        await svc.import_stats(data, "region.xlsx")
    assert "s12" not in str(refused.value)
    assert await table_counts(db) == before
    with pytest.raises(ImportRefused, match=r"школы «nope» нет в настройках; есть: s01, .*, s10 и ещё 2$"):
        await svc.import_stats(data, "region.xlsx", org_id="nope")
