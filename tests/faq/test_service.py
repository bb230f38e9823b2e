"""FaqService on real SQLite with a recording outbound: answers, hand-off, replies, entries, refusals."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from bot.cli import main
from bot.composition import faq_stores
from bot.config import Settings, parse_settings
from bot.domain.models import Person, Role
from bot.faq import KnowledgeBaseError
from bot.ports import Delivery, OutMessage
from bot.services.access import AccessService, Denied
from bot.services.faq import FaqRefused, FaqService, check_knowledge_files
from storage.audit import AuditRepo
from storage.db import Database
from storage.people import PeopleRepo

NOW = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)
DEPUTY, DEPUTY2 = 1002, 3002
UNKNOWN = "проектор не включается"


class RecordingOutbound:
    """Records interactive replies; peers in `blocked` refuse messages (VK error 901)."""

    def __init__(self) -> None:
        self.sent: list[OutMessage] = []
        self.blocked: set[int] = set()

    async def reply(self, message: OutMessage) -> Delivery:
        if message.peer_id in self.blocked:
            return Delivery(peer_id=message.peer_id, ok=False, error_code=901)
        self.sent.append(message)
        return Delivery(peer_id=message.peer_id, ok=True, message_id=len(self.sent))

    async def send_bulk(self, messages: Sequence[OutMessage]) -> list[Delivery]:
        return [await self.reply(m) for m in messages]

    def to(self, peer_id: int) -> list[OutMessage]:
        return [m for m in self.sent if m.peer_id == peer_id]


class Clock:
    def __init__(self) -> None:
        self.moment = NOW

    def now(self) -> dt.datetime:
        return self.moment


@pytest.fixture
def two_schools(tmp_path: Path) -> Settings:
    return parse_settings({"schools": [
        {"id": "school1", "name": "МБОУ СОШ № 1", "deputy_vk_ids": [DEPUTY]},
        {"id": "school2", "name": "МБОУ СОШ № 2", "deputy_vk_ids": [DEPUTY2]},
    ]}, tmp_path)


class World:
    """The service with its people: a teacher, a colleague, and a teacher of school2."""

    def __init__(self, service: FaqService, outbound: RecordingOutbound, db: Database,
                 teacher: Person, colleague: Person, other: Person, clock: Clock) -> None:
        self.service, self.outbound, self.db = service, outbound, db
        self.teacher, self.colleague, self.other, self.clock = teacher, colleague, other, clock


@pytest.fixture
async def world(db: Database, two_schools: Settings) -> AsyncIterator[World]:
    people = PeopleRepo(db)
    await people.sync_organizations([])
    from bot.domain.models import Organization

    await people.sync_organizations(Organization(id=s.id, name=s.name) for s in two_schools.schools)
    await people.add("school1", "Белова Ирина Сергеевна", Role.DEPUTY, vk_id=DEPUTY)
    await people.add("school2", "Тихонов Олег Петрович", Role.DEPUTY, vk_id=DEPUTY2)
    teacher = await people.add("school1", "Иванова Анна Петровна", Role.TEACHER, vk_id=2001)
    colleague = await people.add("school1", "Петров Сергей Иванович", Role.TEACHER, vk_id=2002)
    other = await people.add("school2", "Кузнецова Елена Андреевна", Role.TEACHER, vk_id=3001)
    outbound = RecordingOutbound()
    clock = Clock()

    async def status(person: Person) -> str:
        return f"статус {person.full_name}"

    service = FaqService(faq_stores(db), two_schools, outbound, people, AccessService(people, AuditRepo(db), two_schools),
                         my_status=status, clock=clock)
    yield World(service, outbound, db, teacher, colleague, other, clock)


async def _answered(world: World, text: str = "Чинит Петров, кабинет 21.") -> int:
    reply = await world.service.answer(world.teacher, UNKNOWN, messenger="vk")
    assert reply.question_id is not None
    await world.service.hand_off(world.teacher, reply.question_id)
    await world.service.answer_question(DEPUTY, reply.question_id, text)
    return reply.question_id


async def test_article_with_the_deputys_name_filled_in(world: World) -> None:
    """The contact article names the school's deputy from the roster, not a placeholder."""
    reply = await world.service.answer(world.teacher, "с кем в школе решать вопросы по сферуму", messenger="vk")
    assert (reply.kind, reply.topic) == ("answer", "contact")
    assert "Белова Ирина Сергеевна" in reply.messages[0].text and "{" not in reply.messages[0].text


