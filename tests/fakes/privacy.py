"""In-memory personal data, consents and backups (`bot.stores.privacy`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any


class FakePersonalData:
    """People by id with the rows held about them (table → rows), who left when, and figures by day."""

    def __init__(self) -> None:
        self.rows: dict[int, dict[str, list[dict[str, Any]]]] = {}
        self.left: dict[int, tuple[str, dt.datetime]] = {}
        self.figures: dict[str, list[dt.date]] = {}
        self.service_rows: list[dt.datetime] = []

    async def person_vk_id(self, person_id: int) -> tuple[bool, int | None]:
        found = self.rows.get(person_id)
        return (found is not None, found["people"][0].get("vk_id") if found else None)

    async def export(self, person_id: int) -> dict[str, list[dict[str, Any]]]:
        return {table: list(rows) for table, rows in self.rows.get(person_id, {}).items() if rows}

    async def forget(self, person_id: int) -> dict[str, int]:
        held = self.rows.pop(person_id, {})
        self.left.pop(person_id, None)
        return {table: len(rows) for table, rows in held.items()}

    async def expired_people(self, org_id: str, left_before: dt.datetime) -> list[int]:
        return [pid for pid, (org, at) in self.left.items() if org == org_id and at < left_before]

    async def delete_statistics_before(self, org_id: str, day: dt.date) -> int:
        kept = [d for d in self.figures.get(org_id, []) if d >= day]
        removed = len(self.figures.get(org_id, [])) - len(kept)
        self.figures[org_id] = kept
        return removed

    async def delete_old_service_rows(self, before: dt.datetime) -> int:
        kept = [at for at in self.service_rows if at >= before]
        removed, self.service_rows = len(self.service_rows) - len(kept), kept
        return removed


class FakeConsents:
    def __init__(self) -> None:
        self.given: dict[tuple[str, int, str], str | None] = {}

    async def accepted(self, vk_id: int, text_version: str, messenger: str = "vk") -> bool:
        return (messenger, vk_id, text_version) in self.given

    async def record(self, vk_id: int, org_id: str | None, text_version: str, at: dt.datetime,
                     messenger: str = "vk") -> bool:
        key = (messenger, vk_id, text_version)
        if key in self.given:
            return False
        self.given[key] = org_id
        return True


class FakeBackups:
    """Writes a stand-in file for each backup, as `dialect`'s database would."""

    def __init__(self, dialect: str = "sqlite") -> None:
        self.dialect = dialect
        self.made: list[Path] = []

    async def backup_to(self, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"backup")
        self.made.append(target)
