"""Plan, then apply: previews change nothing, confirmations apply once, wrong files are refused."""

from __future__ import annotations

import time

import pytest

from bot.config import Settings
from bot.domain.models import Period, Person, Role
from bot.imports.reader import ImportRefused
from bot.imports.report import RosterResult, StatsResult
from bot.messaging.events import Identity, Messenger
from bot.services.imports import ImportService, Mode, Preview
from bot.services.imports.stats import MAX_PENDING
from storage.confirmations import ConfirmationRepo
from storage.db import Database
from storage.imports import ImportsSql
from storage.people import PeopleRepo
from storage.roster import RosterEntry, RosterRepo
from storage.stats import StatsRepo
from tests.imports.conftest import FixedClock, full_dump
from tests.imports.tables import ROSTER_HEADER, TITLE, csv_bytes, xlsx


def vk(user_id: int) -> Identity:
    return Identity(messenger=Messenger.VK, external_id=user_id)


DEPUTY = vk(1002)

WEEK = Period.parse("2026-11-14..2026-11-20")
STATS_HEADER = ["ФИО", "Сообщений в групповых чатах", "Звонков"]


def _roster(*names: str) -> bytes:
    return xlsx([ROSTER_HEADER, *([n, "учитель", "", ""] for n in names)])


def _stats(*rows: list[object], title: str = TITLE) -> bytes:
    return xlsx([[title], STATS_HEADER, *rows])


async def test_a_roster_that_marks_people_as_left_is_previewed_first(
        service: ImportService, staff: dict[str, Person], db: Database) -> None:
    """AUTO and DRY_RUN stop at the preview (added, changed, left with names) and change nothing; APPLY writes."""
    data = _roster("Иванова Анна Петровна", "Петров Игорь Сергеевич", "Новиков Олег Ильич")
    before = await full_dump(db)
    for mode in (Mode.AUTO, Mode.DRY_RUN):
        outcome = await service.submit(data, "staff.xlsx", kind="roster", mode=mode)
        assert outcome.result is None and outcome.kind == "roster"
        assert outcome.preview == Preview(added=1, changed=0, left=3, left_names=(
            "Семёнова Ольга Викторовна", "Сидоров Павел Андреевич", "Сидоров Пётр Ильич"))
        assert await full_dump(db) == before
    assert outcome.preview.as_json() == {"preview": True, "added": 1, "changed": 0, "left": 3, "left_names": [
        "Семёнова Ольга Викторовна", "Сидоров Павел Андреевич", "Сидоров Пётр Ильич"], "replaces_period": None}
    applied = await service.submit(data, "staff.xlsx", kind="roster", mode=Mode.APPLY)
    assert isinstance(applied.result, RosterResult) and (applied.result.added, applied.result.left) == (1, 3)


async def test_the_preview_lists_ten_names_and_counts_real_changes(service: ImportService, db: Database) -> None:
    """Twelve people leaving: the first ten names (alphabetically); a changed role counts as changed."""
    repo = PeopleRepo(db)
    for n in range(12):
        await repo.add("school1", f"Уходящий{chr(1072 + n)} Иван", Role.TEACHER)
    await repo.add("school1", "Остающаяся Анна", Role.STAFF)
    await repo.add("school1", "Прежняя Вера", Role.TEACHER)
    outcome = await service.submit(_roster("Остающаяся Анна", "Прежняя Вера"), "s.xlsx", kind="roster")
    assert outcome.preview is not None
    assert (outcome.preview.added, outcome.preview.changed, outcome.preview.left) == (0, 1, 12)
    assert len(outcome.preview.left_names) == 10 and outcome.preview.left_names[0] == "Уходящийа Иван"
    assert "и ещё 2" in "\n".join(outcome.preview.lines())


