"""The summary built from real SQLite: aggregates, null rules, names, features off, district ranking, weekly send."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.config import Settings, parse_settings
from bot.contracts import MigrationProgress, UnreachablePerson
from bot.domain.models import Period
from bot.messaging.events import ChatRef, Messenger, OutFile
from bot.ports import Delivery, OutMessage
from bot.services.summary import SummaryService
from bot.summary.render import render_district, render_school
from storage.db import Database
from storage.people import PeopleRepo
from storage.stats import OrgStats
from storage.summary import SummaryRepo
from tests.summary.conftest import WEEK1, WEEK2, FixedClock, put_org_row, seed_school


class FakeOutbound:
    """Records what the service sends; uploads give fake attachment strings."""

    def __init__(self) -> None:
        self.bulk: list[OutMessage] = []
        self.replies: list[OutMessage] = []
        self.uploads: list[tuple[str, int, str]] = []

    async def reply(self, message: OutMessage) -> Delivery:
        self.replies.append(message)
        return Delivery(peer_id=message.peer_id, ok=True)

    async def send_bulk(self, messages: Sequence[OutMessage]) -> list[Delivery]:
        self.bulk.extend(messages)
        return [Delivery(peer_id=m.peer_id, ok=True) for m in messages]

    async def upload_photo(self, peer_id: int, data: bytes, filename: str, *, org_id: str | None = None) -> str:
        assert data.startswith(b"\x89PNG")
        self.uploads.append(("photo", peer_id, filename))
        return f"photo1_{peer_id}"

    async def upload_document(self, peer_id: int, data: bytes, filename: str, *, org_id: str | None = None) -> str:
        assert data.startswith(b"PK")
        self.uploads.append(("doc", peer_id, filename))
        return f"doc1_{peer_id}"

    async def edit(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("not used")

    async def answer_callback(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("not used")


class Chats:
    async def progress(self, org_id: str) -> MigrationProgress:
        return MigrationProgress(expected=10, confirmed=4)

    async def missing_by_person(self, org_id: str) -> dict[int, list[str]]:
        return {}


class Reminders:
    async def sent_count(self, org_id: str, period: Period) -> int:
        return 7 if period == WEEK2 else 0


class Reach:
    async def unreachable(self, org_id: str) -> list[UnreachablePerson]:
        return [UnreachablePerson(person_id=1, name="Кто-то", vk_id=None, code=None, reason="нет VK")]


async def test_school_summary_counts_shares_changes(db: Database, school_settings: Settings) -> None:
    """Week 2 against week 1: teachers registered, ≥ 3 messages, calls; pupils null; profile active."""
    await seed_school(db)
    summary = await SummaryService(SummaryRepo(db), school_settings, clock=FixedClock()).school("school1")
    data = summary.as_json()
    assert data["period"] == {"start": "2026-11-14", "end": "2026-11-20"}
    ind = data["indicators"]
    assert ind["teachers_total"] == {"count": 4, "share": None, "change": 0}
    assert ind["teachers_3plus"] == {"count": 3, "share": 0.75, "change": 1}
    assert ind["teachers_10plus"] == {"count": 1, "share": 0.25, "change": 0}
    assert ind["teachers_created_chats"] == {"count": 3, "share": 0.75, "change": 1}
    assert ind["students_total"] == {"count": None, "share": None, "change": None}
    assert data["profile_status"] == "active"
    assert data["registered"] == {"count": 4, "total": 5}
    assert (data["migration"], data["unreachable"]) == ({"expected": 0, "confirmed": 0}, 0)
    assert summary.registration.days_left == 8 and len(summary.trend) == 2


async def test_weakest_names_and_no_names(db: Database, school_settings: Settings) -> None:
    """The weakest indicator names its teachers; the figures-only text names nobody."""
    await seed_school(db)
    service = SummaryService(SummaryRepo(db), school_settings, clock=FixedClock())
    summary = await service.school("school1")
    assert summary.weakest[0].id == "teachers_1call"
    text = render_school(summary, names=True)
    assert "С кем поговорить" in text and "Петров С. И." in text
    hidden = await service.school("school1", names=False)
    figures_only = render_school(hidden, names=False)
    assert "Петров" not in figures_only and "Иванова" not in figures_only
    assert "≥ 3 сообщений в групповых чатах за неделю: 3 — 75 % (+1)" in figures_only


async def test_a_missing_column_is_null_not_zero(db: Database, school_settings: Settings) -> None:
    """A table without calls and EJD columns gives null counts, not zeros."""
    ids = await seed_school(db, weeks=False)
    from tests.summary.conftest import put_week

    await put_week(db, "school1", WEEK1, [(pid, {"group_messages": 4}) for pid in ids.values()])
    data = (await SummaryService(SummaryRepo(db), school_settings, clock=FixedClock()).school("school1")).as_json()
    assert data["indicators"]["teachers_1call"]["count"] is None
    assert data["indicators"]["teachers_ejd"]["count"] is None
    assert data["indicators"]["teachers_3plus"] == {"count": 5, "share": 1.0, "change": None}
    # No registration column: everyone in the table counts as registered.
    assert data["registered"] == {"count": 5, "total": 5}


async def test_period_argument_and_an_empty_period(db: Database, school_settings: Settings) -> None:
    """An explicit period picks that week (no previous before week 1); a week with no data is all null."""
    await seed_school(db)
    service = SummaryService(SummaryRepo(db), school_settings, clock=FixedClock())
    first = (await service.school("school1", period=WEEK1)).as_json()
    assert first["indicators"]["teachers_3plus"] == {"count": 2, "share": 0.5, "change": None}
    empty = await service.school("school1", period=Period.parse("2026-10-03..2026-10-09"))
    assert not empty.has_data and empty.as_json()["profile_status"] == "unknown"


async def test_features_fill_their_lines(db: Database, school_settings: Settings) -> None:
    """Chats, reminders and reachability providers show up in JSON and text."""
    await seed_school(db)
    service = SummaryService(SummaryRepo(db), school_settings, clock=FixedClock(), chats=Chats(), reminders=Reminders(),
                             reachability=Reach())
    summary = await service.school("school1")
    assert summary.as_json()["migration"] == {"expected": 10, "confirmed": 4}
    assert summary.as_json()["unreachable"] == 1
    text = render_school(summary, names=True)
    assert "подтверждено 4 из 10" in text and "Напоминаний отправлено: 7" in text


async def test_org_table_status_and_pupils(db: Database, school_settings: Settings) -> None:
    """A per-organization row gives pupils' figures and the profile status."""
    await seed_school(db)
    await put_org_row(db, OrgStats(org_id="school1", period=WEEK2, students_total=400, students_ejd=100,
                                   status="inactive"))
    data = (await SummaryService(SummaryRepo(db), school_settings, clock=FixedClock()).school("school1")).as_json()
    assert data["indicators"]["students_ejd"] == {"count": 100, "share": 0.25, "change": None}
    assert data["profile_status"] == "inactive"


