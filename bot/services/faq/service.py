"""The FAQ in the chat: answers from the school's knowledge base, hand-off to the deputy,
and the deputy's replies (entries made from those replies: `bot.services.faq.entries`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from bot.config import Settings
from bot.domain import answers
from bot.domain.models import CONFIG_NAMES, Person, Role
from bot.domain.russian import name_in
from bot.domain.ui import Button, Color, Keyboard
from bot.faq import FaqEngine, render
from bot.faq.reply import Messenger, clarifying_question
from bot.messaging.events import Identity
from bot.messaging.events import Messenger as Chat
from bot.ports import Clock, Outbound, OutMessage, PeopleStore, SystemClock
from bot.services.access import AccessService, actor_of
from bot.services.addressing import school_address
from bot.services.faq.engines import Engines
from bot.services.faq.entries import FaqEntries, acting_deputy
from bot.services.faq.models import AnswerResult, FaqRefused, FaqReply, Reply, TopicPage
from bot.services.faq.texts import (
    ALREADY_HANDED,
    ANSWERED_ALREADY,
    ASKED_KEEP,
    EMPTY_TEXT,
    GONE,
    HAND_OFF_WORDS,
    HANDED_OFF,
    HANDOFF_OFFER,
    HELPED,
    MAX_LISTED,
    MAX_QUESTION_CHARS,
    MAX_RELATED,
    NO_DEPUTY,
    NONE_FITS,
    NOT_HANDED,
    NOT_YOURS,
    ONLY_DEPUTY,
    UNKNOWN_TEXT,
    WHICH_NUMBER,
    clip,
    handoff_button,
    short_answer,
)
from bot.services.my_status import StatusSection
from bot.stores.faq import FaqQuestion, FaqStore, FaqStores

StatusRenderer = Callable[[Person], Awaitable[str]]


class FaqService:
    """Answers staff questions in the chat and carries the ones it cannot answer to a person."""

    def __init__(self, stores: FaqStores, settings: Settings, outbound: Outbound, people: PeopleStore,
                 access: AccessService, *, my_status: StatusRenderer | None = None,
                 clock: Clock | None = None) -> None:
        self._stores = stores
        self._repo = stores.questions
        self._settings = settings
        self._outbound = outbound
        self._people = people
        self._access = access
        self._my_status = my_status
        self._clock = clock or SystemClock()
        # Reads every school's file now: a broken one fails the start, not the first question.
        self._engines = Engines(settings, self._repo.entries)
        self._entries = FaqEntries(stores, self._engines, access, self._clock)

    @property
    def repo(self) -> FaqStore:
        """The questions and entries store (read-only use by handlers and tests)."""
        return self._repo

    async def engine(self, org_id: str | None) -> FaqEngine:
        """The school's engine (bundled + school file + its entries), built on first use."""
        return await self._engines.get(org_id)

    async def warm(self) -> None:
        """Build the bundled engine now (its classifier is trained once and shared by the schools' engines),
        so that the first question after a start is not the one that waits for the training."""
        await self._engines.get(None)

    async def _context(self, org_id: str | None) -> dict[str, str | None]:
        """Placeholder values: who is responsible at the school, and its name."""
        school = self._engines.school(org_id)
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
        school = self._engines.school(person.org_id)
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
                                            keyboard=Keyboard.column([handoff_button(question_id)]))])
        assert found.topic is not None
        if found.kind == "choice":
            options = [e for e in found.options if e in engine.entry_by_id][:3]
            titles = [engine.entry_by_id[e].title for e in options]
            buttons = [Button(label=clip(title, 40), color=Color.PRIMARY, callback=True,
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
        rows = [[Button(label=clip(e.title, 40), callback=True,
                        payload={"cmd": "faq_pick", "q": question_id, "t": e.topic, "e": e.id})] for e in related]
        rows.append([Button(label="Спасибо, помогло", color=Color.POSITIVE, callback=True,
                            payload={"cmd": "faq_ok", "q": question_id})])
        rows.append([handoff_button(question_id)])
        text = render(entry.text(messenger), context)
        return FaqReply(kind="answer", topic=topic_id, entry=entry_id, question_id=question_id,
                        messages=[Reply(text=text, keyboard=Keyboard(rows=rows, inline=True))])

    async def _remember(self, person: Person, text: str, topic: str | None) -> int:
        now = self._clock.now()
        return await self._repo.remember(org_id=person.org_id, person_id=person.id, asker_vk_id=person.vk_id or 0,
                                         text=text, topic=topic, now=now, forget_before=now - ASKED_KEEP)

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
        async with self._stores.transactions.transaction() as tx:
            changed = await self._repo.hand_off_in(tx, question.id, self._clock.now())
            await self._stores.audit.write_in(tx, actor_vk_id=person.vk_id, actor_person_id=person.id,
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
        if first in HAND_OFF_WORDS or (not options and short_answer(text) == "yes"):
            return FaqReply(kind="handed_off", question_id=await self._own_id(person, question_id),
                            messages=[Reply(text=await self.hand_off(person, question_id))])
        said = short_answer(text)
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
                    Reply(text=NONE_FITS, keyboard=Keyboard.column([handoff_button(own)]))])
        if said in ("no", "cancel"):
            return FaqReply(kind="follow_up", messages=[Reply(text=NOT_HANDED, menu=True)])
        return None

    async def _own_id(self, person: Person, question_id: object) -> int:
        return (await self._own(person, question_id)).id

    async def _deputy_for(self, vk_id: int | Identity, question_id: object, action: str, *,
                          in_chat: bool = False) -> tuple[Person, FaqQuestion]:
        return await acting_deputy(self._access, self._repo, vk_id, question_id, action, in_chat=in_chat)

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
        async with self._stores.transactions.transaction() as tx:
            closed = await self._repo.answer_in(tx, question.id, answer, deputy.id, self._clock.now())
            if not closed:
                # The access check logged «ok»; this says why nothing changed after all.
                await self._stores.audit.write_in(tx, actor=actor_of(vk_id), actor_person_id=deputy.id,
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
                text=f"Ответ на ваш вопрос «{clip(question.text, 200)}»:\n\n{answer}",
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
                             lines=[f"«{clip(q.text, 60)}» — ждёт ответа" for q in mine[:3]])

    # --- knowledge-base entries from the chat (bot.services.faq.entries) -------------------

    async def check_entry(self, vk_id: int | Identity, question_id: object, *, in_chat: bool = False) -> FaqQuestion:
        """The answered question this deputy may turn into an entry; Denied or FaqRefused otherwise."""
        return await self._entries.check_entry(vk_id, question_id, in_chat=in_chat)

    async def start_entry(self, vk_id: int | Identity, question_id: object, page: object = 0, *,
                          in_chat: bool = False) -> TopicPage:
        """«Сделать ответ статьёй»: topics to file the answer under (closest to the question first)."""
        return await self._entries.start_entry(vk_id, question_id, page, in_chat=in_chat)

    async def add_entry(self, vk_id: int | Identity, question_id: int | None, topic_id: str, answer: str | None = None,
                        example: str | None = None, *, title: str | None = None,
                        in_chat: bool = False) -> str:
        """Store a school entry under an existing or a new topic and rebuild the engine (FaqEntries.add_entry)."""
        return await self._entries.add_entry(vk_id, question_id, topic_id, answer, example, title=title,
                                             in_chat=in_chat)
