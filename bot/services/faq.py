"""The FAQ in the chat: answers from the school's knowledge base, hand-off to the deputy,
the deputy's replies, and knowledge-base entries made from those replies.

One engine per school: the bundled base, then the school's file, then the entries the
school's deputy made in the chat. Engines are built lazily (in a thread: building takes
tens of milliseconds) and rebuilt when the deputy adds an entry.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.config import SchoolConfig, Settings
from bot.domain import answers
from bot.domain.models import CONFIG_NAMES, Person, Role
from bot.domain.russian import name_in
from bot.domain.ui import Button, Color, Keyboard
from bot.faq import FaqEngine, KnowledgeBase, KnowledgeBaseError, load_knowledge_base, render
from bot.faq.kbfile import MAX_ANSWER_CHARS, MAX_TITLE_CHARS, TOPIC_ID_PATTERN, parse_entries
from bot.faq.reply import Messenger, clarifying_question
from bot.messaging.events import Identity
from bot.messaging.events import Messenger as Chat
from bot.ports import Clock, Outbound, OutMessage, PeopleStore, SystemClock
from bot.services.access import AccessService, vk_of
from bot.services.addressing import school_address
from bot.services.my_status import StatusSection
from storage.audit import AuditRepo
from storage.faq import FaqQuestion, FaqRepo, SchoolEntry
from storage.sql import Database

Kind = Literal["answer", "choice", "unknown", "greeting", "my_status", "empty", "handed_off", "follow_up"]
StatusRenderer = Callable[[Person], Awaitable[str]]

#: Questions the bot answered itself are kept this long (their buttons work meanwhile).
ASKED_KEEP = dt.timedelta(days=7)
#: Topics offered as buttons per page when the deputy files an answer.
TOPICS_PER_PAGE = 6
#: Topics that are commands, not articles: an entry cannot be filed under them.
COMMAND_TOPICS = frozenset({"my_status"})
MAX_QUESTION_CHARS = 1000
MAX_LISTED = 10
#: Other entries of the topic offered under an answer: with «Спасибо, помогло» and the
#: hand-off that makes 6 rows, VK's limit for an inline keyboard.
MAX_RELATED = 4

EMPTY_TEXT = "Напишите вопрос о Сферуме своими словами — например, «не приходит смс с кодом»."
UNKNOWN_TEXT = "Пока не знаю ответа на этот вопрос. Выберите тему в меню внизу или спросите иначе."
HANDOFF_OFFER = "Могу передать вопрос заместителю директора — ответ придёт сюда же. Передать? Ответьте «да» или нажмите кнопку."
HANDED_OFF = "Передал вопрос заместителю директора. Ответ придёт сюда же, в этот чат."
ALREADY_HANDED = "Этот вопрос уже передан заместителю — ответ придёт сюда же."
NO_DEPUTY = ("Передал вопрос, но у школы пока нет заместителя, подключённого к боту. "
             "Спросите, пожалуйста, у администрации школы лично.")
ANSWERED_ALREADY = "На этот вопрос уже ответили."
NOT_YOURS = "Эта кнопка относится к чужому вопросу."
GONE = "Этого вопроса уже нет: напишите его ещё раз, пожалуйста."
HELPED = "Рад, что помогло!"
ONLY_DEPUTY = ("Вы единственный заместитель, подключённый к боту, поэтому передать вопрос некому. "
               "Спросите, пожалуйста, у директора или администратора школы.")
NOT_HANDED = "Хорошо, не передаю. Если появится другой вопрос, просто напишите его."
WHICH_NUMBER = "Напишите номер подходящего варианта (от 1 до {n}) или «передай» — передам вопрос заместителю."
NONE_FITS = "Понял, ни один вариант не подходит. Передать вопрос заместителю директора? Ответьте «да» или «нет»."
#: Typed words that ask to pass the question on («передай», «передайте заместителю»).
_HAND_OFF_WORDS = ("передай", "передать", "передайте", "перешли", "отправь", "отправьте", "спроси", "спросите")


class FaqRefused(Exception):  # noqa: N818 - reads naturally: `except FaqRefused`
    """A request that changes nothing; `text` says why, in Russian."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class Reply(BaseModel):
    """One message of the bot's answer: text, inline buttons, or the person's main menu."""

    model_config = ConfigDict(frozen=True)

    text: str
    keyboard: Keyboard | None = None
    menu: bool = False


