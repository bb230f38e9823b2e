"""Reminders to teachers under the thresholds: plan, send exactly once, report to the deputy.

`plan()` answers who would be reminded of what (the dry run shows it); `run()` records
the plan, hands it to the outbox under stable keys (`reminder:{org}:{period}:{person}`)
so a run killed at any point and started again reaches everyone exactly once, then
tells the deputies who could not be reached. The mid-week nudge and the note about a
missing Friday table live here too; the scheduler decides when they run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from bot.config import SchoolConfig, Settings
from bot.contracts import ChatsProgress, LiveCounts, Reachability, UnreachablePerson
from bot.domain import reminders as rules
from bot.domain.models import Period, Person, Role
from bot.domain.quiet import first_loud_minute
from bot.domain.reach import VK_REFUSALS
from bot.domain.records import PersonStats
from bot.domain.reminder_templates import Templates, defaults
from bot.domain.schedule import next_fire, weekly_trigger
from bot.messaging.events import Messenger
from bot.ports import MAX_DENIED, Clock, Delivery, Outbound, OutMessage, SystemClock
from bot.services.addressing import address, running, school_address
from bot.services.my_status import StatusSection
from bot.services.reminder_templates import ReminderTemplates
from bot.stores.reminders import LogEntry, NewLogEntry, ReminderStores

log = logging.getLogger(__name__)

REMINDER, NUDGE = "reminder", "nudge"
# Outbox kinds of the deputy's messages.
REPORT_KIND, NOTE_KIND = "reminder_report", "missing_import"
MAX_LISTED = 40
# Schools planned, logged and staged together in one chunk of a wave (a region's 1,000 schools: 10 chunks).
WAVE_CHUNK = 100
# Chunks of a wave in progress at once: one's queries run in the database's thread while another's texts are
# written; more only hold more of the wave in memory.
WAVE_SIDE_BY_SIDE = 2

UNREACHABLE_REASONS: dict[int | None, str] = {
    **{code: refusal.reported for code, refusal in VK_REFUSALS.items()},
    MAX_DENIED: "MAX: человек не запускал бота или остановил его",
    None: "страница ВКонтакте не привязана",
}


class FeatureLinks(Protocol):
    """What reminders read from other features (`Deps` has these; None = feature off)."""

    chats: ChatsProgress | None
    reachability: Reachability | None
    live_counts: LiveCounts | None


@dataclass
class Links:
    """`FeatureLinks` for tests and the CLI: every other feature off unless given."""

    chats: ChatsProgress | None = None
    reachability: Reachability | None = None
    live_counts: LiveCounts | None = None


def reminder_key(org_id: str, period: Period, person_id: int, kind: str = REMINDER) -> str:
    """The outbox key of one person's reminder about one period: stable across restarts."""
    return f"{kind}:{org_id}:{period.key}:{person_id}"


class Planned(BaseModel):
    """One reminder the next run would send (or report, when the person has no VK page)."""

    model_config = ConfigDict(frozen=True)

    org_id: str
    person_id: int
    vk_id: int | None
    name: str
    reasons: list[str]
    text: str
    period: Period
    kind: str = REMINDER
    # Where the reminder goes (the school's messenger_preference among the person's identities);
    # unset: the VK page, as before MAX.
    messenger: Messenger | None = None
    target: int | None = None

    @property
    def to(self) -> tuple[Messenger, int] | None:
        """(messenger, id in it) the reminder goes to; None when the person cannot be written to."""
        if self.messenger is not None and self.target:
            return self.messenger, self.target
        return (Messenger.VK, self.vk_id) if self.vk_id and self.messenger is None else None

    @property
    def idem_key(self) -> str:
        return reminder_key(self.org_id, self.period, self.person_id, self.kind)

    def as_json(self) -> dict[str, Any]:
        """The dry run's machine shape: {"org", "vk_id", "name", "reasons", "text"}."""
        return {"org": self.org_id, "vk_id": self.vk_id, "name": self.name, "reasons": list(self.reasons),
                "text": self.text}


