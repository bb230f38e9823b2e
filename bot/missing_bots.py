"""Schools whose bot is not configured any more: a table school (`import-schools`, «Сообщество ВК» / «Бот MAX»)
names a VK community or a MAX bot that was later removed from the config.

Such a school's mail in that messenger is held, not sent through another bot: people allow each bot on its own
(reachability is per bot), so another bot's message would either be refused or reach people in a dialog they
never opened, under a name they do not know. `doctor` reports each such school and what to do; `run` warns once
at start; the messages themselves come back as failed deliveries saying why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.config import Settings

log = logging.getLogger(__name__)

_KINDS = {"vk": ("сообществу ВКонтакте", "[[vk.communities]]", "«Сообщество ВК»"),
          "max": ("боту MAX", "[[max.bots]]", "«Бот MAX»")}


@dataclass(frozen=True)
class MissingBot:
    """School `school_id` names bot `name` of `messenger`, which is not among the `running` ones."""

    school_id: str
    school_name: str
    messenger: str
    name: str
    running: tuple[str, ...]

    def problem(self) -> str:
        """What is wrong, in Russian."""
        whom, section, _ = _KINDS[self.messenger]
        listed = f"есть: {', '.join(self.running)}" if self.running else "названных там нет"
        return (f"Школа «{self.school_name}» ({self.school_id}) привязана к {whom} «{self.name}», а его нет "
                f"в {section} ({listed}): сообщения этой школы через него не отправляются.")

    def fix(self) -> str:
        """What to do about it, in Russian."""
        _, section, column = _KINDS[self.messenger]
        return (f"Верните «{self.name}» в {section} или загрузите таблицу школ заново (import-schools) "
                f"с другим значением в столбце {column}.")


def missing_bots(settings: Settings) -> list[MissingBot]:
    """Every (school, messenger) whose named bot is not configured, in the schools' order, VK first."""
    running = {"vk": tuple(c.name for c in settings.vk.running()) if settings.vk.communities else (),
               "max": tuple(b.name for b in settings.max.running()) if settings.max.bots else ()}
    found = []
    for school in settings.schools:
        for messenger, named in (("vk", school.vk_community), ("max", school.max_bot)):
            if named is not None and named not in running[messenger]:
                found.append(MissingBot(school.id, school.name, messenger, named, running[messenger]))
    return found


def warn_missing_bots(settings: Settings) -> list[MissingBot]:
    """Log a warning for each school whose bot is not configured (at start); those schools."""
    found = missing_bots(settings)
    for missing in found:
        log.warning("%s Как исправить: %s", missing.problem(), missing.fix())
    return found
