"""The chart is a PNG; the workbook's sheets hold the figures and never run a name as a formula."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from bot.config import Settings
from bot.domain.models import Role
from bot.services.summary import SummaryService
from storage.db import Database
from storage.people import PeopleRepo
from storage.summary import SummaryRepo
from tests.summary.conftest import WEEK2, FixedClock, put_week, seed_school

EVIL = ["=HYPERLINK(\"http://x\",\"y\")", "+7 999", "-1+2", "@SUM(A1)"]


async def test_xlsx_writes_formula_like_names_as_text(db: Database, school_settings: Settings) -> None:
    """Names starting with =, +, - or @ come back from openpyxl as the same text, not formulas."""
    await seed_school(db)
    people = PeopleRepo(db)
    evil_ids = [(await people.add("school1", name, Role.TEACHER)).id for name in EVIL]
    await put_week(db, "school1", WEEK2, [(pid, {"group_messages": 4}) for pid in evil_ids])
    service = SummaryService(SummaryRepo(db), school_settings, clock=FixedClock())
    data = await service.spreadsheet(await service.school("school1"))
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Показатели", "Сотрудники"]
    sheet = wb["Сотрудники"]
    cells = {c.value: c for c in sheet["A"][1:]}
    for name in EVIL:
        assert cells[name].data_type == "s", name
    assert wb["Показатели"]["B7"].value is None  # pupils: no data
    assert any(row[0].value and "≥ 3" in row[0].value and row[1].value == 7
               for row in wb["Показатели"].iter_rows(min_row=7, max_row=14))


async def test_chart_is_a_png_even_without_data(db: Database, school_settings: Settings) -> None:
    """A chart of two weeks and a chart with no data are both PNG images of a phone-readable size."""
    from PIL import Image

    await seed_school(db)
    service = SummaryService(SummaryRepo(db), school_settings, clock=FixedClock())
    summary = await service.school("school1")
    png = await service.chart(summary)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width >= 900
    empty = await service.chart(summary.model_copy(update={"trend": []}))
    assert empty.startswith(b"\x89PNG")


async def test_district_workbook_has_schools_and_ranking(db: Database, tmp_path: object) -> None:
    """The district workbook lists each school and a ranking sheet."""
    from pathlib import Path

    from bot.config import parse_settings

    assert isinstance(tmp_path, Path)
    settings = parse_settings({"schools": [{"id": "school1", "name": "СОШ № 1"},
                                           {"id": "school2", "name": "=СОШ № 2"}]}, tmp_path)
    await seed_school(db, "school1", "СОШ № 1")
    await seed_school(db, "school2", "=СОШ № 2")
    service = SummaryService(SummaryRepo(db), settings, clock=FixedClock())
    wb = load_workbook(io.BytesIO(await service.spreadsheet(await service.district())))
    assert wb.sheetnames == ["Показатели", "Школы", "Рейтинг"]
    assert [r[0].value for r in wb["Школы"].iter_rows(min_row=2)] == ["СОШ № 1", "=СОШ № 2"]
    assert wb["Школы"]["A3"].data_type == "s"