class RunReport(BaseModel):
    """What one reminder run did."""

    org_id: str
    period: Period | None = None
    planned: int = 0
    sent: int = 0
    failed: int = 0
    unreachable: list[UnreachablePerson] = []
    reasons: dict[str, int] = {}
    report_sent: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"org": self.org_id, "period": self.period.key if self.period else None,
                "planned": self.planned, "sent": self.sent, "failed": self.failed,
                "unreachable": [{"name": u.name, "vk_id": u.vk_id, "code": u.code} for u in self.unreachable]}


def _to_key(messenger: Messenger, external_id: int) -> str:
    """A target in an outbox key: a VK id as before MAX (keys of runs killed before an upgrade still match)."""
    return str(external_id) if messenger is Messenger.VK else f"max{external_id}"


def _status(delivery: Delivery) -> str | None:
    if delivery.ok:
        return "sent"
    if delivery.unreachable:
        return "unreachable"
    if delivery.error_code is None and delivery.error == "not delivered yet":
        return None  # still in the outbox: stays 'planned' and counts for the 7-day rule
    return "failed"


def render_report(report: RunReport, limit: int = MAX_LISTED, templates: Templates | None = None) -> str:
    """The deputy's report: the unreachable number first, then who and why, then the rest."""
    assert report.period is not None
    head = (f"Напоминания за неделю {report.period}: не дошли до {len(report.unreachable)} "
            f"из {report.planned}.")
    parts = [head]
    if report.unreachable:
        lines = [f"• {u.name} — {u.reason}" for u in report.unreachable[:limit]]
        if len(report.unreachable) > limit:
            lines.append(f"…и ещё {len(report.unreachable) - limit}")
        parts.append("Не дошли:\n" + "\n".join(lines))
    tail = f"Доставлено: {report.sent}."
    if report.failed:
        tail += f" Не отправлено из-за ошибок мессенджера: {report.failed}."
    if report.reasons:
        tail += " Поводы: " + ", ".join(f"{rules.REASON_LABELS[c]} — {n}" for c, n in report.reasons.items()) + "."
    parts.append(tail)
    if report.unreachable:
        parts.append((templates or defaults()).text("report.unreachable_hint"))
    return "\n\n".join(parts)


