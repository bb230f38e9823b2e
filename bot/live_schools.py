"""The schools a running bot serves, kept current: the config's, and the table's of `import-schools`.

At start and then every `SCHOOLS_INTERVAL` seconds the table is read again (on SQLite and PostgreSQL
alike); a new or changed school is in the settings every service holds, its organization and the
people the table names are stored, and the scheduler gets its jobs. No restart is needed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.config import ConfigError, Settings
from bot.domain.models import CONFIG_NAMES, Organization, Role
from storage.people import PeopleRepo
from storage.schools import SchoolsRepo
from storage.sql import Database

log = logging.getLogger(__name__)

SCHOOLS_INTERVAL = 30.0


async def sync_config_people(settings: Settings, people: PeopleRepo) -> None:
    """The organizations and the people the config names (deputies, directors, district)."""
    await people.sync_organizations(
        Organization(id=s.id, name=s.name, timezone=s.timezone, inn=s.inn) for s in settings.schools)
    bound = settings.district.officials
    # Per messenger: how a config account becomes a person, and where the config names each role's accounts.
    accounts = (
        (people.ensure_config_person, [(s, s.director_vk_id, s.deputy_vk_ids) for s in settings.schools],
         [*settings.district.official_vk_ids, *(i for entry in bound for i in entry.vk_ids)]),
        (people.ensure_config_max_person, [(s, s.director_max_id, s.deputy_max_ids) for s in settings.schools],
         [*settings.district.official_max_ids, *(i for entry in bound for i in entry.max_ids)]),
    )
    for ensure, schools, officials in accounts:
        for school, director, deputies in schools:
            if director:
                await ensure(school.id, director, Role.DIRECTOR, CONFIG_NAMES[Role.DIRECTOR])
            for account in deputies:
                await ensure(school.id, account, Role.DEPUTY, CONFIG_NAMES[Role.DEPUTY])
        for account in officials:
            await ensure(None, account, Role.DISTRICT, CONFIG_NAMES[Role.DISTRICT])


async def refresh_schools(settings: Settings, db: Database,
                          on_changed: Callable[[], Any] | None = None) -> bool:
    """Read the table's schools into `settings` (in place); when they changed, store their organizations and
    people and call `on_changed`. A table that does not validate is logged and changes nothing."""
    try:
        changed = settings.refresh_table_schools(await SchoolsRepo(db).all())
    except ConfigError as exc:
        log.error("школы из таблицы не приняты: %s", exc)
        return False
    if changed:
        await sync_config_people(settings, PeopleRepo(db))
        if on_changed is not None:
            on_changed()
        log.info("список школ обновлён: %d", len(settings.schools))
    return changed


async def watch_schools(interval: float, refresh: Callable[[], Awaitable[bool]]) -> None:
    """Every `interval` s read the schools again (a failed read is logged and tried next time)."""
    while True:
        await asyncio.sleep(interval)
        try:
            await refresh()
        except Exception:
            log.warning("не удалось перечитать школы", exc_info=True)
