"""BroadcastService on a fake sender and real SQLite: audiences, preview, send, report, resume."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from bot.config import Settings
from bot.domain.models import Organization, Person, Role
from bot.messaging.events import CallbackAnswer, ChatRef, Edit, Messenger, OutFile, Reply
from bot.ports import Delivery, OutMessage, Sent
from bot.services.broadcasts import BroadcastRefused, BroadcastService, normalize_class
from bot.services.reachability import ReachabilityService
from storage.broadcasts import BroadcastRepo
from storage.db import Database
from storage.people import PeopleRepo
from storage.reach import ReachRepo
from storage.stats import StatsRepo


class FakeSender:
    """Records what is sent: the outbox's bulk send (`codes` gives a VK error per peer, `crash` fails
    the first one) and, as the deputy's messenger port, the progress edits and the report."""

    messenger = Messenger.VK

    def __init__(self, codes: dict[int, int] | None = None, *, crash: bool = False) -> None:
        self.codes = codes or {}
        self.crash = crash
        self.replies: list[Reply | OutMessage] = []
        self.bulk: list[OutMessage] = []
        self.delivered: set[str] = set()
        self.edits: list[str] = []

    async def reply(self, message: OutMessage) -> Delivery:
        """As an `Outbound` (the FAQ's hand-off in tests/handlers/test_faq.py)."""
        self.replies.append(message)
        return Delivery(peer_id=message.peer_id, ok=True, conversation_message_id=len(self.replies))

    async def send(self, reply: Reply) -> Sent:
        self.replies.append(reply)
        return Sent(chat=reply.chat, message_id=len(self.replies))

    async def send_bulk(self, messages: Sequence[OutMessage], *, on_progress: Any = None) -> list[Delivery]:
        if self.crash:
            self.crash = False
            raise RuntimeError("killed")
        result = []
        for done, m in enumerate(messages, 1):
            code = self.codes.get(m.peer_id)
            if code is None and m.idem_key not in self.delivered:
                self.delivered.add(m.idem_key or "")
                self.bulk.append(m)
            result.append(Delivery(peer_id=m.peer_id, ok=code is None, error_code=code, person_id=m.person_id))
            if on_progress is not None:
                await on_progress(done, len(messages))
        return result

    async def edit(self, edit: Edit) -> None:
        self.edits.append(edit.text)

    async def answer(self, answer: CallbackAnswer) -> None:
        raise AssertionError("a broadcast answers no press")

    async def upload(self, chat: ChatRef, file: OutFile) -> str:
        raise AssertionError("a broadcast uploads nothing")


class FakeChats:
    async def progress(self, org_id: str) -> Any:
        raise AssertionError("not used")

    async def missing_by_person(self, org_id: str) -> dict[int, list[str]]:
        return {self.person_id: ["5А — родители"], self.person_id + 1000: []}

    person_id = 0


@pytest.fixture
async def school(db: Database) -> dict[str, Person]:
    repo = PeopleRepo(db)
    await repo.sync_organizations([Organization(id="school1", name="СОШ 1"), Organization(id="school2", name="СОШ 2")])
    return {
        "deputy": await repo.add("school1", "Белова Ирина", Role.DEPUTY, vk_id=1002),
        "other": await repo.add("school2", "Соколов Пётр", Role.DEPUTY, vk_id=1003),
        "anna": await repo.add("school1", "Иванова Анна", Role.TEACHER, vk_id=2001, classes=["5А"]),
        "oleg": await repo.add("school1", "Кузнецов Олег", Role.TEACHER, vk_id=2005),
        "maria": await repo.add("school1", "Сидорова Мария", Role.STAFF),
    }


def service(db: Database, settings: Settings, sender: FakeSender, chats: Any = None) -> BroadcastService:
    return BroadcastService(BroadcastRepo(db), StatsRepo(db), settings, sender, ReachabilityService(ReachRepo(db)), messengers={Messenger.VK: sender},
                            chats=chats)


async def test_send_reports_each_unreachable_person_with_the_reason(
        db: Database, settings: Settings, school: dict[str, Person]) -> None:
    """901 and «no page» are named in the report; the keys are broadcast:{id}:{person}; progress is edited."""
    sender = FakeSender({2005: 901})
    svc = service(db, settings, sender)
    preview = await svc.create(school["deputy"], "all", None, "  Совещание в 15:00  ")
    assert preview.recipients == 3
    await svc.start(preview.broadcast.id, school["deputy"])
    assert [m.idem_key for m in sender.bulk] == [f"broadcast:{preview.broadcast.id}:{school['anna'].id}"]
    assert sender.bulk[0].text.endswith("\n\nСовещание в 15:00") and sender.bulk[0].kind == "broadcast"
    assert sender.edits[-1] == "Рассылка завершена: обработано 3 из 3."
    assert any(e.startswith("Отправляю рассылку:") for e in sender.edits)
    report = sender.replies[-1].text
    assert report.startswith("Рассылка отправлена. Доставлено: 1 из 3.")
    assert "Кузнецов Олег — не разрешил сообщения от сообщества" in report
    assert "Сидорова Мария — нет ни страницы ВКонтакте, ни MAX" in report  # no token set: both count


