"""`my_status`: one answer built from sections that each feature contributes."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from pydantic import BaseModel

from bot.domain.models import Person
from bot.ports import Clock, SystemClock

log = logging.getLogger(__name__)


class StatusSection(BaseModel):
    """A part of the answer: a title, lines of figures and open tasks."""

    title: str
    lines: list[str] = []
    open_tasks: list[str] = []
    order: int = 50


SectionProvider = Callable[[Person, dt.datetime], Awaitable[StatusSection | None]]


class MyStatusService:
    """Features register providers in the composition root; this renders their sections."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._providers: list[SectionProvider] = []
        self._clock = clock or SystemClock()

    def register(self, provider: SectionProvider) -> None:
        """Add a section provider (statistics, chats, reminders…)."""
        self._providers.append(provider)

    async def sections(self, person: Person) -> list[StatusSection]:
        now = self._clock.now()
        found: list[StatusSection] = []
        for provider in self._providers:
            try:
                section = await provider(person, now)
            except Exception:
                # One broken section must not hide the others.
                log.exception("«Мой статус»: раздел %r не собран из-за ошибки", provider)
                continue
            if section is not None:
                found.append(section)
        return sorted(found, key=lambda s: s.order)

    async def render(self, person: Person) -> str:
        """The whole answer for one person, in Russian."""
        sections = await self.sections(person)
        name = person.first_and_middle
        parts = [f"{name}, ваш статус:" if name else "Ваш статус:"]
        tasks: list[str] = []
        for section in sections:
            body = "\n".join(f"• {line}" for line in section.lines)
            parts.append(f"{section.title}\n{body}" if body else section.title)
            tasks.extend(section.open_tasks)
        if not sections:
            parts.append("Данных о вас пока нет: статистику загружает заместитель директора по пятницам.")
        if tasks:
            parts.append("Что осталось сделать:\n" + "\n".join(f"{i}. {t}" for i, t in enumerate(tasks, 1)))
        elif sections:
            parts.append("Открытых задач нет — спасибо!")
        return "\n\n".join(parts)
