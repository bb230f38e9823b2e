"""Staff questions to the FAQ, hand-offs to the deputy, and a school's own knowledge-base entries."""

from __future__ import annotations

import datetime as dt
import json

from bot.stores.faq import FaqQuestion, SchoolEntry
from storage._util import dumps, iso
from storage.sql import Connection, Database, Row, insert_id

_QUESTION_COLS = (
    "q.id, q.org_id, q.person_id, q.asker_vk_id, p.full_name, q.text, q.topic, q.status, q.helpful, "
    "q.answer, q.answered_by, q.entry_topic, q.created_at, q.handed_at, q.answered_at"
)


def _question(row: Row) -> FaqQuestion:
    return FaqQuestion(
        id=row[0], org_id=row[1], person_id=row[2], asker_vk_id=row[3], asker_name=row[4], text=row[5],
        topic=row[6], status=row[7], helpful=None if row[8] is None else bool(row[8]), answer=row[9],
        answered_by=row[10], entry_topic=row[11], created_at=row[12], handed_at=row[13], answered_at=row[14],
    )


class FaqRepo:
    """SQL of the FAQ feature; `*_in` methods run inside the caller's transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- questions -----------------------------------------------------------------------

    @staticmethod
    async def add_question_in(conn: Connection, *, org_id: str | None, person_id: int,
                              asker_vk_id: int, text: str, topic: str | None, now: dt.datetime) -> int:
        """Store a question the bot answered (status «asked»); returns its id."""
        new_id = await insert_id(
            conn, "INSERT INTO faq_questions(org_id, person_id, asker_vk_id, text, topic, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (org_id, person_id, asker_vk_id, text, topic, iso(now)),
        )
        return new_id or 0

    async def remember(self, *, org_id: str | None, person_id: int, asker_vk_id: int, text: str,
                       topic: str | None, now: dt.datetime, forget_before: dt.datetime) -> int:
        """`purge_asked_in(forget_before)` and `add_question_in` in one transaction; the new question's id."""
        async with self._db.transaction() as conn:
            await self.purge_asked_in(conn, forget_before)
            return await self.add_question_in(conn, org_id=org_id, person_id=person_id, asker_vk_id=asker_vk_id,
                                              text=text, topic=topic, now=now)

    @staticmethod
    async def purge_asked_in(conn: Connection, before: dt.datetime) -> int:
        """Forget questions the bot answered that were never handed on, older than `before`."""
        # The newest row always stays: SQLite gives the next row max(id) + 1, so ids are never
        # reused and an old button cannot point at someone's newer question.
        cur = await conn.execute(
            "DELETE FROM faq_questions WHERE status = 'asked' AND created_at < ? "
            "AND id < (SELECT MAX(id) FROM faq_questions)", (iso(before),))
        return cur.rowcount

    @staticmethod
    async def get_in(conn: Connection, question_id: int) -> FaqQuestion | None:
        async with conn.execute(
            f"SELECT {_QUESTION_COLS} FROM faq_questions q JOIN people p ON p.id = q.person_id "  # noqa: S608 - fixed columns
            "WHERE q.id = ?", (question_id,),
        ) as cur:
            row = await cur.fetchone()
        return _question(row) if row else None

    async def get(self, question_id: int) -> FaqQuestion | None:
        """One question with its asker's name, or None."""
        async with self._db.read() as conn:
            return await self.get_in(conn, question_id)

    @staticmethod
    async def hand_off_in(conn: Connection, question_id: int, now: dt.datetime) -> bool:
        """Mark an «asked» question as handed to the deputy; False if it already was (or is answered)."""
        cur = await conn.execute(
            "UPDATE faq_questions SET status = 'open', handed_at = ? WHERE id = ? AND status = 'asked'",
            (iso(now), question_id),
        )
        return cur.rowcount == 1

    @staticmethod
    async def answer_in(conn: Connection, question_id: int, answer: str, answered_by: int,
                        now: dt.datetime) -> bool:
        """Store the deputy's answer of an open question; False if it is not open."""
        cur = await conn.execute(
            "UPDATE faq_questions SET status = 'answered', answer = ?, answered_by = ?, answered_at = ? "
            "WHERE id = ? AND status = 'open'",
            (answer, answered_by, iso(now), question_id),
        )
        return cur.rowcount == 1

    async def set_helpful(self, question_id: int, helpful: bool) -> None:
        """The asker's «помогло» on the bot's answer."""
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE faq_questions SET helpful = ? WHERE id = ?", (int(helpful), question_id))

    async def open_questions(self, org_id: str, limit: int = 50) -> list[FaqQuestion]:
        """Questions handed to the school's deputy and not answered yet, oldest first."""
        async with self._db.read() as conn, conn.execute(
            f"SELECT {_QUESTION_COLS} FROM faq_questions q JOIN people p ON p.id = q.person_id "  # noqa: S608 - fixed columns
            "WHERE q.org_id = ? AND q.status = 'open' ORDER BY q.id LIMIT ?", (org_id, limit),
        ) as cur:
            rows = await cur.fetchall()
        return [_question(r) for r in rows]

    async def open_for(self, person_id: int) -> list[FaqQuestion]:
        """The person's own questions handed to the deputy and not answered yet."""
        async with self._db.read() as conn, conn.execute(
            f"SELECT {_QUESTION_COLS} FROM faq_questions q JOIN people p ON p.id = q.person_id "  # noqa: S608 - fixed columns
            "WHERE q.person_id = ? AND q.status = 'open' ORDER BY q.id", (person_id,),
        ) as cur:
            rows = await cur.fetchall()
        return [_question(r) for r in rows]

    async def count_open(self, org_id: str) -> int:
        """How many questions wait for the school's deputy."""
        async with self._db.read() as conn, conn.execute(
            "SELECT COUNT(*) FROM faq_questions WHERE org_id = ? AND status = 'open'", (org_id,)
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    async def set_entry_topic_in(conn: Connection, question_id: int, topic_id: str) -> None:
        await conn.execute("UPDATE faq_questions SET entry_topic = ? WHERE id = ?", (topic_id, question_id))

    # --- school entries ------------------------------------------------------------------

    @staticmethod
    async def entry_in(conn: Connection, org_id: str, topic_id: str) -> SchoolEntry | None:
        async with conn.execute(
            "SELECT org_id, topic_id, title, answer, examples, question_id, created_by FROM faq_entries "
            "WHERE org_id = ? AND topic_id = ?", (org_id, topic_id),
        ) as cur:
            row = await cur.fetchone()
        return _entry(row) if row else None

    async def entry(self, org_id: str, topic_id: str) -> SchoolEntry | None:
        """The school's entry for the topic, or None."""
        async with self._db.read() as conn:
            return await self.entry_in(conn, org_id, topic_id)

    @staticmethod
    async def save_entry_in(conn: Connection, entry: SchoolEntry, now: dt.datetime) -> None:
        """Insert or replace the school's entry for the topic."""
        await conn.execute(
            "INSERT INTO faq_entries(org_id, topic_id, title, answer, examples, question_id, created_by, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(org_id, topic_id) DO UPDATE SET title = excluded.title, answer = excluded.answer, "
            "examples = excluded.examples, question_id = excluded.question_id, created_by = excluded.created_by, "
            "updated_at = excluded.updated_at",
            (entry.org_id, entry.topic_id, entry.title, entry.answer, dumps(entry.examples), entry.question_id,
             entry.created_by, iso(now), iso(now)),
        )

    async def entries(self, org_id: str) -> list[SchoolEntry]:
        """The school's own entries, by topic id."""
        async with self._db.read() as conn, conn.execute(
            "SELECT org_id, topic_id, title, answer, examples, question_id, created_by FROM faq_entries "
            "WHERE org_id = ? ORDER BY topic_id", (org_id,),
        ) as cur:
            rows = await cur.fetchall()
        return [_entry(r) for r in rows]


def _entry(row: Row) -> SchoolEntry:
    return SchoolEntry(org_id=row[0], topic_id=row[1], title=row[2], answer=row[3],
                       examples=list(json.loads(row[4] or "[]")), question_id=row[5], created_by=row[6])
