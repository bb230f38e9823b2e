"""What the operations endpoint reads: whether the database answers, whether its schema is current,
and how deep the inbox and outbox queues are."""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.db import Database, load_migrations

# The outbox states that are still waiting to be delivered.
QUEUED = ("pending", "sending")


@dataclass(frozen=True)
class SchemaState:
    """Migrations this code has that the database lacks, and ones the database has that the code does not know."""

    missing: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    @property
    def current(self) -> bool:
        return not self.missing and not self.unknown


@dataclass(frozen=True)
class QueueDepth:
    """Undelivered outbox rows by (messenger, status) and unhandled inbox events."""

    outbox: dict[tuple[str, str], int]
    inbox_pending: int


class OpsRepo:
    """Read-only probes for /readyz and /metrics."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def ping(self) -> None:
        """One trivial query; raises what the database raises when it does not answer."""
        async with self._db.read() as conn, conn.execute("SELECT 1") as cur:
            await cur.fetchone()

    async def schema(self) -> SchemaState:
        """The applied migrations against the ones bundled with this code."""
        async with self._db.read() as conn, conn.execute("SELECT name FROM schema_migrations") as cur:
            applied = {r[0] for r in await cur.fetchall()}
        if self._db.dialect == "postgres":
            from storage.pg import load_pg_migrations

            known = {m.name for m in load_pg_migrations()}
        else:
            known = {m.name for m in load_migrations()}
        return SchemaState(missing=sorted(known - applied), unknown=sorted(applied - known))

    async def queue_depth(self) -> QueueDepth:
        """The outbox rows still to deliver per messenger and status, and the inbox events still to handle."""
        async with self._db.read() as conn:
            async with conn.execute(
                "SELECT messenger, status, count(*) FROM outbox WHERE status IN (?, ?) "
                "GROUP BY messenger, status", QUEUED) as cur:
                outbox = {(str(r[0]), str(r[1])): int(r[2]) for r in await cur.fetchall()}
            async with conn.execute("SELECT count(*) FROM inbox WHERE status = 'pending'") as cur:
                row = await cur.fetchone()
        return QueueDepth(outbox=outbox, inbox_pending=int(row[0]) if row else 0)