async def test_a_first_roster_and_a_new_week_apply_at_once(service: ImportService, db: Database) -> None:
    """Nobody marked as left, no loaded week replaced: AUTO applies without a preview."""
    roster = await service.submit(_roster("Иванова Анна Петровна", "Петров Игорь Сергеевич"), "s.xlsx",
                                  kind="roster")
    assert isinstance(roster.result, RosterResult) and roster.result.added == 2
    week = await service.submit(_stats(["Иванова А. П.", 3, 1], ["Петров И. С.", 1, 0]), "w.xlsx", kind="stats")
    assert isinstance(week.result, StatsResult) and week.result.rows_imported == 2


async def test_a_loaded_week_is_replaced_only_on_confirmation(
        service: ImportService, staff: dict[str, Person], db: Database) -> None:
    """The same week again: a preview naming the week it replaces (changed vs added), nothing changed."""
    await service.submit(_stats(["Иванова А. П.", 3, 1], ["Петров И. С.", 1, 0]), "w.xlsx", kind="stats")
    before = await full_dump(db)
    again = _stats(["Иванова А. П.", 9, 1], ["Семёнова О. В.", 1, 0])
    outcome = await service.submit(again, "w2.xlsx", kind="stats")
    assert outcome.preview == Preview(added=1, changed=1, replaces_period=WEEK)
    assert outcome.preview.as_json()["replaces_period"] == "2026-11-14..2026-11-20"
    assert await full_dump(db) == before
    applied = await service.submit(again, "w2.xlsx", kind="stats", mode=Mode.APPLY)
    assert isinstance(applied.result, StatsResult) and applied.result.replaced
    stats = await StatsRepo(db).person_stats("school1", WEEK)
    assert sorted(s.group_messages for s in stats) == [1, 9]


async def test_a_confirmation_applies_once_and_only_what_was_shown(
        service: ImportService, staff: dict[str, Person], db: Database) -> None:
    """A held import applies with its preview once; a second press is refused; a changed roster re-previews."""
    data = _roster("Иванова Анна Петровна", "Петров Игорь Сергеевич")
    shown = await service.submit(data, "s.xlsx", kind="roster")
    held_id = await service.hold(shown, actor=DEPUTY, org_id="school1", file_name="s.xlsx", source="u", size=1)
    await PeopleRepo(db).add("school1", "Новенькая Ната", Role.TEACHER)
    held = await service.held(held_id)
    assert held is not None
    changed = await service.confirm(held, data, only_org="school1")
    assert changed.preview is not None and changed.preview.left == 4 and changed.result is None
    assert (await service.held(held_id)).status == "superseded"  # type: ignore[union-attr]
    again_id = await service.hold(changed, actor=DEPUTY, org_id="school1", file_name="s.xlsx", source="u",
                                  size=1)
    again = await service.held(again_id)
    assert again is not None
    applied = await service.confirm(again, data, only_org="school1")
    assert isinstance(applied.result, RosterResult) and applied.result.left == 4
    before = await full_dump(db)
    with pytest.raises(ImportRefused, match="уже применена"):
        await service.confirm(again, data, only_org="school1")
    assert await full_dump(db) == before
    assert not await service.cancel(again_id, DEPUTY)


async def test_a_held_import_belongs_to_its_account_on_its_messenger(
        service: ImportService, staff: dict[str, Person], db: Database) -> None:
    """MAX user 1002 is not VK user 1002: they can neither cancel nor apply VK 1002's held import."""
    data = _roster("Иванова Анна Петровна")
    shown = await service.submit(data, "s.xlsx", kind="roster")
    held_id = await service.hold(shown, actor=DEPUTY, org_id="school1", file_name="s.xlsx", source="u", size=1)
    namesake = Identity(messenger=Messenger.MAX, external_id=1002)
    held = await service.held(held_id)
    assert held is not None and held.actor == DEPUTY
    assert not await service.cancel(held_id, namesake)
    before = await full_dump(db)
    with pytest.raises(ImportRefused, match="уже применена или отменена"):
        await service.confirm(held.model_copy(update={"actor": namesake}), data, only_org="school1")
    assert await full_dump(db) == before
    assert (await service.held(held_id)).status == "open"  # type: ignore[union-attr]
    # The MAX account's own held import is kept apart: holding it does not supersede VK 1002's.
    await service.hold(shown, actor=namesake, org_id="school1", file_name="s.xlsx", source="u", size=1)
    assert (await service.held(held_id)).status == "open"  # type: ignore[union-attr]


