"""Shared fixtures: a migrated database on real SQLite, settings, an isolated cwd."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from bot.config import Settings, parse_settings
from storage.db import Database
from storage.sql import Database as AnyDatabase
from tests.pg import ENV, PgServer, backend, unavailable

ROOT = Path(__file__).resolve().parent.parent

# Property tests draw the same examples on every run, so CI is repeatable;
# HYPOTHESIS_PROFILE=explore searches new ones (and a failure found there becomes an @example).
hypothesis_settings.register_profile("repeatable", derandomize=True)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Default settings with the data directory inside tmp_path."""
    return parse_settings(
        {
            "schools": [
                {"id": "school1", "name": "МБОУ СОШ № 1", "director_vk_id": 1001, "deputy_vk_ids": [1002]}
            ]
        },
        tmp_path,
    )


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer | None]:
    """The PostgreSQL server of SFERUM_TEST_PG_URL (None when it is not set or does not answer)."""
    url = os.environ.get(ENV)
    server = PgServer(url) if url else None
    if server is not None:
        try:
            server.check()
        except Exception as exc:
            server = None
            os.environ["_SFERUM_PG_ERROR"] = f"{ENV}={url} does not answer: {exc}"
    yield server
    if server is not None:
        server.close()


def _pg(pg_server: PgServer | None) -> PgServer:
    if pg_server is None:
        unavailable(os.environ.get("_SFERUM_PG_ERROR") or f"{ENV} is not set")
    assert pg_server is not None
    return pg_server


@pytest.fixture
def pg_url(pg_server: PgServer | None) -> Iterator[str]:
    """A fresh, fully migrated PostgreSQL database of its own (dropped after the test)."""
    server = _pg(pg_server)
    url = server.create()
    yield url
    server.drop(url)


@pytest.fixture
def pg_empty_url(pg_server: PgServer | None) -> Iterator[str]:
    """A fresh, empty PostgreSQL database (no migration applied)."""
    server = _pg(pg_server)
    url = server.create(migrated=False)
    yield url
    server.drop(url)


@pytest.fixture
def storage_override(request: pytest.FixtureRequest) -> dict[str, object]:
    """Settings for the backend under test: nothing for SQLite; a fresh database's url with
    SFERUM_TEST_BACKEND=postgres (how CI runs the e2e suite a second time)."""
    if backend() != "postgres":
        return {}
    return {"storage": {"url": request.getfixturevalue("pg_url")}}


async def open_backend(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> AnyDatabase:
    """A fresh, migrated database on `kind` ("sqlite" or "postgres")."""
    if kind == "postgres":
        from storage.pg import PgDatabase

        return await PgDatabase.open(request.getfixturevalue("pg_url"))
    return await Database.open(tmp_path / "test.sqlite3")


@pytest.fixture
async def db(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[AnyDatabase]:
    """A fresh, fully migrated database: an SQLite file (PostgreSQL with SFERUM_TEST_BACKEND=postgres)."""
    database = await open_backend(backend(), tmp_path, request)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def each_db(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[AnyDatabase]:
    """A fresh, fully migrated database on SQLite, then on PostgreSQL: for tests of a storage contract."""
    database = await open_backend(request.param, tmp_path, request)
    try:
        yield database
    finally:
        await database.close()
