"""Personal data under 152-ФЗ: what the privacy service asks of storage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bot.ports import AuditLog


class PersonalData(Protocol):
    """Export, forget and retention over every table that holds personal data (storage.privacy.PrivacyRepo)."""

    async def person_vk_id(self, person_id: int) -> tuple[bool, int | None]:
        """(exists, vk_id) of a person."""
        ...

    async def export(self, person_id: int) -> dict[str, list[dict[str, Any]]]:
        """Every row about the person, table by table (empty tables left out)."""
        ...

    async def forget(self, person_id: int) -> dict[str, int]:
        """Remove the person's data; rows changed per table."""
        ...

    async def expired_people(self, org_id: str, left_before: dt.datetime) -> list[int]: ...

    async def delete_statistics_before(self, org_id: str, day: dt.date) -> int: ...

    async def delete_old_service_rows(self, before: dt.datetime) -> int: ...


class Consents(Protocol):
    """Who accepted which version of the consent text (storage.consents.ConsentRepo)."""

    async def accepted(self, vk_id: int, text_version: str, messenger: str = "vk") -> bool: ...

    async def record(self, vk_id: int, org_id: str | None, text_version: str, at: dt.datetime,
                     messenger: str = "vk") -> bool: ...


class Backups(Protocol):
    """Consistent copies of the live database (storage.sql.Database)."""

    @property
    def dialect(self) -> str:
        """"sqlite" or "postgres": which kind of copy `backup_to` makes."""
        ...

    async def backup_to(self, target: Path) -> None: ...


@dataclass(frozen=True)
class PrivacyStores:
    """Everything the privacy service reads and writes."""

    data: PersonalData
    consents: Consents
    audit: AuditLog
    backups: Backups