async def test_a_cancelled_import_cannot_be_applied(service: ImportService, staff: dict[str, Person],
                                                    db: Database) -> None:
    """«Отменить» closes the held import: applying it later is refused and changes nothing."""
    data = _roster("Иванова Анна Петровна")
    shown = await service.submit(data, "s.xlsx", kind="roster")
    held_id = await service.hold(shown, actor=DEPUTY, org_id="school1", file_name="s.xlsx", source="u", size=1)
    assert not await ConfirmationRepo(db).close(held_id, vk(2001), "cancelled")  # not theirs
    assert await service.cancel(held_id, DEPUTY)
    held = await service.held(held_id)
    assert held is not None and held.status == "cancelled"
    before = await full_dump(db)
    with pytest.raises(ImportRefused, match="уже применена или отменена"):
        await service.confirm(held, data, only_org="school1")
    assert await full_dump(db) == before


@pytest.mark.parametrize(("kind", "data", "reason"), [
    ("roster", xlsx([["ФИО", "Должность", "Сообщений в групповых чатах"], ["Иванова А. П.", "учитель", 3]]),
     "похоже на еженедельную статистику"),
    ("stats", xlsx([ROSTER_HEADER, ["Иванова Анна Петровна", "учитель", "", ""]]), "Похоже, это список сотрудников"),
    ("stats", _stats(["Иванова А. П.", 3, 1], ["Чужой Один", 1, 0], ["Чужой Два", 1, 0], ["Чужой Три", 1, 0],
                     ["Чужой Четыре", 1, 0], ["Чужой Пять", 1, 0], ["Чужой Шесть", 1, 0]),
     "из 7 строк таблицы больше половины не нашлись в списке сотрудников .*«Чужой Один», «Чужой Два», «Чужой Три», "
     "«Чужой Четыре», «Чужой Пять»\\)"),
    ("stats", _stats(["Иванова А. П.", 3, 1], title="Мониторинг за период с 21.11.2026 по 27.11.2026"),
     "неделя 21.11.2026–27.11.2026 ещё не закончилась"),
])
async def test_a_file_of_the_wrong_kind_is_refused_and_changes_nothing(
        service: ImportService, staff: dict[str, Person], db: Database, kind: str, data: bytes, reason: str) -> None:
    """Statistics as a roster, a roster as statistics, strangers' statistics, a future week: refused, unchanged."""
    before = await full_dump(db)
    for mode in (Mode.AUTO, Mode.APPLY, Mode.DRY_RUN):
        with pytest.raises(ImportRefused, match=reason):
            await service.submit(data, "x.xlsx", kind=kind, mode=mode)
    assert await full_dump(db) == before


