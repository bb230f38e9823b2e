"""The deputy's broadcasts: drafts, runs, each recipient's outcome, and audience queries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.stores.broadcasts import AudiencePerson, Broadcast, Recipient
from storage._util import iso
from storage.sql import Database, Row, insert_id

_COLS = ("id, org_id, created_by, audience, audience_arg, text, status, progress_messenger, progress_peer, "
         "progress_cmid, progress_bot, created_at, started_at, finished_at")
_STAFF_ROLES = ("teacher", "staff")


def _broadcast(r: Row) -> Broadcast:
    return Broadcast(**{k: r[k] for k in r.keys()})  # noqa: SIM118 - sqlite3.Row has no items()


def _audience(rows: Iterable[Row]) -> list[AudiencePerson]:
    return [AudiencePerson(person_id=r[0], full_name=r[1], vk_id=r[2], max_id=r[3]) for r in rows]


class BroadcastRepo:
    """Broadcast drafts and runs in SQLite."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- drafts and runs ---------------------------------------------------------------

    async def create(self, org_id: str, created_by: int, audience: str, audience_arg: str | None,
                     text: str) -> Broadcast:
        """A new draft."""
        async with self._db.transaction() as conn:
            new_id = await insert_id(
                conn, "INSERT INTO broadcasts(org_id, created_by, audience, audience_arg, text, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (org_id, created_by, audience, audience_arg, text, iso()),
            )
            async with conn.execute(f"SELECT {_COLS} FROM broadcasts WHERE id = ?", (new_id,)) as sel:  # noqa: S608 - fixed columns
                row = await sel.fetchone()
        assert row is not None
        return _broadcast(row)

    async def get(self, broadcast_id: int) -> Broadcast | None:
        async with self._db.read() as conn, conn.execute(
            f"SELECT {_COLS} FROM broadcasts WHERE id = ?", (broadcast_id,)  # noqa: S608 - fixed columns
        ) as cur:
            row = await cur.fetchone()
        return _broadcast(row) if row else None

    async def unfinished(self) -> list[Broadcast]:
        """Broadcasts started but not reported (the process stopped while sending)."""
        async with self._db.read() as conn, conn.execute(
            f"SELECT {_COLS} FROM broadcasts WHERE status = 'sending' ORDER BY id"  # noqa: S608 - fixed columns
        ) as cur:
            return [_broadcast(r) for r in await cur.fetchall()]

    async def set_text(self, broadcast_id: int, text: str) -> bool:
        """Replace a draft's text; False when it is no longer a draft."""
        async with self._db.transaction() as conn:
            cur = await conn.execute("UPDATE broadcasts SET text = ? WHERE id = ? AND status = 'draft'",
                                     (text, broadcast_id))
            return cur.rowcount > 0

    async def cancel(self, broadcast_id: int) -> bool:
        """Drop a draft; False when it was already started, sent or cancelled."""
        async with self._db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE broadcasts SET status = 'cancelled', finished_at = ? WHERE id = ? AND status = 'draft'",
                (iso(), broadcast_id))
            return cur.rowcount > 0

    async def start(self, broadcast_id: int, recipients: Sequence[AudiencePerson]) -> bool:
        """Draft → sending with its recipients fixed; False if it was not a draft (a second press)."""
        async with self._db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE broadcasts SET status = 'sending', started_at = ? WHERE id = ? AND status = 'draft'",
                (iso(), broadcast_id))
            if cur.rowcount == 0:
                return False
            await conn.executemany(
                "INSERT INTO broadcast_recipients(broadcast_id, person_id, vk_id, status) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(broadcast_id, r.person_id, r.vk_id, "pending" if r.vk_id or r.max_id else "skipped")
                 for r in recipients],
            )
            return True

    async def set_progress_message(self, broadcast_id: int, messenger: str, chat_id: int, cmid: int | None,
                                   bot: str | None = None) -> None:
        """Remember the message that shows the progress (edited as the send goes), its dialog and that
        dialog's bot (None: the school's)."""
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE broadcasts SET progress_messenger = ?, progress_peer = ?, progress_cmid = ?, "
                               "progress_bot = ? WHERE id = ?", (messenger, chat_id, cmid, bot, broadcast_id))

    async def recipients(self, broadcast_id: int) -> list[Recipient]:
        """A started broadcast's recipients, by name."""
        async with self._db.read() as conn, conn.execute(
            "SELECT r.person_id, p.full_name, r.vk_id, r.status, r.error_code, p.max_id FROM broadcast_recipients r "
            "JOIN people p ON p.id = r.person_id WHERE r.broadcast_id = ? ORDER BY p.full_name, p.id",
            (broadcast_id,),
        ) as cur:
            rows = await cur.fetchall()
        return [Recipient(person_id=r[0], full_name=r[1], vk_id=r[2], status=r[3], error_code=r[4], max_id=r[5])
                for r in rows]

    async def finish(self, broadcast_id: int, outcomes: Sequence[tuple[int, str, int | None]]) -> bool:
        """Record (person_id, status, error_code) for each recipient and close the run, at once.

        False when it was already finished (the report went out before).
        """
        async with self._db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE broadcasts SET status = 'done', finished_at = ? WHERE id = ? AND status = 'sending'",
                (iso(), broadcast_id))
            if cur.rowcount == 0:
                return False
            await conn.executemany(
                "UPDATE broadcast_recipients SET status = ?, error_code = ? WHERE broadcast_id = ? AND person_id = ?",
                [(status, code, broadcast_id, person_id) for person_id, status, code in outcomes],
            )
            return True

    # --- audiences -----------------------------------------------------------------------

    async def staff(self, org_id: str) -> list[AudiencePerson]:
        """Every active teacher and staff member of the school."""
        async with self._db.read() as conn, conn.execute(
            "SELECT id, full_name, vk_id, max_id FROM people WHERE org_id = ? AND active = 1 AND role IN (?, ?) "
            "ORDER BY full_name, id",
            (org_id, *_STAFF_ROLES),
        ) as cur:
            return _audience(await cur.fetchall())

    async def below_threshold(self, org_id: str, period_start: str, threshold: int) -> list[AudiencePerson]:
        """Teachers with fewer than `threshold` group-chat messages in the period (or no figures)."""
        async with self._db.read() as conn, conn.execute(
            "SELECT p.id, p.full_name, p.vk_id, p.max_id FROM people p LEFT JOIN person_stats s "
            "ON s.person_id = p.id AND s.period_start = ? "
            "WHERE p.org_id = ? AND p.active = 1 AND p.role = 'teacher' "
            "AND (s.group_messages IS NULL OR s.group_messages < ?) ORDER BY p.full_name, p.id",
            (period_start, org_id, threshold),
        ) as cur:
            return _audience(await cur.fetchall())

    async def not_registered(self, org_id: str, period_start: str) -> list[AudiencePerson]:
        """Teachers and staff the period's table shows as not registered (or does not list)."""
        async with self._db.read() as conn, conn.execute(
            "SELECT p.id, p.full_name, p.vk_id, p.max_id FROM people p LEFT JOIN person_stats s "
            "ON s.person_id = p.id AND s.period_start = ? "
            "WHERE p.org_id = ? AND p.active = 1 AND p.role IN (?, ?) "
            "AND (s.person_id IS NULL OR s.registered = 0) ORDER BY p.full_name, p.id",
            (period_start, org_id, *_STAFF_ROLES),
        ) as cur:
            return _audience(await cur.fetchall())

    async def people(self, org_id: str, person_ids: Sequence[int]) -> list[AudiencePerson]:
        """The school's active people among `person_ids`."""
        wanted = set(person_ids)
        async with self._db.read() as conn, conn.execute(
            "SELECT id, full_name, vk_id, max_id FROM people WHERE org_id = ? AND active = 1 ORDER BY full_name, id",
            (org_id,),
        ) as cur:
            return [p for p in _audience(await cur.fetchall()) if p.person_id in wanted]

    async def classes(self, org_id: str) -> dict[str, list[AudiencePerson]]:
        """Class name (as stored) → the school's active people who lead it."""
        async with self._db.read() as conn, conn.execute(
            "SELECT c.class_name, p.id, p.full_name, p.vk_id, p.max_id FROM person_classes c JOIN people p ON p.id = c.person_id "
            "WHERE p.org_id = ? AND p.active = 1 ORDER BY p.full_name, p.id",
            (org_id,),
        ) as cur:
            rows = await cur.fetchall()
        found: dict[str, list[AudiencePerson]] = {}
        for r in rows:
            found.setdefault(r[0], []).append(AudiencePerson(person_id=r[1], full_name=r[2], vk_id=r[3], max_id=r[4]))
        return found