class FaqReply(BaseModel):
    """What to send for one question (a render model: the handler only sends it)."""

    model_config = ConfigDict(frozen=True)

    kind: Kind
    topic: str | None = None
    entry: str | None = None
    question_id: int | None = None
    confidence: float = 0.0
    messages: list[Reply] = []
    #: When not None, the bot waits for a typed answer to its offer about `question_id`:
    #: «да»/«передай», «нет», or the number of one of these candidate entries.
    offer: list[str] | None = None


class AnswerResult(BaseModel):
    """The outcome of the deputy's reply to a handed-off question."""

    model_config = ConfigDict(frozen=True)

    question: FaqQuestion
    delivered: bool
    text: str
    keyboard: Keyboard | None = None


class TopicPage(BaseModel):
    """A page of topic buttons to file an answer under."""

    model_config = ConfigDict(frozen=True)

    text: str
    keyboard: Keyboard


@dataclass
class _Engines:
    built: dict[str, FaqEngine] = field(default_factory=dict)
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)


def check_knowledge_files(settings: Settings) -> str | None:
    """Why a school's FAQ file is unusable (one Russian line naming the school and entry), or None."""
    for school in settings.schools:
        if school.faq_file is None:
            continue
        try:
            load_knowledge_base(school.faq_file)
        except KnowledgeBaseError as exc:
            return f"школа {school.id}: {exc}"
    return None


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


#: Words that may come with «да» or «нет» without making the reply a new question.
_COURTESY = frozenset({"да", "нет", "не", "неа", "ага", "давай", "давайте", "пожалуйста", "спасибо", "надо",
                       "нужно", "конечно", "пока", "уже", "ок", "хорошо", "ладно", "можно", "так", "вопрос"})


def _short_answer(text: str) -> str | None:
    """«да»/«нет»/«отмена» typed as a reply (alone or with courtesy words: «да, пожалуйста»,
    «нет, не надо»); None for anything else, so «нет кнопки входа» stays a question."""
    exact = answers.intent(text, ("yes", "no", "cancel"), exact=True)
    if exact is not None:
        return exact
    if not set(answers.clean(text).split()) <= _COURTESY:
        return None
    return answers.intent(text, ("yes", "no", "cancel"))


def _handoff_button(question_id: int) -> Button:
    return Button(label="Передать вопрос заместителю", payload={"cmd": "faq_handoff", "q": question_id},
                  callback=True)