async def test_a_run_killed_midway_is_resumed_once(db: Database, settings: Settings, school: dict[str, Person]) -> None:
    """After a crash in the send, resume_all sends the rest and reports once; nothing goes twice."""
    sender = FakeSender(crash=True)
    svc = service(db, settings, sender)
    preview = await svc.create(school["deputy"], "all", None, "Текст")
    with pytest.raises(RuntimeError):
        await svc.start(preview.broadcast.id, school["deputy"])
    assert (await svc.get(preview.broadcast.id)).status == "sending"  # type: ignore[union-attr]
    assert await svc.resume_all() == 1
    assert await svc.resume_all() == 0
    assert sorted(m.peer_id for m in sender.bulk) == [2001, 2005]
    assert sum(r.text.startswith("Рассылка отправлена") for r in sender.replies) == 1


async def test_a_deputy_in_max_sees_progress_and_report_in_max(db: Database, settings: Settings,
                                                               school: dict[str, Person]) -> None:
    """Started from a MAX dialog (also when resumed after a crash): the progress edits and the report
    go through MAX's port to that dialog; VK's port gets none of them; the bulk stays on the outbox."""
    outbox, vk, max_port = FakeSender(crash=True), FakeSender(), FakeSender()
    max_port.messenger = Messenger.MAX
    svc = BroadcastService(BroadcastRepo(db), StatsRepo(db), settings, outbox, ReachabilityService(ReachRepo(db)),
                           messengers={Messenger.VK: vk, Messenger.MAX: max_port})
    dialog = ChatRef(messenger=Messenger.MAX, chat_id=7001)
    preview = await svc.create(school["deputy"], "all", None, "Текст")
    with pytest.raises(RuntimeError):
        await svc.start(preview.broadcast.id, school["deputy"], dialog)
    assert await svc.resume_all() == 1
    assert [r.chat for r in max_port.replies] == [dialog, dialog]
    assert max_port.replies[-1].text.startswith("Рассылка отправлена")
    assert max_port.edits[-1] == "Рассылка завершена: обработано 3 из 3."
    assert vk.replies == [] and vk.edits == [] and sorted(m.peer_id for m in outbox.bulk) == [2001, 2005]


async def test_another_schools_deputy_cannot_start_it(db: Database, settings: Settings,
                                                      school: dict[str, Person]) -> None:
    """The service itself refuses a deputy of another school (besides the handler's access check)."""
    sender = FakeSender()
    svc = service(db, settings, sender)
    preview = await svc.create(school["deputy"], "all", None, "Текст")
    with pytest.raises(BroadcastRefused):
        await svc.start(preview.broadcast.id, school["other"])
    assert sender.bulk == [] and (await svc.get(preview.broadcast.id)).status == "draft"  # type: ignore[union-attr]


async def test_audiences_need_their_data(db: Database, settings: Settings, school: dict[str, Person]) -> None:
    """Threshold audiences need an imported table; the chats one exists only with the chats feature."""
    svc = service(db, settings, FakeSender())
    with pytest.raises(BroadcastRefused, match="таблицы статистики"):
        await svc.audience("school1", "below")
    assert "chats" not in {o.kind for o in svc.options()}
    chats = FakeChats()
    chats.person_id = school["oleg"].id
    with_chats = service(db, settings, FakeSender(), chats)
    assert "chats" in {o.kind for o in with_chats.options()}
    assert [p.full_name for p in await with_chats.audience("school1", "chats")] == ["Кузнецов Олег"]
    with pytest.raises(BroadcastRefused):
        await svc.audience("school1", "everyone")


async def test_text_and_class_are_checked(db: Database, settings: Settings, school: dict[str, Person]) -> None:
    """Empty or too long text is refused; a class is found whatever the case, spaces or Latin letters."""
    svc = service(db, settings, FakeSender())
    with pytest.raises(BroadcastRefused, match="текст"):
        await svc.create(school["deputy"], "all", None, "   ")
    with pytest.raises(BroadcastRefused, match="длиннее"):
        await svc.create(school["deputy"], "all", None, "я" * 5000)
    assert await svc.find_class("school1", "5 a") == "5А"
    with pytest.raises(BroadcastRefused, match="5А"):
        await svc.find_class("school1", "11Б")
    assert normalize_class("5-А класс") == "5А"


async def test_preview_puts_the_counts_first(db: Database, settings: Settings, school: dict[str, Person]) -> None:
    """The preview's first line gives recipients and how many the bot cannot reach."""
    svc = service(db, settings, FakeSender())
    preview = await svc.create(school["deputy"], "class", "5А", "Проверьте журнал")
    assert preview.text.splitlines()[0] == "Получателей: 1, написать можно всем."
    everyone = await svc.create(school["deputy"], "all", None, "Всем")
    assert everyone.text.splitlines()[0] == "Получателей: 3, из них бот не может написать 1:"
    assert everyone.unreachable[0].name == "Сидорова Мария"


async def test_intent_refusals_are_reported_like_901(db: Database, settings: Settings,
                                                     school: dict[str, Person]) -> None:
    """943 (outside the 24-hour window) is recorded and reported with its own reason, not retried."""
    sender = FakeSender({2005: 943})
    svc = service(db, settings, sender)
    preview = await svc.create(school["deputy"], "all", None, "Текст")
    await svc.start(preview.broadcast.id, school["deputy"])
    assert "Кузнецов Олег — ограничение ВКонтакте на рассылки вне 24 часов" in sender.replies[-1].text
    assert sum(m.peer_id == 2005 for m in sender.bulk) == 0
