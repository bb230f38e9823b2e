"""The head's summary: a school's or the district's indicators, text, chart and spreadsheet.

`SummaryService` reads aggregated figures through a `bot.stores.summary.SummaryStore` (a whole
district in a few queries), adds what other features know through `bot.contracts`
(chats migration, reminders, reachability; each may be off → «нет данных» / zeros in
JSON), and sends the weekly summary through the `Outbound` port; asked for, a summary is a
`SummaryReport` the handler replies with. The CLI gets it from `bot.composition.build_services`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from bot.config import SchoolConfig, Settings
from bot.contracts import ChatsProgress, MigrationProgress, Reachability, ReminderLog
from bot.domain.indicators import (
    INDICATOR_IDS,
    TOTALS,
    ProfileState,
    Thresholds,
    figures,
    indicators,
    profile_status,
    rank,
    registration,
    share,
    weakest,
)
from bot.domain.models import Period, Role
from bot.domain.region import RegionSchool, ranked, slipped
from bot.messaging.delivery import port_of
from bot.messaging.events import ChatRef, Identity, Messenger, OutFile
from bot.ports import Clock, MessengerPort, Outbound, OutMessage, PeopleStore, SystemClock
from bot.services.addressing import school_address
from bot.stores.summary import SummaryData, SummaryStore
from bot.summary.chart import chart_png
from bot.summary.export import district_xlsx, region_xlsx, school_xlsx
from bot.summary.model import (
    DistrictSummary,
    RankedSchool,
    RegionSummary,
    SchoolSummary,
    TrendPoint,
)
from bot.summary.render import render_district, render_region, render_school

log = logging.getLogger(__name__)

TREND_PERIODS = 8
DISTRICT_ID = "district"


class SummaryService:
    """Builds, renders and sends summaries; also `contracts.WeeklySummary`."""

    def __init__(self, store: SummaryStore, settings: Settings, *, clock: Clock | None = None,
                 outbound: Outbound | None = None, people: PeopleStore | None = None,
                 chats: ChatsProgress | None = None, reminders: ReminderLog | None = None,
                 reachability: Reachability | None = None,
                 messengers: Mapping[Messenger, MessengerPort] | None = None) -> None:
        self._repo = store
        # Each running messenger's port (MAX's is added when it starts): files for a head in MAX are uploaded there.
        self._messengers: Mapping[Messenger, MessengerPort] = messengers if messengers is not None else {}
        self._settings = settings
        self._clock = clock or SystemClock()
        self._outbound = outbound
        self._people = people
        # None: that feature is not built here (a test, a script); the summary leaves its figure out.
        self._chats = chats
        self._reminders = reminders
        self._reachability = reachability
        t = settings.thresholds
        self.thresholds = Thresholds(messages=t.messages, messages_target=t.messages_target, calls=t.calls)

    # --- building ---------------------------------------------------------------------

    async def school(self, org_id: str, *, period: Period | None = None, names: bool = True) -> SchoolSummary:
        """One school's summary for `period` (default: its latest imported one)."""
        [summary] = await self.schools([org_id], period=period, names=names)
        return summary

    async def schools(self, org_ids: Sequence[str] | None = None, *, period: Period | None = None,
                      names: bool = False) -> list[SchoolSummary]:
        """Summaries of several schools (config order), read in one go; names only on request."""
        configs = [self._settings.school(o) for o in org_ids] if org_ids is not None else list(self._settings.schools)
        ids = [s.id for s in configs]
        data = await self._repo.load(ids, self.thresholds, depth=TREND_PERIODS,
                                     until=period.start if period else None)
        found: list[SchoolSummary] = []
        for school in configs:
            summary = self._assemble(school, data, period)
            if names and summary.has_data:
                people = await self._repo.people_figures(school.id, summary.period)
                summary = summary.model_copy(update={
                    "people": people, "weakest": weakest(summary.indicators, people, self.thresholds)})
            found.append(await self._with_features(summary))
        return found

    def _assemble(self, school: SchoolConfig, data: SummaryData, asked: Period | None) -> SchoolSummary:
        org = school.id
        periods = data.periods.get(org, [])
        today = self._clock.now().astimezone(school.tz).date()
        if asked is not None:
            current = asked
            earlier = [p for p in periods if p.start < asked.start]
        elif periods:
            current, earlier = periods[0], periods[1:]
        else:
            current, earlier = Period.last_completed(self._clock.now().astimezone(school.tz)), []
        previous = earlier[0] if earlier else None
        trend_periods = sorted({*earlier[:TREND_PERIODS - 1], current}, key=lambda p: p.start)
        values = {p: figures(data.tables.get((org, k := p.start.isoformat())), data.orgs.get((org, k)))
                  for p in trend_periods}
        current_key = current.start.isoformat()
        table = data.tables.get((org, current_key))
        org_row = data.orgs.get((org, current_key))
        now_values = values[current]
        before = values.get(previous) if previous is not None else None
        roster = data.roster.get(org)
        roster_total = roster.people if roster is not None and roster.from_roster else None
        trend = [TrendPoint.model_construct(period=p, values=values[p]) for p in trend_periods]
        return SchoolSummary(
            org_id=org, name=school.name, period=current, previous=previous,
            has_data=table is not None or org_row is not None,
            indicators=indicators(now_values, before),
            profile=profile_status(org_row.status if org_row else None, table,
                                   roster.classes if roster is not None else None),
            registration=registration(table, roster_total, org_row, school.registration_deadline, today),
            trend=[p for p in trend if any(v is not None for v in p.values.values())],
            thresholds=self.thresholds,
        )

    async def _with_features(self, summary: SchoolSummary) -> SchoolSummary:
        """Migration, reminders and reachability from their features (None while one is off or fails)."""
        org = summary.org_id
        migration: MigrationProgress | None = None
        sent: int | None = None
        unreachable: int | None = None
        chats, reminders, reachability = self._chats, self._reminders, self._reachability
        try:
            if chats is not None:
                migration = await chats.progress(org)
            if reminders is not None:
                sent = await reminders.sent_count(org, summary.period)
            if reachability is not None:
                unreachable = len(await reachability.unreachable(org))
        except Exception:
            # Another feature's failure must not cost the head the whole summary.
            log.exception("сводка %s: один из разделов не собран из-за ошибки", org)
        return summary.model_copy(update={"migration": migration, "reminders_sent": sent,
                                          "unreachable": unreachable})

    async def district(self, *, period: Period | None = None) -> DistrictSummary:
        """Every configured school together, with a ranking of the schools per indicator."""
        schools = await self.schools(period=period)
        total = _total(schools, self._settings, self.thresholds)
        by_org = {s.org_id: s for s in schools}
        items = {s.org_id: {i.id: i for i in s.indicators} for s in schools}
        ranking: dict[str, list[RankedSchool]] = {}
        for key in INDICATOR_IDS:
            if key in TOTALS:
                continue
            order = rank({o: (by_org[o].profile.status, items[o][key].share) for o in by_org})
            ranking[key] = [RankedSchool.model_construct(
                org_id=o, name=by_org[o].name, status=by_org[o].profile.status, share=items[o][key].share,
                count=items[o][key].count) for o in order]
        return DistrictSummary(name=self._settings.district.name, total=total, schools=schools, ranking=ranking)

    def districts(self) -> list[str]:
        """The districts named in the schools' settings, in alphabetical order."""
        return sorted({s.district for s in self._settings.schools if s.district})

    async def region(self, district: str | None = None, *, period: Period | None = None) -> RegionSummary:
        """Every school of the region (or of one `district`) ranked, with those that slipped this week.

        Only this week and the week before are read (two periods per school, aggregated in
        SQL), so a region of 1,000 schools is answered in one pass. An unknown district
        is a ValueError with a Russian message naming the known ones.
        """
        configs = list(self._settings.schools)
        if district is not None:
            wanted = district.strip().casefold()
            configs = [s for s in configs if (s.district or "").strip().casefold() == wanted]
            if not configs:
                known = ", ".join(self.districts()) or "ни у одной школы район не указан"
                raise ValueError(f"района «{district}» нет в настройках школ; есть: {known}")
        data = await self._repo.load([s.id for s in configs], self.thresholds, depth=2,
                                     until=period.start if period else None)
        rows = [self._region_row(school, data, period) for school in configs]
        latest = max((r[1] for r in rows if r[0].has_data), key=lambda p: p.start,
                      default=period or Period.last_completed(self._clock.now()))
        schools = [r[0] for r in rows]
        # The district as the settings spell it; the region under the deployment's name.
        shown = (configs[0].district or district) if district is not None else None
        return RegionSummary(name=shown or self._settings.district.name, district=shown, period=latest,
                             schools=ranked(schools), slipped=slipped(schools))

    def _region_row(self, school: SchoolConfig, data: SummaryData,
                    asked: Period | None) -> tuple[RegionSchool, Period]:
        org = school.id
        periods = data.periods.get(org, [])
        if asked is not None:
            current, earlier = asked, [p for p in periods if p.start < asked.start]
        elif periods:
            current, earlier = periods[0], periods[1:]
        else:
            current, earlier = Period.last_completed(self._clock.now().astimezone(school.tz)), []
        classes = data.roster[org].classes if org in data.roster else None

        def week(p: Period | None) -> tuple[dict[str, int | None], ProfileState | None, bool]:
            if p is None:
                return {}, None, False
            table, org_row = data.tables.get((org, p.key)), data.orgs.get((org, p.key))
            found = table is not None or org_row is not None
            status = profile_status(org_row.status if org_row else None, table, classes).status if found else None
            return figures(table, org_row), status, found

        now, status, has_data = week(current)
        before, previous_status, _ = week(earlier[0] if earlier else None)
        return RegionSchool.model_construct(
            org_id=org, name=school.name, district=school.district, status=status or "unknown",
            previous_status=previous_status, teachers_total=now.get("teachers_total"),
            teachers_3plus=now.get("teachers_3plus"),
            share=share(now.get("teachers_3plus"), now.get("teachers_total")),
            previous_share=share(before.get("teachers_3plus"), before.get("teachers_total")),
            has_data=has_data), current

    # --- files --------------------------------------------------------------------------

    async def chart(self, summary: SchoolSummary, title: str | None = None) -> bytes:
        """The trend chart as PNG bytes (drawn in a thread: the bot keeps answering meanwhile)."""
        heading = title or f"{summary.name}: показатели по неделям"
        return await asyncio.to_thread(chart_png, summary.trend, heading, self.thresholds)

    async def spreadsheet(self, summary: SchoolSummary | DistrictSummary | RegionSummary) -> bytes:
        """The xlsx workbook of a school, of the district, or of a region (every school)."""
        if isinstance(summary, RegionSummary):
            return await asyncio.to_thread(region_xlsx, summary)
        if isinstance(summary, DistrictSummary):
            return await asyncio.to_thread(district_xlsx, summary)
        return await asyncio.to_thread(school_xlsx, summary)

    # --- sending ------------------------------------------------------------------------

    def _out(self) -> Outbound:
        if self._outbound is None:
            raise RuntimeError("the summary service was built without an outbound sender")
        return self._outbound

    async def _attachments(self, peer_id: int, png: bytes | None, xlsx: bytes | None,
                           file_name: str, org_id: str | None = None) -> tuple[str, ...]:
        """Upload the chart and the workbook for `peer_id` (through school `org_id`'s community); a failed
        upload leaves the text alone."""
        found: list[str] = []
        try:
            if png is not None:
                found.append(await self._out().upload_photo(peer_id, png, "svodka.png", org_id=org_id))
            if xlsx is not None:
                found.append(await self._out().upload_document(peer_id, xlsx, file_name, org_id=org_id))
        except Exception:
            log.exception("сводка: не удалось загрузить вложение для диалога %s", peer_id)
        return tuple(found)

    async def school_report(self, org_id: str, *, names: bool) -> SummaryReport:
        """A school's summary as a reply: text and chart; with names also the spreadsheet."""
        summary = await self.school(org_id, names=names)
        files: list[OutFile] = []
        if summary.trend:
            files.append(OutFile(name="svodka.png", data=await self.chart(summary), image=True))
        if names and summary.has_data:
            files.append(OutFile(name=f"svodka-{org_id}-{summary.period.key}.xlsx",
                                 data=await self.spreadsheet(summary)))
        return SummaryReport(text=render_school(summary, names=names), files=tuple(files))

    async def district_report(self, *, files: bool = True) -> SummaryReport:
        """The district's summary and ranking (never names), its chart and (with `files`) spreadsheet."""
        district = await self.district()
        found: list[OutFile] = []
        if district.total.trend:
            png = await self.chart(district.total, f"{district.name}: показатели по неделям")
            found.append(OutFile(name="svodka.png", data=png, image=True))
        if files:
            found.append(OutFile(name=f"svodka-rayon-{district.total.period.key}.xlsx",
                                 data=await self.spreadsheet(district)))
        return SummaryReport(text=render_district(district), files=tuple(found))

    async def region_report(self, district: str | None = None, *, files: bool = True) -> SummaryReport:
        """The region's (or one district's) ranking as a chat message, with every school in an xlsx."""
        region = await self.region(district)
        found: list[OutFile] = []
        if files and region.schools:
            slug = "rayon" if district is not None else "region"
            found.append(OutFile(name=f"svodka-{slug}-{region.period.key}.xlsx",
                                 data=await self.spreadsheet(region)))
        return SummaryReport(text=render_region(region), files=tuple(found))

    async def official_report(self, messenger: str, external_id: int, *, files: bool = True) -> SummaryReport:
        """What an education official asked for: their district when bound to one, else every school.

        Schools with a `district` in the settings get the regional view (ranking, who slipped);
        a deployment without districts keeps the district summary with a ranking per indicator.
        """
        bound = self._settings.district.bound_district(messenger, external_id)
        if bound is not None:
            return await self.region_report(bound, files=files)
        if self.districts():
            return await self.region_report(files=files)
        return await self.district_report(files=files)

    async def send_weekly(self, org_id: str) -> bool:
        """Send the latest period's summary to the school's director and deputies, once per period.

        The caller (the scheduler) decides when: after the Friday import and outside the
        school's quiet hours. Here: nothing when the school's `schedule.weekly_summary` is
        off, nothing without an imported period, nothing when this period went out
        already (marked in runtime_state after the send). The messages go through the
        outbox with keys per (school, period, person), so a send killed half-way
        finishes on the next call without a duplicate. True when something was sent.
        """
        school = next((s for s in self._settings.schools if s.id == org_id), None)
        if school is None or not school.schedule.weekly_summary:
            return False
        summary = await self.school(org_id, names=True)
        if not summary.has_data or await self._repo.weekly_sent(org_id, summary.period):
            return False
        recipients = await self._heads(school)
        if not recipients:
            return False
        text = render_school(summary, names=True, heading="Сводка за неделю")
        png = await self.chart(summary) if summary.trend else None
        xlsx = await self.spreadsheet(summary)
        messages = []
        file_name = f"svodka-{org_id}-{summary.period.key}.xlsx"
        for vk_id, max_id, person_id in recipients:
            found = school_address(self._settings, school, vk_id, max_id)
            if found is None:
                continue
            messenger, peer_id = found
            if messenger is Messenger.MAX:
                files = await self._max_attachments(peer_id, png, xlsx, file_name, org_id)
                key = f"{org_id}:summary:{summary.period.key}:max:{peer_id}"
            else:
                files = await self._attachments(peer_id, png, xlsx, file_name, org_id)
                key = f"{org_id}:summary:{summary.period.key}:{peer_id}"  # VK's keys as they were
            messages.append(OutMessage(peer_id=peer_id, messenger=messenger, text=text, attachments=files,
                                       org_id=org_id, kind="summary", person_id=person_id, idem_key=key))
        if not messages:
            return False
        deliveries = await self._out().send_bulk(messages)
        if all(d.ok or d.unreachable or d.error_code is not None for d in deliveries):
            await self._repo.mark_weekly_sent(org_id, summary.period)
        return any(d.ok for d in deliveries)

    async def _heads(self, school: SchoolConfig) -> list[tuple[int | None, int | None, int | None]]:
        """(VK id, MAX id, person id) of the school's director and deputies: the roster's, then the config's
        accounts that no roster person holds."""
        found: list[tuple[int | None, int | None, int | None]] = []
        vk_seen: set[int] = set()
        max_seen: set[int] = set()
        if self._people is not None:
            for person in await self._people.in_org(school.id):
                if person.role in (Role.DIRECTOR, Role.DEPUTY) and (person.vk_id or person.max_id):
                    found.append((person.vk_id, person.max_id, person.id))
                    vk_seen.add(person.vk_id or 0)
                    max_seen.add(person.max_id or 0)
        for vk_id in [school.director_vk_id, *school.deputy_vk_ids]:
            if vk_id and vk_id not in vk_seen:
                vk_seen.add(vk_id)
                found.append((vk_id, None, None))
        for max_id in [school.director_max_id, *school.deputy_max_ids]:
            if max_id and max_id not in max_seen:
                max_seen.add(max_id)
                found.append((None, max_id, None))
        return found

    async def _max_attachments(self, user_id: int, png: bytes | None, xlsx: bytes | None,
                               file_name: str, org_id: str | None = None) -> tuple[str, ...]:
        """Upload the chart and the workbook to MAX for a head's dialog; a failed upload leaves the text alone."""
        port = port_of(self._messengers, Messenger.MAX, org_id)
        if port is None:
            return ()
        chat = ChatRef.dialog_with(Identity(messenger=Messenger.MAX, external_id=user_id))
        found: list[str] = []
        try:
            if png is not None:
                found.append(await port.upload(chat, OutFile(name="svodka.png", data=png, image=True)))
            if xlsx is not None:
                found.append(await port.upload(chat, OutFile(name=file_name, data=xlsx)))
        except Exception:
            log.exception("сводка: не удалось загрузить вложение в MAX для %s", user_id)
        return tuple(found)


