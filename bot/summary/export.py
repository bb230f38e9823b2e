"""The summary as an xlsx workbook for the district: indicators, their trend, and people (openpyxl).

Cell text that a spreadsheet would run as a formula (starting with =, +, - or @) is
written as a text cell, so a name like «=HYPERLINK(…)» stays a name.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from bot.domain.indicators import INDICATOR_IDS, TOTALS, label
from bot.domain.models import Role
from bot.domain.russian import count
from bot.summary.model import DistrictSummary, RegionSummary, SchoolSummary
from bot.summary.render import STATUS_WORD

_FORMULA_START = ("=", "+", "-", "@")
_YES_NO = {True: "да", False: "нет", None: ""}


def _put(ws: Any, row: int, values: Sequence[Any]) -> None:
    for col, value in enumerate(values, 1):
        cell = ws.cell(row=row, column=col, value=value)
        if isinstance(value, str) and value.startswith(_FORMULA_START):
            # openpyxl takes «=…» as a formula; a string cell is never evaluated.
            cell.data_type = "s"


def _bold(ws: Any, row: int) -> None:
    from openpyxl.styles import Font

    for cell in ws[row]:
        cell.font = Font(bold=True)


def _widths(ws: Any, widths: Sequence[int]) -> None:
    from openpyxl.utils import get_column_letter

    for n, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(n)].width = width


def _indicators_sheet(ws: Any, summary: SchoolSummary, title: str) -> None:
    ws.title = "Показатели"
    _put(ws, 1, [title])
    _put(ws, 2, ["Период", str(summary.period)])
    _put(ws, 3, ["Профиль школы", f"{STATUS_WORD[summary.profile.status]} ({summary.profile.reason})"])
    reg = summary.registration
    _put(ws, 4, ["Зарегистрировано", reg.count, "из", reg.total])
    _put(ws, 6, ["Показатель", "Количество", "Доля", "Изменение"])
    _bold(ws, 6)
    row = 7
    for key in INDICATOR_IDS:
        item = summary.indicator(key)
        _put(ws, row, [label(key, summary.thresholds), item.count,
                       None if key in TOTALS else item.share, item.change])
        ws.cell(row=row, column=3).number_format = "0%"
        row += 1
    if summary.trend:
        row += 1
        _put(ws, row, ["Показатель по неделям", *[str(p.period) for p in summary.trend]])
        _bold(ws, row)
        for key in INDICATOR_IDS:
            row += 1
            _put(ws, row, [label(key, summary.thresholds), *[p.values.get(key) for p in summary.trend]])
    _widths(ws, [60, 14, 12, 12, *[24] * len(summary.trend)])


def school_xlsx(summary: SchoolSummary) -> bytes:
    """Sheets «Показатели» (with the weekly trend) and «Сотрудники» (one row per person)."""
    from openpyxl import Workbook

    wb = Workbook()
    _indicators_sheet(wb.active, summary, f"Сводка: {summary.name}")
    people = wb.create_sheet("Сотрудники")
    t = summary.thresholds
    _put(people, 1, ["ФИО", "Роль", "Сообщений в групповых чатах", "Звонков", "Создано групповых чатов",
                     "ЭЖД привязан", "Зарегистрирован", f"Не меньше {count(t.messages, 'сообщение', 'gent')}"])
    _bold(people, 1)
    for n, person in enumerate(summary.people, 2):
        enough = None if person.group_messages is None else person.group_messages >= t.messages
        _put(people, n, [person.name, Role(person.role).label, person.group_messages, person.calls,
                         person.group_chats_created, _YES_NO[person.ejd_linked], _YES_NO[person.registered],
                         _YES_NO[enough]])
    _widths(people, [40, 24, 16, 10, 16, 12, 16, 16])
    return _save(wb)


def district_xlsx(district: DistrictSummary) -> bytes:
    """Sheets «Показатели» (the district total), «Школы» (a row per school) and «Рейтинг»."""
    from openpyxl import Workbook

    wb = Workbook()
    _indicators_sheet(wb.active, district.total, f"Сводка по району: {district.name}")
    schools = wb.create_sheet("Школы")
    header = ["Школа", "id", "Период", "Профиль"]
    for key in INDICATOR_IDS:
        header += [label(key, district.total.thresholds)] + ([] if key in TOTALS else ["доля"])
    _put(schools, 1, [*header, "Зарегистрировано", "Всего сотрудников"])
    _bold(schools, 1)
    for n, school in enumerate(district.schools, 2):
        values: list[Any] = [school.name, school.org_id, str(school.period), STATUS_WORD[school.profile.status]]
        for key in INDICATOR_IDS:
            item = school.indicator(key)
            values += [item.count] + ([] if key in TOTALS else [item.share])
        _put(schools, n, [*values, school.registration.count, school.registration.total])
    ranking = wb.create_sheet("Рейтинг")
    keys = list(district.ranking)
    _put(ranking, 1, ["Место", *[label(k, district.total.thresholds) for k in keys]])
    _bold(ranking, 1)
    for place in range(len(district.schools)):
        cells: list[Any] = [place + 1]
        for key in keys:
            entry = district.ranking[key][place]
            share = "—" if entry.share is None else f"{round(entry.share * 100)} %"
            cells.append(f"{entry.name}: {share}" + (" (не активен)" if entry.status == "inactive" else ""))
        _put(ranking, place + 2, cells)
    return _save(wb)


def region_xlsx(region: RegionSummary) -> bytes:
    """One sheet «Рейтинг»: every school in ranking order, with its change and whether it slipped."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Рейтинг"
    _put(ws, 1, ["№", "Школа", "id", "Район", "Профиль", "Учителей", "Написали ≥ 3 сообщений", "Доля",
                 "Изменение, п. п.", "Просела за неделю"])
    _bold(ws, 1)
    for n, school in enumerate(region.schools, 1):
        change = school.change_points
        _put(ws, n + 1, [n, school.name, school.org_id, school.district or "", STATUS_WORD[school.status],
                         school.teachers_total, school.teachers_3plus,
                         None if school.share is None else round(school.share, 4),
                         None if change is None else round(change, 1), "да" if school.slipped else ""])
    _widths(ws, [7, 40, 14, 20, 12, 10, 14, 8, 12, 10])
    return _save(wb)


def _save(wb: Any) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
