"""Personal data under 152-ФЗ: export, forget, retention and backups."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.ports import Clock, SystemClock
from storage.audit import AuditRepo
from storage.db import Database
from storage.privacy import PrivacyRepo

log = logging.getLogger(__name__)

DATA_NOTICE = (
    "Что бот хранит о вас: ФИО, должность и классы из списка сотрудников школы, ваш id ВКонтакте, "
    "недельные показатели Сферума и отметки о переносе чатов. Зачем: чтобы напоминать о задачах "
    "по приказам о Сферуме и готовить сводки для администрации школы. Тексты ваших сообщений "
    "в групповых чатах бот не хранит. Сколько: статистику — {stats_days} дн., данные уволившихся "
    "сотрудников — {left_days} дн. Вопросы, выгрузка или удаление данных — у ответственного "
    "за Сферум в школе."
)

BACKUP_PREFIX = "sferum-bot-"


def data_notice(settings: Settings, org_id: str | None) -> str:
    """The short personal-data notice shown when a person is identified."""
    school = next((s for s in settings.schools if s.id == org_id), settings.schools[0])
    return DATA_NOTICE.format(stats_days=school.retention.statistics_days,
                              left_days=school.retention.left_people_days)


def backup_name(moment: dt.datetime) -> str:
    """The file name of a scheduled backup: sortable by time."""
    return f"{BACKUP_PREFIX}{moment:%Y%m%d-%H%M%S}.sqlite3"


def backups_to_delete(names: list[str], keep: int) -> list[str]:
    """Scheduled backups beyond the newest `keep` (other files are never touched)."""
    ours = sorted(n for n in names if n.startswith(BACKUP_PREFIX) and n.endswith(".sqlite3"))
    return ours[:-keep] if len(ours) > keep else []


class PrivacyService:
    """Export and forget one person (audited), enforce retention, make backups."""

    def __init__(self, db: Database, settings: Settings, clock: Clock | None = None) -> None:
        self._db = db
        self._repo = PrivacyRepo(db)
        self._audit = AuditRepo(db)
        self._settings = settings
        self._clock = clock or SystemClock()

    async def export_person(self, person_id: int, actor: str = "cli") -> dict[str, Any] | None:
        """Everything the bot holds about one person, or None if there is no such person."""
        data = await self._repo.export(person_id)
        if not data:
            return None
        await self._audit.write(actor_vk_id=None, org_id=data["people"][0]["org_id"],
                                action="export_person", outcome="ok", target=str(person_id),
                                details={"by": actor})
        return {"person_id": person_id, "tables": data}

    async def forget_person(self, person_id: int, actor: str = "cli") -> dict[str, int] | None:
        """Remove one person's data; None if there is no such person."""
        exists, _ = await self._repo.person_vk_id(person_id)
        if not exists:
            return None
        changed = await self._repo.forget(person_id)
        await self._audit.write(actor_vk_id=None, org_id=None, action="forget_person", outcome="ok",
                                target=str(person_id), details={"by": actor, "rows": changed})
        return changed

    async def enforce_retention(self) -> dict[str, int]:
        """The daily job: old statistics and people who left long ago are removed."""
        now = self._clock.now()
        result = {"statistics": 0, "people": 0, "service_rows": 0}
        for school in self._settings.schools:
            cutoff = (now - dt.timedelta(days=school.retention.statistics_days)).date()
            result["statistics"] += await self._repo.delete_statistics_before(school.id, cutoff)
            left_before = now - dt.timedelta(days=school.retention.left_people_days)
            for person_id in await self._repo.expired_people(school.id, left_before):
                await self._repo.forget(person_id)
                result["people"] += 1
        result["service_rows"] = await self._repo.delete_old_service_rows(now - dt.timedelta(days=30))
        if any(result.values()):
            await self._audit.write(actor_vk_id=None, org_id=None, action="retention", outcome="ok",
                                    details=result)
        log.info("retention: %s", result)
        return result

    async def backup(self, target: Path) -> Path:
        """A consistent copy of the live database (VACUUM INTO)."""
        await self._db.backup_to(target)
        return target

    async def scheduled_backup(self) -> Path:
        """The daily backup into settings.backup.dir, keeping the newest `keep` copies."""
        folder = self._settings.backup.dir
        target = folder / backup_name(self._clock.now())
        await self.backup(target)
        for name in backups_to_delete([p.name for p in folder.iterdir()], self._settings.backup.keep):
            (folder / name).unlink(missing_ok=True)
        return target