async def test_small_talk_is_a_short_reply_with_the_menu(world: World) -> None:
    """«спасибо» is small talk: one short message, the menu, nothing stored."""
    reply = await world.service.answer(world.teacher, "спасибо", messenger="vk")
    assert reply.kind == "greeting" and reply.question_id is None
    assert [m.menu for m in reply.messages] == [True]


async def test_empty_text_asks_for_a_question(world: World) -> None:
    """A blank message gets an invitation to ask, not an article."""
    reply = await world.service.answer(world.teacher, "   ", messenger="vk")
    assert reply.kind == "empty" and "своими словами" in reply.messages[0].text


async def test_my_status_topic_is_the_status_command(world: World) -> None:
    """The my_status topic is answered by the my_status renderer."""
    reply = await world.service.answer(world.teacher, "что мне ещё нужно сделать", messenger="vk")
    assert reply.kind == "my_status"
    assert reply.messages[0].text == "статус Иванова Анна Петровна"


async def test_unknown_offers_the_menu_and_a_hand_off(world: World) -> None:
    """Below the threshold: «не знаю» with the menu, then a hand-off button for this question."""
    reply = await world.service.answer(world.teacher, UNKNOWN, messenger="vk")
    assert reply.kind == "unknown"
    assert reply.messages[0].menu and "не знаю" in reply.messages[0].text
    keyboard = reply.messages[1].keyboard
    assert keyboard is not None
    assert keyboard.rows[0][0].payload == {"cmd": "faq_handoff", "q": reply.question_id}


async def test_hand_off_notifies_the_deputy_once(world: World) -> None:
    """The deputy gets the question with the asker's name and «Ответить»; a second press sends nothing."""
    reply = await world.service.answer(world.teacher, UNKNOWN, messenger="vk")
    assert "Передал" in await world.service.hand_off(world.teacher, reply.question_id)
    [note] = world.outbound.to(DEPUTY)
    assert note.text.startswith("Вопрос от Ивановой Анны Петровны") and UNKNOWN in note.text
    assert note.keyboard is not None and note.keyboard.rows[0][0].payload == {"cmd": "faq_reply",
                                                                             "q": reply.question_id}
    assert "уже передан" in await world.service.hand_off(world.teacher, reply.question_id)
    assert len(world.outbound.to(DEPUTY)) == 1
    assert world.outbound.to(DEPUTY2) == []


async def test_someone_elses_question_cannot_be_handed_off(world: World) -> None:
    """A colleague pressing the asker's hand-off button is refused; the question stays «asked»."""
    reply = await world.service.answer(world.teacher, UNKNOWN, messenger="vk")
    with pytest.raises(FaqRefused):
        await world.service.hand_off(world.colleague, reply.question_id)
    question = await world.service.repo.get(reply.question_id or 0)
    assert question is not None and question.status == "asked"


async def test_reply_reaches_the_asker_and_closes_the_question(world: World) -> None:
    """The deputy's answer goes to the asker through the bot; the question is answered, audited."""
    question_id = await _answered(world)
    [delivered] = world.outbound.to(2001)
    assert "Чинит Петров" in delivered.text and UNKNOWN in delivered.text
    question = await world.service.repo.get(question_id)
    assert question is not None and question.status == "answered"
    with pytest.raises(FaqRefused):
        await world.service.answer_question(DEPUTY, question_id, "ещё раз")
    audit = await AuditRepo(world.db).recent(action="faq_answer")
    assert [a.outcome for a in audit] == ["error", "ok", "ok"]


async def test_undeliverable_reply_is_reported_to_the_deputy(world: World) -> None:
    """An asker who blocked the community: the answer is kept and the deputy is told."""
    reply = await world.service.answer(world.teacher, UNKNOWN, messenger="vk")
    await world.service.hand_off(world.teacher, reply.question_id)
    world.outbound.blocked.add(2001)
    result = await world.service.answer_question(DEPUTY, reply.question_id, "Ответ")
    assert not result.delivered and "не удалось" in result.text