def _name(n: int, tail: str) -> str:
    """A unique Cyrillic name (digits would vanish from a name key)."""
    letters = "бвгдклмнпрст"
    return (letters[n // 144 % 12] + letters[n // 12 % 12] + letters[n % 12]).capitalize() + tail


async def test_a_table_of_mostly_strangers_is_refused_with_the_count(
        service: ImportService, staff: dict[str, Person], db: Database) -> None:
    """Two of five rows name roster people: refused with the exact count and the strangers' names."""
    data = _stats(["Иванова А. П.", 3, 1], ["Сидоров П.", 1, 0], ["Чужой Один", 1, 0], ["Чужой Два", 1, 0],
                  ["Чужой Три", 1, 0])
    before = await full_dump(db)
    with pytest.raises(ImportRefused, match="из 5 строк таблицы в списке сотрудников нашлись только 2 "
                                            "\\(не нашлись, например: «Чужой Один», «Чужой Два», «Чужой Три»\\)"):
        await service.submit(data, "x.xlsx", kind="stats", mode=Mode.APPLY)
    assert await full_dump(db) == before


async def test_unmatched_rows_beyond_two_hundred_become_a_count(
        service: ImportService, db: Database) -> None:
    """The first 200 unmatched rows are kept aside with their text; the rest are one counted problem."""
    people = [_name(n, "ова Анна") for n in range(300)]
    async with db.transaction() as conn:
        await RosterRepo.apply_in(conn, ["school1"], [RosterEntry(org_id="school1", full_name=n, role=Role.TEACHER)
                                                      for n in people])
    rows = [[n, 1, 0] for n in people] + [[_name(n, "ин Пётр"), 1, 0] for n in range(250)]
    result = await service.import_stats(xlsx([[TITLE], STATS_HEADER, *rows]), "w.xlsx")
    assert (result.rows_read, result.rows_imported, result.pending) == (550, 300, MAX_PENDING)
    assert len(await service.pending("school1")) == MAX_PENDING
    [counted] = [p for p in result.problems if "и ещё" in p.reason]
    assert counted.row == 503 and "эта и ещё 49 строк ниже не нашлись" in counted.reason
    assert len(result.problems) == MAX_PENDING + 1


async def test_a_too_wide_or_too_big_table_is_refused_at_once(
        db: Database, settings: Settings, staff: dict[str, Person]) -> None:
    """Wider than 200 columns, or more cells than [imports] max_cells: refused within 2 s, nothing stored."""
    svc = ImportService(ImportsSql(db), settings, clock=FixedClock())
    before = await full_dump(db)
    wide = csv_bytes([["ФИО", "Должность", *(f"c{n}" for n in range(10_000))],
                      *([f"Чужой{n} Иван", "учитель", *(["x"] * 10_000)] for n in range(50))])
    started = time.perf_counter()
    with pytest.raises(ImportRefused, match="10002 столбца, а можно до 200"):
        await svc.submit(wide, "wide.csv", kind="roster", mode=Mode.APPLY)
    assert time.perf_counter() - started < 2
    small = settings.model_copy(update={"imports": settings.imports.model_copy(update={"max_cells": 100})})
    tight = ImportService(ImportsSql(db), small, clock=FixedClock())
    many = xlsx([["ФИО", "Должность", "Класс"], *([f"Человек{n} Иван", "учитель", "5А"] for n in range(40))])
    with pytest.raises(ImportRefused, match="слишком много ячеек"):
        await tight.submit(many, "many.xlsx", kind="roster", mode=Mode.APPLY)
    with pytest.raises(ImportRefused, match="слишком много ячеек"):
        await tight.submit(csv_bytes([["ФИО", "Должность", "Класс"],
                                      *([f"Человек{n} Иван", "учитель", "5А"] for n in range(40))]),
                           "many.csv", kind="roster", mode=Mode.APPLY)
    assert await full_dump(db) == before


async def test_a_district_table_for_a_loaded_week_is_previewed(db: Database, two_schools: Settings) -> None:
    """Per-school indicators for a week already loaded: the preview names the week, one school changed."""
    from tests.imports.tables import ORG_HEADER, ORG_ROWS, ods

    svc = ImportService(ImportsSql(db), two_schools, clock=FixedClock())
    data = ods([[TITLE], ORG_HEADER, *ORG_ROWS])
    first = await svc.submit(data, "district.ods", kind="stats")
    assert isinstance(first.result, StatsResult) and first.result.kind == "organization"
    before = await full_dump(db)
    again = await svc.submit(data, "district.ods", kind="stats")
    assert again.preview == Preview(added=0, changed=1, replaces_period=WEEK)
    assert await full_dump(db) == before
