"""Planning a regional reminder wave, for `bench_reminders.py --only wave`.

A region on one deployment: `schools` schools of `staff` teachers each (1,000 × 60 = 60,000
people), everyone under the message threshold in the period 14.11–20.11.2026. The wave is
planned school by school as the scheduler runs it (`ReminderService.plan`: statistics, the
7-day rule, rules and personal texts) and staged: the reminder log and the outbox rows
(`VkOutbound.enqueue_in`) in one transaction per school, nothing sent. The naive way beside it
asks the database per person (one query for the person's figures, one for their last reminder)
on the first `naive_schools` schools, extrapolated to the region.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from bot.composition import reminder_stores
from bot.config import Settings, parse_settings
from bot.domain import reminders as rules
from bot.domain.models import Organization, Period, Role
from bot.ports import OutMessage
from bot.services.reminders import ReminderService, reminder_key
from bot.stores.reminders import NewLogEntry
from bot.vk.outbound import VkOutbound
from storage.db import Database
from storage.outbox import OutboxRepo
from storage.people import PeopleRepo
from storage.reminders import ReminderRepo
from storage.roster import RosterEntry, RosterRepo
from storage.stats import StatsRepo

PERIOD = Period(start=dt.date(2026, 11, 14), end=dt.date(2026, 11, 20))
NOW = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)  # Monday 10:00 in Moscow


def region_settings(schools: int, data_dir: Path) -> Settings:
    """A config of `schools` schools, one VK community for the region."""
    return parse_settings({"vk": {"token": "bench", "rps": 20},
                           "storage": {"data_dir": str(data_dir)},
                           "schools": [{"id": f"s{n:04d}", "name": f"Школа № {n}"} for n in range(schools)]},
                          data_dir)


async def seed(db: Database, settings: Settings, staff: int) -> None:
    """Every school's teachers, bound to VK, each with 1 message in the period (one transaction)."""
    schools = [s.id for s in settings.schools]
    await PeopleRepo(db).sync_organizations([Organization(id=s.id, name=s.name) for s in settings.schools])
    entries = [RosterEntry(org_id=org, full_name=f"Учитель{n}-{k} Анна Петровна", role=Role.TEACHER,
                           vk_id=1_000_000 + n * staff + k)
               for n, org in enumerate(schools) for k in range(staff)]
    async with db.transaction() as conn:
        await RosterRepo.apply_in(conn, schools, entries)
        for org in schools:
            refs = await RosterRepo.refs_in(conn, [org])
            import_id = await StatsRepo.create_import_in(conn, org_id=org, kind="person", period=PERIOD,
                                                         file_name="bench.xlsx", rows_read=staff,
                                                         rows_imported=staff, problems=[], imported_by=None)
            await StatsRepo.put_person_values_in(conn, PERIOD, [(r.id, org, import_id, {"group_messages": 1})
                                                                for r in refs])


async def plan_and_stage(db: Database, settings: Settings, outbound: Any = None) -> dict[str, Any]:
    """The wave as the scheduler plans it, staged in the log and the outbox; seconds and counts.
    `outbound` stages each message for its messenger (default: VK only); it never sends here."""
    if outbound is None:
        outbound = VkOutbound(None, OutboxRepo(db), settings)  # type: ignore[arg-type]  # stages only
    service = ReminderService(reminder_stores(db, settings), settings, outbound)
    keyboard = rules.help_keyboard()
    planned = plan_s = 0.0
    started = time.perf_counter()
    for school in settings.schools:
        t0 = time.perf_counter()
        wave = await service.plan(school.id, now=NOW)
        plan_s += time.perf_counter() - t0
        planned += len(wave)
        async with db.transaction() as conn:
            await ReminderRepo.add_in(conn, [
                NewLogEntry(org_id=p.org_id, person_id=p.person_id, kind=p.kind, period=p.period,
                            idem_key=p.idem_key, reasons=p.reasons, status="planned") for p in wave], NOW)
            await outbound.enqueue_in(conn, [
                OutMessage(peer_id=to[1], messenger=to[0], text=p.text, keyboard=keyboard, idem_key=p.idem_key,
                           org_id=p.org_id, kind=p.kind, person_id=p.person_id) for p in wave if (to := p.to)])
    return {"planned": int(planned), "plan_seconds": plan_s, "seconds": time.perf_counter() - started,
            "outbox": (await OutboxRepo(db).counts("vk")).get("pending", 0)}


async def naive(db: Database, settings: Settings, schools: int) -> dict[str, Any]:
    """Per person: a query for their figures and one for their reminder, then the same rules and text."""
    people_repo, stats, log = PeopleRepo(db), StatsRepo(db), ReminderRepo(db)
    service = ReminderService(reminder_stores(db, settings), settings)
    planned = 0
    started = time.perf_counter()
    for school in settings.schools[:schools]:
        templates = service.templates.for_school(school.id)
        for person in await people_repo.in_org(school.id):
            figures = await stats.for_person(person.id, PERIOD)
            if await log.by_keys([reminder_key(school.id, PERIOD, person.id)]):
                continue
            reasons = rules.reasons_for(person, figures, settings.thresholds, school.reminders.enabled(), [])
            if reasons:
                rules.render_reminder(person, PERIOD, reasons, figures, settings.thresholds, [],
                                      school.registration_deadline, templates=templates)
                planned += 1
    return {"planned": planned, "seconds": time.perf_counter() - started}