@pytest.mark.parametrize("who", [2001, 3002, 999])
async def test_only_the_schools_deputy_may_answer(world: World, who: int) -> None:
    """A teacher, another school's deputy and a stranger are refused; the question stays open."""
    reply = await world.service.answer(world.teacher, UNKNOWN, messenger="vk")
    await world.service.hand_off(world.teacher, reply.question_id)
    with pytest.raises(Denied):
        await world.service.answer_question(who, reply.question_id, "Ответ")
    with pytest.raises(Denied):
        await world.service.add_entry(who, reply.question_id, "contact")
    question = await world.service.repo.get(reply.question_id or 0)
    assert question is not None and question.status == "open"
    assert world.outbound.to(2001) == []
    assert (await AuditRepo(world.db).recent(action="faq_answer"))[0].outcome == "denied"


async def test_deputy_in_a_group_chat_is_refused(world: World) -> None:
    """Answers and entries from a group chat are refused even for the school's deputy."""
    reply = await world.service.answer(world.teacher, UNKNOWN, messenger="vk")
    await world.service.hand_off(world.teacher, reply.question_id)
    with pytest.raises(Denied):
        await world.service.answer_question(DEPUTY, reply.question_id, "Ответ", in_chat=True)
    with pytest.raises(Denied):
        await world.service.open_questions(DEPUTY, in_chat=True)


async def test_open_questions_are_the_schools_own(world: World) -> None:
    """The deputy sees their school's open questions only."""
    mine = await world.service.answer(world.teacher, UNKNOWN, messenger="vk")
    await world.service.hand_off(world.teacher, mine.question_id)
    theirs = await world.service.answer(world.other, UNKNOWN, messenger="vk")
    await world.service.hand_off(world.other, theirs.question_id)
    found, total = await world.service.open_questions(DEPUTY)
    assert [q.id for q in found] == [mine.question_id] and total == 1
    assert found[0].asker_name == "Иванова Анна Петровна"


async def test_entry_under_an_existing_topic_is_the_schools_answer_only(world: World) -> None:
    """After the entry, school1 gets the deputy's text for the question and the topic; school2 does not."""
    question_id = await _answered(world)
    done = await world.service.add_entry(DEPUTY, question_id, "contact")
    assert done.startswith("Готово")
    again = await world.service.answer(world.colleague, UNKNOWN, messenger="vk")
    assert (again.kind, again.topic, again.messages[0].text) == ("answer", "contact", "Чинит Петров, кабинет 21.")
    elsewhere = await world.service.answer(world.other, UNKNOWN, messenger="vk")
    assert elsewhere.kind == "unknown"
    bundled = await world.service.answer(world.other, "с кем в школе решать вопросы по сферуму", messenger="vk")
    assert bundled.topic == "contact" and "Чинит Петров" not in bundled.messages[0].text
    [entry] = await world.service.repo.entries("school1")
    assert (entry.topic_id, entry.examples, entry.question_id) == ("contact", [UNKNOWN], question_id)


async def test_entry_survives_a_restart(world: World, db: Database, two_schools: Settings) -> None:
    """A new service over the same database answers with the school's entry (it is data, not memory)."""
    question_id = await _answered(world)
    await world.service.add_entry(DEPUTY, question_id, "contact")
    people = PeopleRepo(db)
    fresh = FaqService(faq_stores(db), two_schools, RecordingOutbound(), people,
                       AccessService(people, AuditRepo(db), two_schools), clock=Clock())
    reply = await fresh.answer(world.colleague, UNKNOWN, messenger="vk")
    assert reply.messages[0].text == "Чинит Петров, кабинет 21."