async def test_district_ranking_and_total(db: Database, tmp_path: Path) -> None:
    """Two schools: the total sums counts, the ranking puts the inactive profile first."""
    settings = parse_settings({"district": {"name": "Энский район"}, "schools": [
        {"id": "school1", "name": "СОШ № 1"}, {"id": "school2", "name": "СОШ № 2"}]}, tmp_path)
    await seed_school(db, "school1", "СОШ № 1")
    await seed_school(db, "school2", "СОШ № 2")
    await put_org_row(db, OrgStats(org_id="school2", period=WEEK2, status="inactive"))
    district = await SummaryService(SummaryRepo(db), settings, clock=FixedClock()).district()
    assert district.total.indicator("teachers_3plus").count == 6
    assert district.total.indicator("teachers_3plus").change == 2
    assert [r.org_id for r in district.ranking["teachers_3plus"]] == ["school2", "school1"]
    text = render_district(district)
    assert "Энский район" in text and "СОШ № 2 75 % (не активен)" in text and "Петров" not in text


async def test_repo_load_aggregates_per_school_and_period(db: Database, school_settings: Settings) -> None:
    """One load returns both weeks' aggregates, the periods newest first and the roster's classes."""
    await seed_school(db)
    from bot.domain.indicators import Thresholds

    data = await SummaryRepo(db).load(["school1"], Thresholds(messages=5))
    assert data.periods["school1"] == [WEEK2, WEEK1]
    assert data.tables[("school1", WEEK2.key)].teachers_3plus == 2
    assert data.roster["school1"].classes == 3


