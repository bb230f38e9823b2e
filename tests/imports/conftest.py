"""Fixtures for the import tests: a fixed clock, the service on real SQLite, a small roster."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.config import Settings, parse_settings
from bot.domain.models import Person, Role
from bot.services.imports import ImportService
from storage.db import Database
from storage.imports import ImportsSql
from storage.people import PeopleRepo

# The end-to-end fixtures (emulator, control, bot_app, chat) for tests/imports/test_chat.py.
from tests.e2e.conftest import bot_app, chat, control, e2e_settings, emulator  # noqa: F401, E402, I001

# Monday 23 November 2026: the last completed period is 14.11.2026–20.11.2026.
NOW = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)


class FixedClock:
    """A clock that always says NOW."""

    def __init__(self, now: dt.datetime = NOW) -> None:
        self._now = now

    def now(self) -> dt.datetime:
        return self._now


@pytest.fixture
def two_schools(tmp_path: Path) -> Settings:
    """Two schools, one with an INN."""
    return parse_settings({"schools": [
        {"id": "school1", "name": "МБОУ СОШ № 1", "inn": "0500000001", "deputy_vk_ids": [1002]},
        {"id": "school2", "name": "МБОУ СОШ № 2", "inn": "0500000002"},
    ]}, tmp_path)


@pytest.fixture
async def service(db: Database, settings: Settings) -> ImportService:
    """The import service for one school, organizations and config people in place."""
    svc = ImportService(ImportsSql(db), settings, clock=FixedClock())
    await svc.prepare()
    return svc


@pytest.fixture
async def staff(service: ImportService, db: Database) -> dict[str, Person]:
    """A roster with two Сидоровы П., an «ё» name and a VK-bound teacher."""
    repo = PeopleRepo(db)
    people = {}
    for key, name, vk in (
        ("ivanova", "Иванова Анна Петровна", 501),
        ("petrov", "Петров Игорь Сергеевич", None),
        ("semenova", "Семёнова Ольга Викторовна", None),
        ("sid_petr", "Сидоров Пётр Ильич", None),
        ("sid_pavel", "Сидоров Павел Андреевич", None),
    ):
        people[key] = await repo.add("school1", name, Role.TEACHER, vk_id=vk)
    return people


async def table_counts(db: Database) -> dict[str, int]:
    """Row counts of every table an import may write (to prove a refusal changed nothing)."""
    counts = {}
    async with db.read() as conn:
        for table in ("people", "person_classes", "imports", "person_stats", "org_stats",
                      "pending_rows", "audit_log"):
            async with conn.execute(f"SELECT COUNT(*) FROM {table}") as cur:  # noqa: S608 - fixed names
                row = await cur.fetchone()
                counts[table] = int(row[0]) if row else 0
    return counts


async def full_dump(db: Database) -> list[str]:
    """Every statement of the whole database (to prove a refusal or a preview changed nothing)."""
    async with db.read() as conn:
        if conn.dialect == "sqlite":
            return [line async for line in conn.raw.iterdump()]
        # PostgreSQL: every row of every table, in a stable order.
        async with conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                                "current_schema() ORDER BY 1") as cur:
            tables = [r[0] for r in await cur.fetchall()]
        lines: list[str] = []
        for table in tables:
            async with conn.execute(f'SELECT * FROM "{table}"') as cur:
                lines += sorted(f'INSERT INTO "{table}" VALUES{tuple(r)!r}' for r in await cur.fetchall())
        return lines