async def test_new_topic_from_the_chat(world: World) -> None:
    """A new school topic id with a title: the question is answered under it."""
    question_id = await _answered(world, "Проектор: звоните завхозу, 2-15.")
    done = await world.service.add_entry(DEPUTY, question_id, "projector", title="Проектор в кабинете")
    assert "«Проектор в кабинете» (projector)" in done
    reply = await world.service.answer(world.colleague, "не включается проектор", messenger="vk")
    assert (reply.topic, reply.messages[0].text) == ("projector", "Проектор: звоните завхозу, 2-15.")


@pytest.mark.parametrize(("topic", "reason"), [("Проектор", "латинские"), ("my_status", "команда"),
                                               ("x", "латинские")])
async def test_bad_topic_ids_are_refused(world: World, topic: str, reason: str) -> None:
    """A malformed or command topic id is refused with a clear reason; nothing is stored."""
    question_id = await _answered(world)
    with pytest.raises(FaqRefused, match=reason):
        await world.service.add_entry(DEPUTY, question_id, topic)
    assert await world.service.repo.entries("school1") == []


async def test_entry_is_validated_like_the_school_file(world: World) -> None:
    """An answer over 1,000 characters or with an unknown {placeholder} is not stored."""
    long_id = await _answered(world, "а" * 1001)
    with pytest.raises(FaqRefused, match="1000"):
        await world.service.add_entry(DEPUTY, long_id, "contact")
    world.clock.moment += dt.timedelta(minutes=1)
    braces = await world.service.answer(world.colleague, UNKNOWN, messenger="vk")
    await world.service.hand_off(world.colleague, braces.question_id)
    await world.service.answer_question(DEPUTY, braces.question_id, "Спросите у {завуча}")
    await world.service.add_entry(DEPUTY, braces.question_id, "contact")
    bad = await world.service.answer(world.colleague, UNKNOWN + " опять", messenger="vk")
    await world.service.hand_off(world.colleague, bad.question_id)
    await world.service.answer_question(DEPUTY, bad.question_id, "Спросите у {zavuch}")
    with pytest.raises(FaqRefused, match="подстановка"):
        await world.service.add_entry(DEPUTY, bad.question_id, "contact")
    [entry] = await world.service.repo.entries("school1")
    assert entry.answer == "Спросите у {завуча}"


async def test_entry_needs_an_answered_question(world: World) -> None:
    """An open (unanswered) question cannot become an entry yet."""
    reply = await world.service.answer(world.teacher, UNKNOWN, messenger="vk")
    await world.service.hand_off(world.teacher, reply.question_id)
    with pytest.raises(FaqRefused, match="Сначала ответьте"):
        await world.service.start_entry(DEPUTY, reply.question_id)


async def test_topic_pages_put_the_closest_topics_first(world: World) -> None:
    """The first page starts with the topics closest to the question; «Ещё темы» wraps around."""
    reply = await world.service.answer(world.teacher, "смс с кодом не приходит", messenger="vk")
    question_id = reply.question_id
    await world.service.hand_off(world.teacher, question_id)
    await world.service.answer_question(DEPUTY, question_id, "Позвоните мне")
    page = await world.service.start_entry(DEPUTY, question_id)
    assert page.keyboard.rows[0][0].payload["t"] == "login_code"
    labels = [b.label for row in page.keyboard.rows for b in row]
    assert {"Ещё темы", "Новая тема", "Отмена"} <= set(labels) and len(labels) <= 10
    assert all(b.payload.get("t") != "my_status" for row in page.keyboard.rows for b in row)


async def test_candidates_are_the_askers_to_press(world: World) -> None:
    """Close topics give one clarifying question with entry buttons; the asker's press gives
    that entry, a colleague's is refused."""
    reply = await world.service.answer(world.teacher, "профиль", messenger="vk")
    assert reply.kind == "choice"
    assert reply.messages[0].text.startswith("Уточните, пожалуйста")
    keyboard = reply.messages[0].keyboard
    assert keyboard is not None
    picks = [row[0].payload for row in keyboard.rows if row[0].payload["cmd"] == "faq_pick"]
    assert len(picks) >= 2
    article = await world.service.pick(world.teacher, picks[1]["q"], None, picks[1]["e"], messenger="vk")
    assert (article.kind, article.entry) == ("answer", picks[1]["e"])
    assert article.topic == picks[1]["e"].split(".")[0]
    by_topic = await world.service.pick(world.teacher, picks[1]["q"], "calls", messenger="vk")
    assert by_topic.topic == "calls" and by_topic.entry is not None
    with pytest.raises(FaqRefused):
        await world.service.pick(world.colleague, picks[1]["q"], None, picks[1]["e"], messenger="vk")
    with pytest.raises(FaqRefused):
        await world.service.pick(world.teacher, picks[1]["q"], "no_such_topic", messenger="vk")