async def test_send_weekly_once_per_period(db: Database, school_settings: Settings) -> None:
    """The director and the deputy get text, chart and workbook once; a second call sends nothing."""
    await seed_school(db)
    people = PeopleRepo(db)
    out = FakeOutbound()
    service = SummaryService(SummaryRepo(db), school_settings, clock=FixedClock(), outbound=out, people=people)
    assert await service.send_weekly("school1") is True
    assert sorted(m.peer_id for m in out.bulk) == [1001, 1002]
    assert out.bulk[0].attachments == (f"photo1_{out.bulk[0].peer_id}", f"doc1_{out.bulk[0].peer_id}")
    assert out.bulk[0].idem_key == f"school1:summary:{WEEK2.key}:{out.bulk[0].peer_id}"
    assert "Сводка за неделю" in out.bulk[0].text and "Петров" in out.bulk[0].text
    assert await service.send_weekly("school1") is False
    assert len(out.bulk) == 2


class FakeMaxPort:
    """The uploads a head's MAX dialog gets (a MessengerPort's `upload`)."""

    messenger = Messenger.MAX

    def __init__(self) -> None:
        self.uploaded: list[tuple[int, str, bool]] = []

    async def upload(self, chat: ChatRef, file: OutFile) -> str:
        self.uploaded.append((chat.chat_id, file.name, file.image))
        return f'{{"type": "{"image" if file.image else "file"}", "payload": {{"token": "t{len(self.uploaded)}"}}}}'


async def test_send_weekly_reaches_a_head_in_max_with_the_files_uploaded_to_max(db: Database, tmp_path: Path) -> None:
    """A school that prefers MAX: a deputy with a MAX account gets the summary in MAX, its chart and workbook
    uploaded to MAX; a director known only in VK still gets it in VK."""
    await seed_school(db)
    settings = parse_settings({"schools": [{"id": "school1", "name": "МБОУ СОШ № 1", "director_vk_id": 1001,
                                            "deputy_max_ids": [7002], "messenger_preference": "max"}]}, tmp_path)
    out, port = FakeOutbound(), FakeMaxPort()
    service = SummaryService(SummaryRepo(db), settings, clock=FixedClock(), outbound=out, people=PeopleRepo(db),
                             messengers={Messenger.MAX: port})  # type: ignore[dict-item]
    assert await service.send_weekly("school1") is True
    by_messenger = {m.messenger: m for m in out.bulk}
    assert set(by_messenger) == {Messenger.VK, Messenger.MAX}
    in_max = by_messenger[Messenger.MAX]
    assert in_max.peer_id == 7002 and in_max.idem_key == f"school1:summary:{WEEK2.key}:max:7002"
    assert [name for _, name, _ in port.uploaded] == ["svodka.png", f"svodka-school1-{WEEK2.key}.xlsx"]
    assert {chat for chat, _, _ in port.uploaded} == {7002}
    assert len(in_max.attachments) == 2 and "Сводка за неделю" in in_max.text
    assert by_messenger[Messenger.VK].peer_id == 1001
    assert by_messenger[Messenger.VK].attachments == ("photo1_1001", "doc1_1001")


async def test_send_weekly_off_or_without_data(db: Database, tmp_path: Path) -> None:
    """The setting off, or no imported week, sends nothing."""
    off = parse_settings({"schools": [{"id": "school1", "director_vk_id": 1001,
                                       "schedule": {"weekly_summary": False}}]}, tmp_path)
    await seed_school(db)
    out = FakeOutbound()
    assert await SummaryService(SummaryRepo(db), off, clock=FixedClock(), outbound=out).send_weekly("school1") is False
    on = parse_settings({"schools": [{"id": "school1", "director_vk_id": 1001},
                                     {"id": "school2", "director_vk_id": 1003}]}, tmp_path)
    assert await SummaryService(SummaryRepo(db), on, clock=FixedClock(), outbound=out).send_weekly("school2") is False
    assert out.bulk == []
