"""MAX group chats the bot is in (table max_chats, migration 0019): MAX has no list of a bot's chats,
so a chat is learnt from bot_added and forgotten on bot_removed."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from storage._util import iso
from storage.sql import Database


class MaxChat(BaseModel):
    """A chat and the bot's rights there as last checked (None: not checked)."""

    model_config = ConfigDict(frozen=True)

    chat_id: int
    title: str | None = None
    is_admin: bool | None = None
    reads_all: bool | None = None


class MaxChatsRepo:
    """Known MAX group chats."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def added(self, chat_id: int, title: str | None = None) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO max_chats(chat_id, title, added_at) VALUES (?, ?, ?) "
                "ON CONFLICT(chat_id) DO UPDATE SET title = COALESCE(excluded.title, max_chats.title)",
                (chat_id, title, iso()))

    async def removed(self, chat_id: int) -> None:
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM max_chats WHERE chat_id = ?", (chat_id,))

    async def rights(self, chat_id: int, is_admin: bool, reads_all: bool) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE max_chats SET is_admin = ?, reads_all = ?, checked_at = ? WHERE chat_id = ?",
                (int(is_admin), int(reads_all), iso(), chat_id))

    async def all(self) -> list[MaxChat]:
        async with self._db.read() as conn, conn.execute(
                "SELECT chat_id, title, is_admin, reads_all FROM max_chats ORDER BY chat_id") as cur:
            rows = await cur.fetchall()
        return [MaxChat(chat_id=r[0], title=r[1], is_admin=None if r[2] is None else bool(r[2]),
                        reads_all=None if r[3] is None else bool(r[3])) for r in rows]


async def known_chats(path: Path, url: str | None = None) -> list[MaxChat]:
    """The chats kept in the database (PostgreSQL at `url`, else the file at `path`), read without changing
    it: none when the database does not exist yet, cannot be opened, or is from before MAX chats were kept
    (migration 0019)."""
    from storage.backend import open_database

    if not url and not path.exists():
        return []
    try:
        db = await open_database(path, url, migrate=False, create=False)
    except Exception:  # noqa: BLE001 - `doctor` reports on the messengers; a database it cannot open has no chats
        return []
    try:
        return await MaxChatsRepo(db).all()
    except Exception:  # noqa: BLE001 - the same: an older schema or a broken file lists no chats
        return []
    finally:
        await db.close()