class ReminderService:
    """Plans and sends the weekly reminders, the mid-week nudge and the missing-table note."""

    def __init__(self, stores: ReminderStores, settings: Settings, outbound: Outbound | None = None,
                 clock: Clock | None = None, links: FeatureLinks | None = None) -> None:
        self._transactions = stores.transactions
        self._settings = settings
        self._outbound = outbound
        self._clock = clock or SystemClock()
        self._links: FeatureLinks = links or Links()
        self._people = stores.people
        self._stats = stores.stats
        self.repo = stores.log
        self.templates = ReminderTemplates(settings, stores.template_files)

    # --- contracts.ReminderLog ---------------------------------------------------------

    async def sent_count(self, org_id: str, period: Period) -> int:
        """Automatic reminders about `period` that reached people."""
        return await self.repo.sent_count(org_id, period)

    # --- planning ----------------------------------------------------------------------

    def _asks_chats(self, org_id: str) -> bool:
        """Whether the school's reminders name the chats not confirmed (and the chats feature is on)."""
        return (self._links.chats is not None
                and rules.CHATS_NOT_CONFIRMED in self._settings.school(org_id).reminders.enabled())

    async def _missing(self, org_id: str) -> dict[int, list[str]]:
        chats = self._links.chats
        return await chats.missing_by_person(org_id) if chats is not None and self._asks_chats(org_id) else {}

    async def _missing_of(self, org_ids: Sequence[str]) -> dict[str, dict[int, list[str]]]:
        """`_missing` of a wave's schools, read at once."""
        chats = self._links.chats
        asked = [org_id for org_id in org_ids if self._asks_chats(org_id)]
        return await chats.missing_by_person_of(asked) if chats is not None and asked else {}

    async def _held(self, org_id: str, now: dt.datetime, key_of: Callable[[int], str]) -> set[int]:
        """People the 7-day rule holds back (a reminder under another key in the last 7 days)."""
        return _held_by(await self.repo.recent(org_id, now - rules.REMINDER_GAP), now, key_of)

    async def plan(self, org_id: str, *, now: dt.datetime | None = None) -> list[Planned]:
        """Who the next run would remind, of what, in which words (for the period last imported).

        The 7-day rule applies; quiet hours do not (the scheduler keeps to them).
        People whose reminder about this period is already finished are not planned again.
        """
        now = now or self._clock.now()
        self._settings.school(org_id)  # an unknown school is refused, data or not
        period = await self._stats.latest_period(org_id, "person")
        if period is None:
            return []
        people = [p for p in await self._people.in_org(org_id) if p.role in rules.REMINDED_ROLES]
        figures = await self._stats.person_stats(org_id, period)
        recent = await self.repo.recent(org_id, now - rules.REMINDER_GAP)
        done = await self.repo.by_keys([reminder_key(org_id, period, p.id) for p in people])
        return self._plan_school(org_id, period, people, figures, recent, done, await self._missing(org_id), now)

    async def plan_wave(self, org_ids: Sequence[str], *, now: dt.datetime) -> dict[str, list[Planned]]:
        """`plan` of every school due at one moment (a regional wave), their data read set-wise:
        a few queries for the whole wave instead of a few per school."""
        plans: dict[str, list[Planned]] = {org_id: [] for org_id in org_ids}
        periods = await self._stats.latest_periods(list(plans), "person")
        if not periods:
            return plans
        people = await self._people.in_orgs(list(periods))
        figures = await self._stats.person_stats_of(periods)
        recent = await self.repo.recent_of(list(periods), now - rules.REMINDER_GAP)
        reminded = {org_id: [p for p in people.get(org_id, []) if p.role in rules.REMINDED_ROLES]
                    for org_id in periods}
        done = await self.repo.by_keys([reminder_key(org_id, period, p.id)
                                        for org_id, period in periods.items() for p in reminded[org_id]])
        missing = await self._missing_of(list(periods))
        for org_id, period in periods.items():
            plans[org_id] = self._plan_school(org_id, period, reminded[org_id], figures.get(org_id, []),
                                              recent.get(org_id, []), done, missing.get(org_id, {}), now)
        return plans

    def _plan_school(self, org_id: str, period: Period, people: Sequence[Person],
                     figures_list: Sequence[PersonStats], recent: Sequence[LogEntry],
                     done_entries: dict[str, LogEntry], missing: Mapping[int, list[str]],
                     now: dt.datetime) -> list[Planned]:
        """One school's plan from its data already read (its people to remind, figures, recent log entries,
        each person's chats not confirmed)."""
        school = self._settings.school(org_id)
        enabled = school.reminders.enabled()
        figures = {s.person_id: s for s in figures_list}
        held = _held_by(recent, now, lambda pid: reminder_key(org_id, period, pid))
        templates = self.templates.for_school(org_id)
        on = running(self._settings)  # `school_address` of each person, its settings looked up once
        planned: list[Planned] = []
        for person in people:
            key = reminder_key(org_id, period, person.id)
            if person.id in held or ((entry := done_entries.get(key)) is not None and entry.status != "planned"):
                continue
            stats = figures.get(person.id)
            chats = missing.get(person.id, [])
            reasons = rules.reasons_for(person, stats, self._settings.thresholds, enabled, chats)
            if not reasons:
                continue
            text = rules.render_reminder(person, period, reasons, stats, self._settings.thresholds, chats,
                                         school.registration_deadline, templates=templates)
            to = address(person.vk_id, person.max_id, school.messenger_preference, on)
            planned.append(Planned(org_id=org_id, person_id=person.id, vk_id=person.vk_id,
                                   messenger=to[0] if to else None, target=to[1] if to else None,
                                   name=person.full_name, reasons=reasons, text=text, period=period))
        return planned

    # --- sending -----------------------------------------------------------------------

    def _require_outbound(self) -> Outbound:
        if self._outbound is None:
            raise RuntimeError("ReminderService was built without an outbound sender")
        return self._outbound

    async def _deputies(self, school: SchoolConfig) -> list[tuple[Messenger, int]]:
        """Where each deputy is written to: the school's messenger among theirs (config ids included)."""
        return self._deputy_addresses(school, await self._people.in_org(school.id, roles=[Role.DEPUTY]))

    def _deputy_addresses(self, school: SchoolConfig, deputies: Sequence[Person]) -> list[tuple[Messenger, int]]:
        found: list[tuple[Messenger, int]] = []
        covered: set[tuple[Messenger, int]] = set()
        for person in deputies:
            covered.update(((Messenger.VK, person.vk_id),) if person.vk_id else ())
            covered.update(((Messenger.MAX, person.max_id),) if person.max_id else ())
            to = school_address(self._settings, school, person.vk_id, person.max_id)
            if to is not None and to not in found:
                found.append(to)
        on = running(self._settings)
        for messenger, ids in ((Messenger.VK, school.deputy_vk_ids), (Messenger.MAX, school.deputy_max_ids)):
            for external_id in ids:
                if messenger in on and (messenger, external_id) not in covered | set(found):
                    found.append((messenger, external_id))
        return found

    async def _deliver(self, planned: Sequence[Planned], now: dt.datetime) -> list[tuple[Planned, Delivery | None]]:
        """Record, send through the outbox, record the outcome; people without VK are only recorded."""
        outcome, results = await self._send(planned, now)
        await self.repo.finish(results, self._clock.now())
        return outcome

    async def _send(self, planned: Sequence[Planned], now: dt.datetime, *, staged: _Staged | None = None
                    ) -> tuple[list[tuple[Planned, Delivery | None]], list[tuple[str, str, int | None]]]:
        """Record and send through the outbox; the outcome and the log updates still to store.
        `staged`: the same reminders prepared and logged already (a wave's chunk), only to send."""
        if staged is None:
            staged = self._prepare(planned)
            await self.repo.add(staged.entries, now)
        sendable, messages = staged.sendable, staged.messages
        deliveries = await self._require_outbound().send_bulk(messages) if messages else []
        results = [(key, status, d.error_code) for (_, key, _), d in zip(sendable, deliveries, strict=True)
                   if (status := _status(d)) is not None]
        by_key = {key: d for (_, key, _), d in zip(sendable, deliveries, strict=True)}
        return [(p, by_key.get(key)) for p, key, _ in staged.keyed], results

    @staticmethod
    def _prepare(planned: Sequence[Planned]) -> _Staged:
        # A wave holds tens of thousands: each key and address is worked out once.
        keyed = [(p, p.idem_key, p.to) for p in planned]
        entries = [NewLogEntry(org_id=p.org_id, person_id=p.person_id, kind=p.kind, period=p.period,
                               idem_key=key, reasons=p.reasons, status="planned" if to else "no_vk")
                   for p, key, to in keyed]
        sendable = [(p, key, to) for p, key, to in keyed if to is not None]
        keyboard = rules.help_keyboard()  # one for all: the sender lays each distinct keyboard out once
        messages = [OutMessage(peer_id=to[1], messenger=to[0], text=p.text, keyboard=keyboard,
                               idem_key=key, org_id=p.org_id, kind=p.kind, person_id=p.person_id)
                    for p, key, to in sendable]
        return _Staged(keyed, entries, sendable, messages)

    def _no_address(self) -> str:
        """Why someone with no identity in a running messenger got nothing."""
        on = running(self._settings)
        if Messenger.MAX not in on:
            return UNREACHABLE_REASONS[None]
        return "нет ни страницы ВКонтакте, ни MAX" if Messenger.VK in on else "MAX не привязан"

    def _unreachable(self, outcome: Sequence[tuple[Planned, Delivery | None]], people: dict[int, Person],
                     known: Sequence[UnreachablePerson] | None) -> list[UnreachablePerson]:
        """Who a run did not reach, and why; `known`: whom the reachability feature knows to be unreachable in
        the school (None: the feature is off)."""
        found: dict[int, UnreachablePerson] = {}
        for planned, delivery in outcome:
            if delivery is None or delivery.unreachable:
                code = delivery.error_code if delivery is not None else None
                person = people.get(planned.person_id)
                name = person.short_name if person else planned.name
                found[planned.person_id] = UnreachablePerson(
                    person_id=planned.person_id, name=name, vk_id=planned.vk_id, code=code,
                    reason=self._no_address() if delivery is None
                    else UNREACHABLE_REASONS.get(code, f"ошибка ВКонтакте {code}"))
        if known is not None:
            # The reachability feature may know more (e.g. someone who denied messages since).
            # It knows VK only: someone a MAX reminder just reached is reachable whatever it says of VK.
            ours = {p.person_id for p, d in outcome
                    if not (d is not None and d.ok and d.messenger is Messenger.MAX)}
            for item in known:
                if item.person_id in ours and item.person_id not in found:
                    found[item.person_id] = item
        return list(found.values())

    async def run(self, org_id: str, *, now: dt.datetime | None = None, run_key: str | None = None) -> RunReport:
        """Send the planned reminders exactly once and report to the deputies.

        `run_key` names the run (the scheduled slot); the deputy's report is sent once per key.
        """
        now = now or self._clock.now()
        school = self._settings.school(org_id)
        key = run_key or now.astimezone(school.tz).strftime("%Y-%m-%dT%H:%M")
        return (await self._run_planned({org_id: key}, {org_id: await self.plan(org_id, now=now)}, now))[org_id]

    async def run_wave(self, runs: Mapping[str, str], *, now: dt.datetime | None = None) -> dict[str, RunReport]:
        """`run` of every school due at one moment, set-wise: `runs` maps each school to its run key (its slot).

        The wave goes in chunks of `WAVE_CHUNK` schools, `WAVE_SIDE_BY_SIDE` at a time: each is planned with a
        few queries (`plan_wave`) and logged in one transaction, then handed to the outbox in one bulk send;
        its log is finished and its deputies' reports stored in one transaction.
        Each school keeps its own report, keys and 7-day rule, so a wave killed at any point and run again
        re-plans only those not finished and sends nothing twice (the outbox's keys are the same).
        """
        now = now or self._clock.now()
        items = list(runs.items())
        chunks = [dict(items[start:start + WAVE_CHUNK]) for start in range(0, len(items), WAVE_CHUNK)]
        reports: dict[str, RunReport] = {}

        side_by_side = asyncio.Semaphore(WAVE_SIDE_BY_SIDE)

        async def one(chunk: dict[str, str]) -> None:
            async with side_by_side:
                plans = await self.plan_wave(list(chunk), now=now)
                staged = self._prepare([p for org_id in chunk for p in plans[org_id]])
                await self.repo.add(staged.entries, now)
            # Sent (and reported) outside the gate: a bulk send stores its messages in the outbox at once and
            # then waits for their delivery, so the whole wave is in the outbox long before its end.
            reports.update(await self._run_planned(chunk, plans, now, staged=staged))

        # A failing chunk cancels the rest (the scheduler then runs the schools one by one).
        async with asyncio.TaskGroup() as group:
            for chunk in chunks:
                group.create_task(one(chunk))
        return {org_id: reports[org_id] for org_id in runs}

    async def _run_planned(self, runs: Mapping[str, str], plans: Mapping[str, Sequence[Planned]],
                           now: dt.datetime, *, staged: _Staged | None = None) -> dict[str, RunReport]:
        reports = {org_id: RunReport(org_id=org_id) for org_id in runs}
        planned = [p for org_id in runs for p in plans.get(org_id, ())]
        for org_id in runs:
            if not plans.get(org_id):
                log.info("reminders for %s: nobody to remind", org_id)
        if not planned:
            return reports
        outcome, results = await self._send(planned, now, staged=staged)
        by_org: dict[str, list[tuple[Planned, Delivery | None]]] = {}
        for item in outcome:
            by_org.setdefault(item[0].org_id, []).append(item)
        # Names are needed only for those the reports list (the rest of the schools is not read again).
        listed = [org_id for org_id, items in by_org.items() if any(d is None or d.unreachable for _, d in items)]
        names = await self._people.in_orgs(listed, active_only=False) if listed else {}
        deputies = await self._people.in_orgs(list(by_org), roles=[Role.DEPUTY])
        reachability = self._links.reachability
        known = await reachability.unreachable_of(list(by_org)) if reachability is not None else None
        messages: list[OutMessage] = []
        for org_id, items in by_org.items():
            report = reports[org_id]
            people = {p.id: p for p in names.get(org_id, [])}
            report.period = items[0][0].period
            report.planned = len(items)
            report.sent = sum(1 for _, d in items if d is not None and d.ok)
            report.unreachable = self._unreachable(items, people, known.get(org_id, []) if known is not None else None)
            report.failed = sum(1 for _, d in items if d is not None and not d.ok and not d.unreachable)
            report.reasons = dict(Counter(code for p, _ in items for code in p.reasons))
            text = render_report(report, templates=self.templates.for_school(org_id))
            school = self._settings.school(org_id)
            messages += [OutMessage(peer_id=target, messenger=messenger, text=text, org_id=org_id, kind=REPORT_KIND,
                                    idem_key=f"{REPORT_KIND}:{org_id}:{report.period.key}:{runs[org_id]}:"
                                             f"{_to_key(messenger, target)}")
                         for messenger, target in self._deputy_addresses(school, deputies.get(org_id, []))]
        outbound = self._require_outbound()
        # The reports are stored in the outbox in the same transaction that finishes the log:
        # once nobody is left to remind (so a new run plans nobody), the reports are on their way,
        # and a crash from here on leaves them for the outbox's resume at start.
        async with self._transactions.transaction() as tx:
            await self.repo.finish_in(tx, results, self._clock.now())
            if messages:
                await outbound.enqueue_in(tx, messages)
        if messages:
            await outbound.send_bulk(messages)
            for message in messages:
                reports[message.org_id or ""].report_sent = True
        for org_id, report in reports.items():
            if report.period is not None:
                log.info("reminders for %s: %d planned, %d sent, %d unreachable, %d failed", org_id,
                         report.planned, report.sent, len(report.unreachable), report.failed)
        return reports

    async def nudge(self, org_id: str, *, now: dt.datetime | None = None) -> int:
        """The mid-week nudge from live counts to teachers below the threshold; how many were sent."""
        live = self._links.live_counts
        if live is None:
            log.info("mid-week nudge for %s skipped: live counts are off", org_id)
            return 0
        now = now or self._clock.now()
        school = self._settings.school(org_id)
        period = Period.containing(now.astimezone(school.tz).date())
        held = await self._held(org_id, now, lambda pid: reminder_key(org_id, period, pid, NUDGE))
        done = await self.repo.by_keys([reminder_key(org_id, period, p.id, NUDGE)
                                        for p in await self._people.in_org(org_id)])
        planned: list[Planned] = []
        for person in await self._people.in_org(org_id):
            to = school_address(self._settings, school, person.vk_id, person.max_id)
            if person.role is not Role.TEACHER or to is None or person.id in held:
                continue
            if (entry := done.get(reminder_key(org_id, period, person.id, NUDGE))) and entry.status != "planned":
                continue
            count = await live.messages(person.id, period)
            if count is None or count >= self._settings.thresholds.messages:
                continue
            planned.append(Planned(org_id=org_id, person_id=person.id, vk_id=person.vk_id, name=person.full_name,
                                   messenger=to[0], target=to[1],
                                   reasons=[rules.MESSAGES_BELOW_THRESHOLD], period=period, kind=NUDGE,
                                   text=rules.render_nudge(person, count, self._settings.thresholds)))
        if not planned:
            return 0
        outcome = await self._deliver(planned, now)
        return sum(1 for _, d in outcome if d is not None and d.ok)

    async def missing_import_note(self, org_id: str, *, now: dt.datetime | None = None) -> bool:
        """Tell the deputies when last Friday's table has not been imported; True if told."""
        now = now or self._clock.now()
        school = self._settings.school(org_id)
        expected = Period.last_completed(now.astimezone(school.tz))
        latest = await self._stats.latest_period(org_id)
        if latest is not None and latest.start >= expected.start:
            return False
        deputies = await self._deputies(school)
        if not deputies:
            log.warning("некому напомнить о незагруженной таблице школы %s: в настройках нет заместителя", org_id)
            return False
        text = (f"Таблица мониторинга Сферума за неделю {expected} ещё не загружена. Пришлите её файлом сюда "
                "(кнопка «Загрузить таблицу»): после загрузки бот покажет итоги и напомнит учителям.")
        await self._require_outbound().send_bulk([
            OutMessage(peer_id=target, messenger=messenger, text=text, org_id=org_id, kind=NOTE_KIND,
                       idem_key=f"{NOTE_KIND}:{org_id}:{expected.key}:{_to_key(messenger, target)}")
            for messenger, target in deputies])
        return True

    # --- «Мой статус» ------------------------------------------------------------------

    def next_reminder_at(self, school: SchoolConfig, now: dt.datetime,
                         last: LogEntry | None) -> dt.datetime | None:
        """When the next automatic reminder could come: the schedule, the 7-day rule, quiet hours."""
        weekly = school.schedule.reminders
        if not weekly.enabled:
            return None
        trigger = weekly_trigger(weekly, school.tz)
        allowed = rules.next_allowed(last.created_at if last else None)
        after = max(now, allowed - dt.timedelta(seconds=1)) if allowed else now
        when = next_fire(trigger, after)
        return first_loud_minute(when, school.schedule.quiet_hours, school.tz) if when else None

    async def status_section(self, person: Person, now: dt.datetime) -> StatusSection | None:
        """«Мой статус»: the person's figures, open points and the next reminder."""
        if person.org_id is None or person.role not in rules.REMINDED_ROLES:
            return None
        try:
            school = self._settings.school(person.org_id)
        except Exception:  # a school removed from the config: nothing to say
            return None
        lines: list[str] = []
        live = self._links.live_counts
        if live is not None:
            current = Period.containing(now.astimezone(school.tz).date())
            count = await live.messages(person.id, current)
            if count is not None:
                lines.append(f"Эта неделя (с {current.start:%d.%m}): в чатах, где есть бот, "
                             f"{rules.plural(count, 'сообщение', 'сообщения', 'сообщений')} от вас")
        period = await self._stats.latest_period(person.org_id, "person")
        stats = await self._stats.for_person(person.id, period) if period else None
        reasons: list[str] = []
        if period is not None and stats is not None:
            lines.append(f"Неделя {period}: {_figures(stats, self._settings)}")
        chats = self._links.chats
        missing = await chats.missing_for(person) if chats is not None else []
        reasons = rules.reasons_for(person, stats, self._settings.thresholds, school.reminders.enabled(), missing)
        if not lines and not reasons:
            return None
        if reasons:
            when = self.next_reminder_at(school, now, await self.repo.last_for_person(person.id))
            if when is not None:
                lines.append(f"Следующее напоминание — {when.astimezone(school.tz):%d.%m в %H:%M}, "
                             "если задачи останутся открытыми")
        # The chats section lists each unconfirmed chat itself; one general line here would repeat it.
        shown = [r for r in reasons if r != "chats_not_confirmed" or self._links.chats is None]
        return StatusSection(title="Статистика Сферума", lines=lines, order=20,
                             open_tasks=rules.tasks(shown, self._settings.thresholds,
                                                    school.registration_deadline, person=person,
                                                    templates=self.templates.for_school(school.id)))


