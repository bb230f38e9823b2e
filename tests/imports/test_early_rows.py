"""A one-school per-person table's rows written while the worker still reads the later ones (`EarlyRows`,
SQLite): whatever happens — rows that name a person twice, a week loaded already, a row of the person's week
under another school, a preview that is not the one confirmed, a refused file — the database ends exactly
as the usual way (every row written after matching) leaves it, ids included."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings, parse_settings
from bot.domain.models import Period, Role
from bot.domain.records import PersonStats
from bot.imports.reader import ImportRefused
from bot.services.imports import ImportService
from bot.services.imports import stats as stats_module
from bot.services.imports.plan import Mode, Preview
from storage.db import Database
from storage.imports import ImportsSql
from storage.people import PeopleRepo
from storage.stats import StatsRepo
from tests.imports.conftest import FixedClock
from tests.imports.tables import TITLE, xlsx

PERIOD = Period.parse("2026-11-14..2026-11-20")
HEADER = ["ФИО", "Сообщений в групповых чатах", "Звонков"]
ROWS: list[list[object]] = [["Иванова Анна Петровна", 5, 1], ["Петров И. С.", "3", None], ["Незнакомая Ирина", 2, 2],
                            ["Семенова О.В.", 0, 2], ["Сидоров П.", 1, 1], ["ИВАНОВА АННА ПЕТРОВНА", 4, 4],
                            ["Итого", 15, 8]]
SECOND: list[list[object]] = [["Иванова Анна Петровна", 9, 9], ["Петров Игорь Сергеевич", 1, 1]]
# The deputy chose Сидоров Пётр for «Сидоров П.» last week: the first row names him, and so does the second.
REMEMBERED: list[list[object]] = [["Сидоров П.", 7, 7], ["Сидоров Пётр Ильич", 1, 1], ["Иванова Анна Петровна", 2, 2]]
STRANGERS: list[list[object]] = [[f"Чужой{'ов' * (i + 1)} Иван", i, 0] for i in range(8)]
Step = Callable[[ImportService, Database], Awaitable[Any]]


def _file(rows: list[list[object]]) -> bytes:
    return xlsx([[TITLE], [], HEADER, *rows])


def _settings(tmp_path: Path) -> Settings:
    return parse_settings({"schools": [{"id": "school1", "name": "МБОУ СОШ № 1", "deputy_vk_ids": [1002]},
                                       {"id": "school2", "name": "МБОУ СОШ № 2"}]}, tmp_path)


async def _state(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """What an import writes, without the moments it was written at."""
    queries = {
        "person_stats": "SELECT * FROM person_stats ORDER BY person_id, period_start",
        "imports": "SELECT id, org_id, kind, period_start, period_end, file_name, rows_read, rows_imported, problems, "
                   "imported_by FROM imports ORDER BY id",
        "pending_rows": "SELECT * FROM pending_rows ORDER BY id",
        "audit_log": "SELECT id, actor_vk_id, org_id, action, target, outcome, details FROM audit_log ORDER BY id",
    }
    state = {}
    async with db.read() as conn:
        for name, sql in queries.items():
            async with conn.execute(sql) as cur:
                state[name] = [tuple(r) for r in await cur.fetchall()]
    return state


def _import(data: bytes, **kwargs: Any) -> Step:
    async def step(svc: ImportService, db: Database) -> Any:
        try:
            outcome = await svc.submit(data, "week.xlsx", kind="stats", org_id="school1", **kwargs)
        except ImportRefused as exc:
            return str(exc)
        result = outcome.result.model_dump() if outcome.result is not None else None
        return result, outcome.preview
    return step


async def _row_of_another_school(svc: ImportService, db: Database) -> None:
    """Иванова's week stored under the other school (she moved): a row in the way of the early insert."""
    people = {p.full_name: p for p in await PeopleRepo(db).in_org("school1")}
    async with db.transaction() as conn:
        await StatsRepo.put_person_stats_in(conn, [PersonStats(
            person_id=people["Иванова Анна Петровна"].id, org_id="school2", period=PERIOD, group_messages=1)])


async def _resolve_sidorov(svc: ImportService, db: Database) -> None:
    """The deputy chooses Сидоров Пётр for the kept-aside «Сидоров П.»."""
    people = {p.full_name: p for p in await PeopleRepo(db).in_org("school1")}
    row = next(r for r in await svc.pending("school1") if r.name == "Сидоров П.")
    await svc.resolve_pending(row.id, people["Сидоров Пётр Ильич"].id)


CASES: dict[str, tuple[list[str], list[bool]]] = {
    # name: (steps, what `EarlyRows.settle` says at each import that writes early)
    "a table naming a person twice, a stranger and initials": (["first"], [True]),
    "a loaded week again: its preview, then applied": (["first", "second-auto", "second-apply"], [True]),
    "a row of the week under another school": (["other-school", "first"], [False]),
    "a confirmation whose preview no longer holds": (["first-expected-other"], [True]),
    "a file of strangers": (["strangers"], []),
    "an earlier row names a person by the deputy's choice": (["first", "resolve", "remembered"], [True, False]),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_rows_written_early_end_as_the_usual_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       case: str) -> None:
    steps, settled = CASES[case]
    ends = []
    for early in (True, False):
        said: list[bool] = []

        async def settle(self: stats_module.EarlyRows, stats: Any, said: list[bool] = said,
                         real: Any = stats_module.EarlyRows.settle) -> bool:
            said.append(await real(self, stats))
            return said[-1]

        monkeypatch.setattr(stats_module.EarlyRows, "settle", settle)
        if not early:
            monkeypatch.setattr(ImportService, "_writes_early", lambda *args: False)
        folder = tmp_path / str(early)
        settings = _settings(folder)
        db = await Database.open(folder / "bot.sqlite3")
        try:
            svc = ImportService(ImportsSql(db), settings, clock=FixedClock())
            await svc.prepare()
            for name in ("Иванова Анна Петровна", "Петров Игорь Сергеевич", "Семёнова Ольга Викторовна",
                         "Сидоров Пётр Ильич", "Сидоров Павел Андреевич"):
                await PeopleRepo(db).add("school1", name, Role.TEACHER)
            by_name: dict[str, Step] = {
                "first": _import(_file(ROWS), mode=Mode.AUTO),
                "second-auto": _import(_file(SECOND), mode=Mode.AUTO),
                "second-apply": _import(_file(SECOND), mode=Mode.APPLY),
                "first-expected-other": _import(_file(ROWS), mode=Mode.APPLY, expected=Preview(added=99)),
                "strangers": _import(_file(STRANGERS), mode=Mode.AUTO),
                "other-school": _row_of_another_school,
                "resolve": _resolve_sidorov,
                "remembered": _import(_file(REMEMBERED), mode=Mode.AUTO, period=Period.parse("2026-11-07..2026-11-13")),
            }
            said_by_steps = [await by_name[step](svc, db) for step in steps]
            ends.append((said_by_steps, await _state(db)))
        finally:
            await db.close()
            monkeypatch.undo()
        if early:
            assert said == settled
        else:
            assert said == []
    assert ends[0] == ends[1]
    assert ends[0][1]["person_stats"] or case in ("a confirmation whose preview no longer holds", "a file of strangers")