class FaqService:
    """Answers staff questions in the chat and carries the ones it cannot answer to a person."""

    def __init__(self, db: Database, settings: Settings, outbound: Outbound, people: PeopleStore,
                 access: AccessService, *, my_status: StatusRenderer | None = None,
                 clock: Clock | None = None) -> None:
        self._db = db
        self._settings = settings
        self._outbound = outbound
        self._people = people
        self._access = access
        self._my_status = my_status
        self._clock = clock or SystemClock()
        self._repo = FaqRepo(db)
        self._engines = _Engines()
        self._bases: dict[str, KnowledgeBase] = {}
        # Fail at start, not at the first question: every school file is read now.
        problem = check_knowledge_files(settings)
        if problem is not None:
            raise KnowledgeBaseError(problem)

    @property
    def repo(self) -> FaqRepo:
        """The questions and entries store (read-only use by handlers and tests)."""
        return self._repo

    # --- engines -------------------------------------------------------------------------

    def _school(self, org_id: str | None) -> SchoolConfig | None:
        return next((s for s in self._settings.schools if s.id == org_id), None)

    def _base(self, org_id: str | None) -> KnowledgeBase:
        key = org_id or ""
        if key not in self._bases:
            school = self._school(org_id)
            self._bases[key] = load_knowledge_base(school.faq_file if school else None)
        return self._bases[key]

    def _build(self, org_id: str | None, entries: list[SchoolEntry]) -> FaqEngine:
        overrides = [_entry_dict(e) for e in entries]
        return FaqEngine.build(self._base(org_id), overrides)

    async def engine(self, org_id: str | None) -> FaqEngine:
        """The school's engine (bundled + school file + its entries), built on first use."""
        key = org_id or ""
        found = self._engines.built.get(key)
        if found is not None:
            return found
        lock = self._engines.locks.setdefault(key, asyncio.Lock())
        async with lock:
            found = self._engines.built.get(key)
            if found is None:
                entries = await self._repo.entries(org_id) if org_id else []
                found = await asyncio.to_thread(self._build, org_id, entries)
                self._engines.built[key] = found
        return found

    async def _context(self, org_id: str | None) -> dict[str, str | None]:
        """Placeholder values: who is responsible at the school, and its name."""
        school = self._school(org_id)
        names = [p.full_name for p in await self._deputies(org_id)
                 if p.full_name not in CONFIG_NAMES.values()]
        responsible = ("заместитель директора " + ", ".join(names)) if names else None
        return {"responsible": responsible, "school": school.name if school else None}

    async def _deputies(self, org_id: str | None) -> list[Person]:
        if org_id is None:
            return []
        return [p for p in await self._people.in_org(org_id)
                if p.role is Role.DEPUTY and self._address(p) is not None]

    def _address(self, person: Person) -> tuple[Chat, int] | None:
        """Where to write to `person`: the school's preferred messenger among those they have and that run."""
        school = self._school(person.org_id)
        if school is None:
            return None
        return school_address(self._settings, school, person.vk_id, person.max_id)

    # --- asking --------------------------------------------------------------------------

    async def answer(self, person: Person, text: str, *, messenger: Messenger) -> FaqReply:
        """The bot's reply to a free-text question from `person`, who writes from `messenger`
        ("vk" or "max": it picks the variant of the steps)."""
        question = " ".join(text.split())[:MAX_QUESTION_CHARS]
        if not question:
            return FaqReply(kind="empty", messages=[Reply(text=EMPTY_TEXT, menu=True)])
        engine = await self.engine(person.org_id)
        context = await self._context(person.org_id)
        found = engine.ask(question, context, messenger)
        if found.kind == "greeting":
            return FaqReply(kind="greeting", confidence=found.confidence,
                            messages=[Reply(text=found.answer, menu=True)])
        question_id = await self._remember(person, question, found.topic)
        if found.kind == "unknown":
            return FaqReply(kind="unknown", question_id=question_id, confidence=found.confidence, offer=[],
                            messages=[Reply(text=UNKNOWN_TEXT, menu=True),
                                      Reply(text=HANDOFF_OFFER,
                                            keyboard=Keyboard.column([_handoff_button(question_id)]))])
        assert found.topic is not None
        if found.kind == "choice":
            options = [e for e in found.options if e in engine.entry_by_id][:3]
            titles = [engine.entry_by_id[e].title for e in options]
            buttons = [Button(label=_clip(title, 40), color=Color.PRIMARY, callback=True,
                              payload={"cmd": "faq_pick", "q": question_id, "t": e.split(".")[0], "e": e})
                       for e, title in zip(options, titles, strict=True)]
            buttons.append(Button(label="Нет нужного — передать", callback=True,
                                  payload={"cmd": "faq_handoff", "q": question_id}))
            return FaqReply(kind="choice", topic=found.topic, question_id=question_id,
                            confidence=found.confidence, offer=options,
                            messages=[Reply(text=clarifying_question(titles), keyboard=Keyboard.column(buttons))])
        assert found.entry is not None
        reply = await self._article(person, engine, found.entry, question_id, context, messenger)
        return reply.model_copy(update={"confidence": found.confidence})

    async def _article(self, person: Person, engine: FaqEngine, entry_id: str, question_id: int,
                       context: dict[str, str | None], messenger: Messenger) -> FaqReply:
        entry = engine.entry_by_id[entry_id]
        topic_id = entry.topic
        if topic_id == "my_status" and self._my_status is not None:
            return FaqReply(kind="my_status", topic=topic_id, entry=entry_id, question_id=question_id,
                            messages=[Reply(text=await self._my_status(person), menu=True)])
        related = [e for e in engine.entries.get(topic_id, []) if e.id != entry_id][:MAX_RELATED]
        rows = [[Button(label=_clip(e.title, 40), callback=True,
                        payload={"cmd": "faq_pick", "q": question_id, "t": e.topic, "e": e.id})] for e in related]
        rows.append([Button(label="Спасибо, помогло", color=Color.POSITIVE, callback=True,
                            payload={"cmd": "faq_ok", "q": question_id})])
        rows.append([_handoff_button(question_id)])
        text = render(entry.text(messenger), context)
        return FaqReply(kind="answer", topic=topic_id, entry=entry_id, question_id=question_id,
                        messages=[Reply(text=text, keyboard=Keyboard(rows=rows, inline=True))])

    async def _remember(self, person: Person, text: str, topic: str | None) -> int:
        now = self._clock.now()
        async with self._db.transaction() as conn:
            await FaqRepo.purge_asked_in(conn, now - ASKED_KEEP)
            return await FaqRepo.add_question_in(conn, org_id=person.org_id, person_id=person.id,
                                                 asker_vk_id=person.vk_id or 0, text=text, topic=topic,
                                                 now=now)

    async def _own(self, person: Person, question_id: object) -> FaqQuestion:
        """The asker's own question, or FaqRefused (a forged or stale button)."""
        found = await self._repo.get(question_id) if isinstance(question_id, int) else None
        if found is None:
            raise FaqRefused(GONE)
        if found.person_id != person.id:
            raise FaqRefused(NOT_YOURS)
        return found

    async def pick(self, person: Person, question_id: object, topic_id: object = None,
                   entry_id: object = None, *, messenger: Messenger) -> FaqReply:
        """An entry (or a topic) pressed under the asker's own question: that entry's answer,
        or the topic's entry closest to the question."""
        question = await self._own(person, question_id)
        engine = await self.engine(person.org_id)
        chosen = None
        if isinstance(entry_id, str) and entry_id in engine.entry_by_id:
            chosen = engine.entry_by_id[entry_id]
        elif isinstance(topic_id, str) and topic_id in engine.topics:
            chosen = engine.pick_entry(topic_id, question.text)
        if chosen is None:
            raise FaqRefused("Такой темы больше нет. Напишите вопрос ещё раз, пожалуйста.")
        return await self._article(person, engine, chosen.id, question.id,
                                   await self._context(person.org_id), messenger)

    async def helpful(self, person: Person, question_id: object) -> str:
        """«Спасибо, помогло»: noted on the asker's own question."""
        question = await self._own(person, question_id)
        await self._repo.set_helpful(question.id, True)
        return HELPED

    # --- hand-off ------------------------------------------------------------------------

    async def hand_off(self, person: Person, question_id: object) -> str:
        """Pass the asker's question to the school's deputies (with a «Ответить» button)."""
        question = await self._own(person, question_id)
        if question.status == "answered":
            return ANSWERED_ALREADY
        # A deputy's own question goes to the other deputies, never back to herself.
        deputies = [d for d in await self._deputies(person.org_id) if d.id != person.id]
        if not deputies and person.role is Role.DEPUTY:
            return ONLY_DEPUTY
        async with self._db.transaction() as conn:
            changed = await FaqRepo.hand_off_in(conn, question.id, self._clock.now())
            await AuditRepo.write_in(conn, actor_vk_id=person.vk_id, actor_person_id=person.id,
                                     org_id=person.org_id, action="faq_hand_off",
                                     outcome="ok", target=str(question.id),
                                     details={} if changed else {"repeat": True})
        if not changed:
            return ALREADY_HANDED
        role = person.role.label
        text = (f"Вопрос от {name_in(person.full_name, 'gent')} ({role}):\n«{question.text}»\n\n"
                "Бот не нашёл ответа. Нажмите «Ответить» — ответ уйдёт сотруднику от имени бота.")
        keyboard = Keyboard.column([Button(label="Ответить", color=Color.PRIMARY, callback=True,
                                           payload={"cmd": "faq_reply", "q": question.id})])
        delivered = 0
        for deputy in deputies:
            # Each deputy on their own messenger (the school's preferred one among theirs).
            to = self._address(deputy)
            if to is None:
                continue
            messenger, external_id = to
            # VK's key stays as it was (its random_id); a MAX account gets its own.
            key = str(external_id) if messenger is Chat.VK else f"max{external_id}"
            delivery = await self._outbound.reply(OutMessage(
                peer_id=external_id, messenger=messenger, text=text, keyboard=keyboard, org_id=person.org_id,
                kind="faq_question", person_id=deputy.id, idem_key=f"faq:q{question.id}:to{key}"))
            delivered += delivery.ok
        return HANDED_OFF if delivered else NO_DEPUTY

    async def follow_up(self, person: Person, question_id: object, options: list[str], text: str, *,
                        messenger: Messenger) -> FaqReply | None:
        """A typed answer to the bot's last offer for this question: «да»/«передай» hands it off,
        a number picks one of the candidate `options` (entry ids), «нет» declines; None when the
        text is not such an answer (then it is a new question)."""
        words = answers.clean(text)
        if not words or answers.question_like(text):
            return None
        first = words.split()[0]
        if first in _HAND_OFF_WORDS or (not options and _short_answer(text) == "yes"):
            return FaqReply(kind="handed_off", question_id=await self._own_id(person, question_id),
                            messages=[Reply(text=await self.hand_off(person, question_id))])
        said = _short_answer(text)
        if options:
            number = answers.number_in(text)
            if number is not None and len(words.split()) <= 3:
                if 1 <= number <= len(options):
                    return await self.pick(person, question_id, entry_id=options[number - 1], messenger=messenger)
                return FaqReply(kind="follow_up", question_id=await self._own_id(person, question_id),
                                offer=options, messages=[Reply(text=WHICH_NUMBER.format(n=len(options)))])
            if said == "yes":
                return FaqReply(kind="follow_up", question_id=await self._own_id(person, question_id),
                                offer=options, messages=[Reply(text=WHICH_NUMBER.format(n=len(options)))])
            if said == "no":
                own = await self._own_id(person, question_id)
                return FaqReply(kind="follow_up", question_id=own, offer=[], messages=[
                    Reply(text=NONE_FITS, keyboard=Keyboard.column([_handoff_button(own)]))])
        if said in ("no", "cancel"):
            return FaqReply(kind="follow_up", messages=[Reply(text=NOT_HANDED, menu=True)])
        return None

    async def _own_id(self, person: Person, question_id: object) -> int:
        return (await self._own(person, question_id)).id

    async def _deputy_for(self, vk_id: int | Identity, question_id: object, action: str, *,
                          in_chat: bool = False) -> tuple[Person, FaqQuestion]:
        """The deputy of the question's school acting on it (checked and audited), and the question."""
        found = await self._repo.get(question_id) if isinstance(question_id, int) else None
        deputy = await self._access.require(vk_id, action, [Role.DEPUTY], in_chat=in_chat,
                                            org_id=found.org_id if found else None,
                                            target=str(question_id)[:40])
        if found is None or found.org_id is None:
            raise FaqRefused("Этого вопроса нет — возможно, кнопка устарела.")
        return deputy, found

    async def start_reply(self, vk_id: int | Identity, question_id: object, *, in_chat: bool = False) -> FaqQuestion:
        """«Ответить» pressed: the open question, if this deputy may answer it."""
        _, question = await self._deputy_for(vk_id, question_id, "faq_reply_start", in_chat=in_chat)
        if question.status != "open":
            raise FaqRefused(ANSWERED_ALREADY if question.status == "answered"
                             else "Этот вопрос не передавали заместителю.")
        return question

    async def answer_question(self, vk_id: int | Identity, question_id: object, text: str, *,
                              in_chat: bool = False) -> AnswerResult:
        """Deliver the deputy's reply to the asker through the bot and close the question."""
        deputy, question = await self._deputy_for(vk_id, question_id, "faq_answer", in_chat=in_chat)
        answer = text.strip()
        if not answer:
            raise FaqRefused("Ответ пустой. Напишите текст ответа сообщением.")
        async with self._db.transaction() as conn:
            closed = await FaqRepo.answer_in(conn, question.id, answer, deputy.id, self._clock.now())
            if not closed:
                # The access check logged «ok»; this says why nothing changed after all.
                await AuditRepo.write_in(conn, actor_vk_id=vk_of(vk_id), actor_person_id=deputy.id,
                                         org_id=question.org_id, action="faq_answer", outcome="error",
                                         target=str(question.id), details={"reason": "not open"})
        if not closed:
            raise FaqRefused(ANSWERED_ALREADY)
        asker = await self._people.get(question.person_id)
        to = self._address(asker) if asker is not None else None
        if to is None and question.asker_vk_id:
            to = (Chat.VK, question.asker_vk_id)
        delivered = False
        if to is not None:
            # The asker gets the answer on their own messenger (the school's preferred one among theirs).
            delivery = await self._outbound.reply(OutMessage(
                peer_id=to[1], messenger=to[0],
                text=f"Ответ на ваш вопрос «{_clip(question.text, 200)}»:\n\n{answer}",
                org_id=question.org_id, kind="faq_answer", person_id=question.person_id,
                idem_key=f"faq:a{question.id}"))
            delivered = delivery.ok
        answered = await self._repo.get(question.id)
        assert answered is not None
        if not delivered:
            why = ("в MAX не запускал(а) бота или остановил(а) его" if to is not None and to[0] is Chat.MAX
                   else "запретил(а) сообщения от сообщества или недоступен(на)")
            return AnswerResult(question=answered, delivered=False, text=(
                f"Ответ сохранён, но доставить его не удалось: {question.asker_name} {why}. "
                "Передайте ответ лично, пожалуйста."))
        keyboard = Keyboard.column([Button(label="Сделать ответ статьёй", callback=True,
                                           payload={"cmd": "faq_entry", "q": question.id})])
        return AnswerResult(question=answered, delivered=True, keyboard=keyboard, text=(
            f"Ответ отправлен: {question.asker_name}. Если так спрашивают часто, сделайте ответ статьёй "
            "базы знаний школы — бот будет отвечать сам."))

    async def open_questions(self, vk_id: int | Identity, *, in_chat: bool = False) -> tuple[list[FaqQuestion], int]:
        """The open questions of the deputy's school (at most MAX_LISTED) and how many there are."""
        deputy = await self._access.require(vk_id, "faq_questions", [Role.DEPUTY], in_chat=in_chat)
        assert deputy.org_id is not None
        found = await self._repo.open_questions(deputy.org_id, MAX_LISTED)
        return found, await self._repo.count_open(deputy.org_id)

    async def status_section(self, person: Person, now: dt.datetime) -> StatusSection | None:
        """For `my_status`: questions waiting for this deputy, or this person's questions in hand."""
        if person.org_id is None:
            return None
        if person.role is Role.DEPUTY:
            waiting = await self._repo.count_open(person.org_id)
            if not waiting:
                return None
            return StatusSection(title="Вопросы сотрудников", order=80,
                                 lines=[f"ждут ответа: {waiting}"],
                                 open_tasks=[f"Ответить на вопросы сотрудников ({waiting}) — "
                                             "кнопка «Вопросы сотрудников»"])
        mine = await self._repo.open_for(person.id)
        if not mine:
            return None
        return StatusSection(title="Ваши вопросы заместителю", order=80,
                             lines=[f"«{_clip(q.text, 60)}» — ждёт ответа" for q in mine[:3]])

    # --- knowledge-base entries from the chat ---------------------------------------------

    async def check_entry(self, vk_id: int | Identity, question_id: object, *, in_chat: bool = False) -> FaqQuestion:
        """The answered question this deputy may turn into an entry; Denied or FaqRefused otherwise."""
        _, question = await self._deputy_for(vk_id, question_id, "faq_entry_start", in_chat=in_chat)
        if question.status != "answered" or not question.answer:
            raise FaqRefused("Сначала ответьте на вопрос — статьёй станет ваш ответ.")
        return question

    async def start_entry(self, vk_id: int | Identity, question_id: object, page: object = 0, *,
                          in_chat: bool = False) -> TopicPage:
        """«Сделать ответ статьёй»: topics to file the answer under (closest to the question first)."""
        question = await self.check_entry(vk_id, question_id, in_chat=in_chat)
        engine = await self.engine(question.org_id)
        ranked = [t for t, _ in engine.scores(question.text)]
        order = [t for t in dict.fromkeys([*ranked, *engine.topics]) if t not in COMMAND_TOPICS]
        pages = max(1, -(-len(order) // TOPICS_PER_PAGE))
        number = page if isinstance(page, int) and 0 <= page < pages else 0
        shown = order[number * TOPICS_PER_PAGE:(number + 1) * TOPICS_PER_PAGE]
        buttons = [Button(label=_clip(engine.topics[t].title, 40), callback=True,
                          payload={"cmd": "faq_topic", "q": question.id, "t": t}) for t in shown]
        rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
        rows.append([
            Button(label="Ещё темы", callback=True,
                   payload={"cmd": "faq_entry", "q": question.id, "p": (number + 1) % pages}),
            Button(label="Новая тема", color=Color.PRIMARY, callback=True,
                   payload={"cmd": "faq_new", "q": question.id}),
            Button(label="Отмена", color=Color.NEGATIVE, callback=True, payload={"cmd": "faq_cancel"}),
        ])
        return TopicPage(text=(f"К какой теме отнести ответ на «{_clip(question.text, 120)}»? "
                               f"(страница {number + 1} из {pages})"),
                         keyboard=Keyboard(rows=rows, inline=True))

    async def add_entry(self, vk_id: int | Identity, question_id: int | None, topic_id: str, answer: str | None = None,
                        example: str | None = None, *, title: str | None = None,
                        in_chat: bool = False) -> str:
        """Store a school entry (the answer under an existing or a new topic) and rebuild the engine.

        With `question_id` the deputy's reply and the question's text are the defaults for
        `answer` and `example`. Validated as the school file is; returns the deputy's confirmation.
        """
        if question_id is not None:
            deputy, question = await self._deputy_for(vk_id, question_id, "faq_add_entry", in_chat=in_chat)
            answer = answer or question.answer
            example = example or question.text
            org_id = question.org_id
        else:
            deputy = await self._access.require(vk_id, "faq_add_entry", [Role.DEPUTY], in_chat=in_chat,
                                                target=topic_id[:40])
            org_id = deputy.org_id
        assert org_id is not None
        if not answer:
            raise FaqRefused("Статье нужен текст ответа: сначала ответьте на вопрос.")
        topic_id = topic_id.strip().lower()
        if not re.match(TOPIC_ID_PATTERN, topic_id):
            raise FaqRefused("Идентификатор темы — латинские строчные буквы, цифры и «_», от 2 до 32 знаков, "
                             "например wifi_school.")
        if topic_id in COMMAND_TOPICS:
            raise FaqRefused("Эта тема — команда «Мой статус», к ней статью не добавить. Выберите другую.")
        if len(answer) > MAX_ANSWER_CHARS:
            raise FaqRefused(f"Статья — не длиннее {MAX_ANSWER_CHARS} знаков, а в ответе {len(answer)}. "
                             "Ответ сотруднику ушёл; для статьи сократите его в файле базы знаний школы.")
        engine = await self.engine(org_id)
        existing = topic_id in engine.topics
        async with self._db.read() as conn:
            before = await FaqRepo.entry_in(conn, org_id, topic_id)
        examples = list(dict.fromkeys([*(before.examples if before else []), *([example] if example else [])]))
        if not existing:
            title = _clip(title or example or topic_id, MAX_TITLE_CHARS)
        entry = SchoolEntry(org_id=org_id, topic_id=topic_id, title=None if existing else title,
                            answer=answer, examples=examples, created_by=deputy.id,
                            question_id=question_id)
        try:
            parse_entries([_entry_dict(entry)], "школы")
            entries = [e for e in await self._repo.entries(org_id) if e.topic_id != topic_id] + [entry]
            rebuilt = await asyncio.to_thread(self._build, org_id, entries)
        except KnowledgeBaseError as exc:
            await self._access_audit(vk_id, deputy, org_id, topic_id, "error", str(exc))
            raise FaqRefused(f"Статью не сохранил: {exc}.") from None
        async with self._db.transaction() as conn:
            await FaqRepo.save_entry_in(conn, entry, self._clock.now())
            if question_id is not None:
                await FaqRepo.set_entry_topic_in(conn, question_id, topic_id)
            await AuditRepo.write_in(conn, actor_vk_id=vk_of(vk_id), actor_person_id=deputy.id, org_id=org_id,
                                     action="faq_entry_saved", outcome="ok", target=topic_id,
                                     details={"question": question_id, "new_topic": not existing})
        self._engines.built[org_id] = rebuilt
        title_now = rebuilt.topics[topic_id].title
        if existing:
            return (f"Готово: ответ стал статьёй школы в теме «{title_now}». Теперь на такие вопросы "
                    "бот отвечает вашим текстом (в других школах ответ прежний).")
        return (f"Готово: новая тема «{title_now}» ({topic_id}) в базе знаний школы. "
                "Бот будет отвечать на такие вопросы вашим текстом.")

    async def _access_audit(self, vk_id: int | Identity, deputy: Person, org_id: str, target: str, outcome: str,
                            reason: str) -> None:
        async with self._db.transaction() as conn:
            await AuditRepo.write_in(conn, actor_vk_id=vk_of(vk_id), actor_person_id=deputy.id, org_id=org_id,
                                     action="faq_add_entry", outcome=outcome, target=target,
                                     details={"reason": reason[:300]})


def _entry_dict(entry: SchoolEntry) -> dict[str, object]:
    """The entry as a knowledge-base ``[[topic]]`` table (validated by the same rules as the file)."""
    raw: dict[str, object] = {"id": entry.topic_id, "answer": entry.answer}
    if entry.title:
        raw["title"] = entry.title
    if entry.examples:
        raw["examples"] = list(entry.examples)
    return raw