@dataclass(frozen=True)
class _Staged:
    """Reminders ready to send: each with its key and address, its log entry and its outbox message."""

    keyed: list[tuple[Planned, str, tuple[Messenger, int] | None]]
    entries: list[NewLogEntry]
    sendable: list[tuple[Planned, str, tuple[Messenger, int]]]
    messages: list[OutMessage]


def _held_by(entries: Sequence[LogEntry], now: dt.datetime, key_of: Callable[[int], str]) -> set[int]:
    """People the 7-day rule holds back: a reminder under another key among `entries` (the last 7 days)."""
    last: dict[int, dt.datetime] = {}
    for entry in entries:
        if entry.idem_key != key_of(entry.person_id):
            last[entry.person_id] = max(entry.created_at, last.get(entry.person_id, entry.created_at))
    return {person_id for person_id, at in last.items() if not rules.may_remind(at, now)}


def _figures(stats: PersonStats, settings: Settings) -> str:
    parts: list[str] = []
    if stats.group_messages is not None:
        parts.append(f"{rules.plural(stats.group_messages, 'сообщение', 'сообщения', 'сообщений')} в групповых "
                     f"чатах (норма {settings.thresholds.messages})")
    if stats.calls is not None:
        parts.append(rules.plural(stats.calls, "звонок", "звонка", "звонков"))
    if stats.ejd_linked is not None:
        parts.append("ЭЖД связан" if stats.ejd_linked else "ЭЖД не связан")
    if stats.registered is not None:
        parts.append("в Сферуме зарегистрированы" if stats.registered else "в Сферуме не зарегистрированы")
    return ", ".join(parts) or "данных нет"
