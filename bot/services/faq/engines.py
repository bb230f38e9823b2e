"""One FAQ engine per school: the bundled base, then the school's file, then the school's own entries.

Engines are built lazily (in a thread: building takes tens of milliseconds) and replaced when the
deputy adds an entry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.config import SchoolConfig, Settings
from bot.faq import FaqEngine, KnowledgeBase, KnowledgeBaseError, load_knowledge_base
from bot.stores.faq import SchoolEntry


def check_knowledge_files(settings: Settings) -> str | None:
    """Why a school's FAQ file is unusable (one Russian line naming the school and entry), or None."""
    for school in settings.schools:
        if school.faq_file is None:
            continue
        try:
            load_knowledge_base(school.faq_file)
        except KnowledgeBaseError as exc:
            return f"школа {school.id}: {exc}"
    return None


def entry_dict(entry: SchoolEntry) -> dict[str, object]:
    """The entry as a knowledge-base ``[[topic]]`` table (validated by the same rules as the file)."""
    raw: dict[str, object] = {"id": entry.topic_id, "answer": entry.answer}
    if entry.title:
        raw["title"] = entry.title
    if entry.examples:
        raw["examples"] = list(entry.examples)
    return raw


class Engines:
    """Each school's engine, built on first use from its knowledge bases and `entries(org_id)`."""

    def __init__(self, settings: Settings, entries: Callable[[str], Awaitable[list[SchoolEntry]]]) -> None:
        self._settings = settings
        self._entries = entries
        self._built: dict[str, FaqEngine] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._bases: dict[str, KnowledgeBase] = {}
        # Fail at start, not at the first question: every school file is read now.
        problem = check_knowledge_files(settings)
        if problem is not None:
            raise KnowledgeBaseError(problem)

    def school(self, org_id: str | None) -> SchoolConfig | None:
        """The school's settings (None: no such school, or someone without one)."""
        return next((s for s in self._settings.schools if s.id == org_id), None)

    def _base(self, org_id: str | None) -> KnowledgeBase:
        key = org_id or ""
        if key not in self._bases:
            school = self.school(org_id)
            self._bases[key] = load_knowledge_base(school.faq_file if school else None)
        return self._bases[key]

    def _build(self, org_id: str | None, entries: list[SchoolEntry]) -> FaqEngine:
        return FaqEngine.build(self._base(org_id), [entry_dict(e) for e in entries])

    async def build(self, org_id: str | None, entries: list[SchoolEntry]) -> FaqEngine:
        """A new engine of the school with exactly these entries (KnowledgeBaseError when one is invalid)."""
        return await asyncio.to_thread(self._build, org_id, entries)

    async def get(self, org_id: str | None) -> FaqEngine:
        """The school's engine (bundled + school file + its entries), built on first use."""
        key = org_id or ""
        found = self._built.get(key)
        if found is not None:
            return found
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            found = self._built.get(key)
            if found is None:
                entries = await self._entries(org_id) if org_id else []
                found = await self.build(org_id, entries)
                self._built[key] = found
        return found

    def replace(self, org_id: str, engine: FaqEngine) -> None:
        """Use `engine` for the school from now on (after the deputy saved an entry)."""
        self._built[org_id] = engine