async def test_old_answered_questions_are_forgotten(world: World) -> None:
    """Questions the bot answered itself are kept a week, then deleted; handed-off ones stay."""
    kept = await world.service.answer(world.teacher, UNKNOWN, messenger="vk")
    await world.service.hand_off(world.teacher, kept.question_id)
    old = await world.service.answer(world.teacher, "смс не приходит", messenger="vk")
    await world.service.answer(world.teacher, "как начать видеоурок", messenger="vk")  # the newest row always stays
    world.clock.moment += dt.timedelta(days=8)
    await world.service.answer(world.teacher, "смс не приходит", messenger="vk")
    assert await world.service.repo.get(old.question_id or 0) is None
    assert await world.service.repo.get(kept.question_id or 0) is not None


def _bad_school_file(tmp_path: Path) -> Path:
    faq = tmp_path / "faq-school1.toml"
    faq.write_text('[[topic]]\nid = "contact"\nanswer = """' + "а" * 1001 + '"""\n', "utf-8")
    config = tmp_path / "config.toml"
    config.write_text('[vk]\ntoken = "t"\n\n[[schools]]\nid = "school1"\nfaq_file = "faq-school1.toml"\n',
                      "utf-8")
    return config


async def test_invalid_school_file_fails_the_service(tmp_path: Path, db: Database) -> None:
    """A school file with a too-long answer stops the bot's start, naming the school and entry."""
    config = _bad_school_file(tmp_path)
    from bot.config import load_settings

    settings = load_settings(config)
    problem = check_knowledge_files(settings)
    assert problem is not None and "school1" in problem and '"contact"' in problem and "1000" in problem
    people = PeopleRepo(db)
    with pytest.raises(KnowledgeBaseError):
        FaqService(faq_stores(db), settings, RecordingOutbound(), people, AccessService(people, AuditRepo(db), settings))