class SummaryReport(BaseModel):
    """A summary ready to send: its text and the chart and spreadsheet to attach."""

    model_config = ConfigDict(frozen=True)

    text: str
    files: tuple[OutFile, ...] = ()


def _sum(values: Sequence[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _total(schools: Sequence[SchoolSummary], settings: Settings, thresholds: Thresholds) -> SchoolSummary:
    """The district as one «school»: counts and changes summed, shares of the summed totals."""
    from bot.domain.indicators import Indicator, ProfileStatus, Registration

    by_id = [{i.id: i for i in s.indicators} for s in schools]
    counts = {k: _sum([i[k].count for i in by_id]) for k in INDICATOR_IDS}
    changes = {k: _sum([i[k].change for i in by_id]) for k in INDICATOR_IDS}
    items = [Indicator(id=k, count=counts[k],
                       share=None if k in TOTALS else share(
                           counts[k], counts["students_total" if k.startswith("students") else "teachers_total"]),
                       change=changes[k]) for k in INDICATOR_IDS]
    by_start: dict[dt.date, dict[str, list[int | None]]] = {}
    ends: dict[dt.date, Period] = {}
    for school in schools:
        for point in school.trend:
            ends[point.period.start] = point.period
            slot = by_start.setdefault(point.period.start, {k: [] for k in INDICATOR_IDS})
            for k in INDICATOR_IDS:
                slot[k].append(point.values.get(k))
    trend = [TrendPoint.model_construct(period=ends[start], values={k: _sum(v) for k, v in by_start[start].items()})
             for start in sorted(by_start)][-TREND_PERIODS:]
    latest = max((s.period for s in schools if s.has_data), key=lambda p: p.start, default=schools[0].period)
    previous = max((s.previous for s in schools if s.previous is not None), key=lambda p: p.start, default=None)
    statuses = [s.profile.status for s in schools]
    migration = None
    if any(s.migration is not None for s in schools):
        migration = MigrationProgress(expected=sum(s.migration.expected for s in schools if s.migration),
                                      confirmed=sum(s.migration.confirmed for s in schools if s.migration))
    return SchoolSummary(
        org_id=DISTRICT_ID, name=settings.district.name, period=latest, previous=previous,
        has_data=any(s.has_data for s in schools), indicators=items,
        profile=ProfileStatus(status="active" if statuses and all(x == "active" for x in statuses) else "unknown",
                              reason=f"активны {statuses.count('active')} из {len(statuses)}"),
        registration=Registration(count=_sum([s.registration.count for s in schools]),
                                  total=_sum([s.registration.total for s in schools])),
        migration=migration,
        reminders_sent=_sum([s.reminders_sent for s in schools]),
        unreachable=_sum([s.unreachable for s in schools]),
        trend=trend, thresholds=thresholds,
    )
