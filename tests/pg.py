"""A real PostgreSQL for tests: a fresh database per test, cloned from a migrated template.

The server comes from SFERUM_TEST_PG_URL (`.ci/postgres.sh start DIR` starts one and prints it; `.ci/run`
does that). Without it, or when the server does not answer, a PostgreSQL test is skipped with the reason;
with CI=true it fails instead, so CI cannot pass without having tested PostgreSQL.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

ENV = "SFERUM_TEST_PG_URL"
BACKEND_ENV = "SFERUM_TEST_BACKEND"
_counter = itertools.count()


def backend() -> str:
    """The backend the shared `db` and e2e fixtures use: "sqlite" (default) or "postgres"."""
    return os.environ.get(BACKEND_ENV, "sqlite")


def unavailable(reason: str) -> None:
    """Skip the test locally; fail it in CI."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and PostgreSQL is not usable: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason} (start one with `bash .ci/postgres.sh start DIR` and "
                f"export the {ENV} it prints)")


def with_db(url: str, name: str) -> str:
    """`url` pointing at database `name`."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


class PgServer:
    """The test server: a migrated template and fresh databases cloned from it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.template = f"sferum_tpl_{os.getpid()}"
        self._template_ready = False

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(self.url, autocommit=True, connect_timeout=5)

    def check(self) -> None:
        with self._admin() as conn:
            conn.execute("SELECT 1")

    def _ensure_template(self) -> None:
        if self._template_ready:
            return
        from storage.pg import PgDatabase

        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.template}" TEMPLATE template0')

        async def migrate() -> None:
            db = await PgDatabase.open(with_db(self.url, self.template))
            await db.close()

        # Fixtures may ask for a database while an event loop runs: migrate in a thread of its own.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, migrate()).result()
        self._template_ready = True

    def create(self, *, migrated: bool = True) -> str:
        """A new database (a copy of the migrated template, or empty); returns its URL."""
        if migrated:
            self._ensure_template()
        name = f"sferum_t{os.getpid()}_{next(_counter)}"
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template if migrated else "template0"}"')
        return with_db(self.url, name)

    def _drop(self, name: str) -> None:
        # An autovacuum worker (the superuser's) may be in the database for a moment, and a
        # non-superuser may not end it: poll a bounded number of times, then leave the database
        # (the cluster is a throwaway one).
        for _ in range(50):
            try:
                with self._admin() as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                return
            except psycopg.errors.InsufficientPrivilege:
                time.sleep(0.1)

    def drop(self, url: str) -> None:
        self._drop(urlsplit(url).path.lstrip("/"))

    def close(self) -> None:
        if self._template_ready:
            self._drop(self.template)