@pytest.mark.parametrize("command", ["run", "doctor"])
def test_run_and_doctor_refuse_an_invalid_school_file(tmp_path: Path, command: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """`run`/`doctor` exit 2 with one Russian line naming the entry, before touching VK."""
    config = _bad_school_file(tmp_path)
    assert main([command, "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("Ошибка: школа school1") and '"contact"' in err and "\n" not in err


async def test_my_status_sections(world: World) -> None:
    """The deputy's status lists unanswered questions as a task; the asker sees theirs waiting."""
    people = await PeopleRepo(world.db).by_vk_id(DEPUTY)
    assert await world.service.status_section(people[0], NOW) is None
    reply = await world.service.answer(world.teacher, UNKNOWN, messenger="vk")
    await world.service.hand_off(world.teacher, reply.question_id)
    deputy = await world.service.status_section(people[0], NOW)
    assert deputy is not None and "(1)" in deputy.open_tasks[0]
    asker = await world.service.status_section(world.teacher, NOW)
    assert asker is not None and UNKNOWN in asker.lines[0]
    assert await world.service.status_section(world.colleague, NOW) is None


async def test_answer_follows_the_askers_messenger(world: World) -> None:
    """The messenger passed in picks the steps; the entry and its neighbours stay the same."""
    in_vk = await world.service.answer(world.teacher, "как открыть сферум на ноутбуке", messenger="vk")
    in_max = await world.service.answer(world.teacher, "как открыть сферум на ноутбуке", messenger="max")
    assert in_vk.entry == in_max.entry == "web_version.open"
    assert "web.vk.me" in in_vk.messages[0].text and "web.max.ru" in in_max.messages[0].text
    keyboard = in_max.messages[0].keyboard
    assert keyboard is not None and len(keyboard.rows) <= 6
    labels = [b.label for row in keyboard.rows for b in row]
    assert len(labels) <= 10 and all(len(row) <= 5 for row in keyboard.rows)
    assert "Личный и учебный профиль" in labels
    picked = await world.service.pick(world.teacher, in_max.question_id, None, "web_version.switch",
                                      messenger="max")
    assert picked.entry == "web_version.switch" and "MAX" in picked.messages[0].text


async def test_contact_is_an_answer_with_an_entry(world: World) -> None:
    """Asking for a person is answered (kind "answer", entry `contact.person`) with the hand-off."""
    reply = await world.service.answer(world.teacher, "с кем в школе решать вопросы по сферуму", messenger="vk")
    assert (reply.kind, reply.entry) == ("answer", "contact.person")
    keyboard = reply.messages[0].keyboard
    assert keyboard is not None
    assert any(b.payload.get("cmd") == "faq_handoff" for row in keyboard.rows for b in row)


async def test_deputys_own_question_is_not_sent_back_to_her(world: World) -> None:
    """A deputy's question goes to the other deputies only; the only deputy is told politely, nothing changes."""
    people = PeopleRepo(world.db)
    [deputy] = await people.by_vk_id(DEPUTY)
    reply = await world.service.answer(deputy, UNKNOWN, messenger="vk")
    assert "единственный заместитель" in await world.service.hand_off(deputy, reply.question_id)
    assert world.outbound.to(DEPUTY) == []
    question = await world.service.repo.get(reply.question_id or 0)
    assert question is not None and question.status == "asked"
    await people.add("school1", "Орлова Вера Николаевна", Role.DEPUTY, vk_id=1003)
    assert "Передал" in await world.service.hand_off(deputy, reply.question_id)
    assert world.outbound.to(DEPUTY) == []
    [note] = world.outbound.to(1003)
    assert note.text.startswith("Вопрос от Беловой Ирины Сергеевны")


@pytest.mark.parametrize("typed", ["да", "Передай", "передайте заместителю", "ага"])
async def test_typed_yes_after_unknown_hands_off(world: World, typed: str) -> None:
    """«да» or «передай» typed after «не знаю» hands the question off."""
    reply = await world.service.answer(world.teacher, UNKNOWN, messenger="vk")
    assert reply.offer == []
    done = await world.service.follow_up(world.teacher, reply.question_id, [], typed, messenger="vk")
    assert done is not None and "Передал" in done.messages[0].text
    assert len(world.outbound.to(DEPUTY)) == 1


async def test_typed_answers_to_candidates(world: World) -> None:
    """A number picks a candidate, a number out of range asks again, «нет» offers the hand-off,
    a new question is not taken for an answer."""
    reply = await world.service.answer(world.teacher, "профиль", messenger="vk")
    assert reply.kind == "choice" and reply.offer and len(reply.offer) >= 2
    options = reply.offer
    picked = await world.service.follow_up(world.teacher, reply.question_id, options, "2", messenger="vk")
    assert picked is not None and (picked.kind, picked.entry) == ("answer", options[1])
    again = await world.service.follow_up(world.teacher, reply.question_id, options, "7", messenger="vk")
    assert again is not None and "номер" in again.messages[0].text and again.offer == options
    declined = await world.service.follow_up(world.teacher, reply.question_id, options, "нет", messenger="vk")
    assert declined is not None and declined.offer == [] and "Передать" in declined.messages[0].text
    assert world.outbound.to(DEPUTY) == []
    for question in ("как пригласить родителей в чат класса?", "нет кнопки входа", "да как же войти"):
        assert await world.service.follow_up(world.teacher, reply.question_id, options, question,
                                             messenger="vk") is None


async def test_typed_no_after_unknown_changes_nothing(world: World) -> None:
    """«нет» after «не знаю» is acknowledged and hands nothing off."""
    reply = await world.service.answer(world.teacher, UNKNOWN, messenger="vk")
    done = await world.service.follow_up(world.teacher, reply.question_id, [], "нет, не надо", messenger="vk")
    assert done is not None and "не передаю" in done.messages[0].text
    assert world.outbound.to(DEPUTY) == []
