"""Knowledge-base entries from the chat: the deputy files an answer under a topic of the school's base."""

from __future__ import annotations

import re

from bot.domain.models import Person, Role
from bot.domain.ui import Button, Color, Keyboard
from bot.faq import KnowledgeBaseError
from bot.faq.kbfile import MAX_ANSWER_CHARS, MAX_TITLE_CHARS, TOPIC_ID_PATTERN, parse_entries
from bot.messaging.events import Identity
from bot.ports import Clock
from bot.services.access import AccessService, actor_of
from bot.services.faq.engines import Engines, entry_dict
from bot.services.faq.models import FaqRefused, TopicPage
from bot.services.faq.texts import COMMAND_TOPICS, TOPICS_PER_PAGE, clip
from bot.stores.faq import FaqQuestion, FaqStore, FaqStores, SchoolEntry


async def acting_deputy(access: AccessService, questions: FaqStore, vk_id: int | Identity, question_id: object,
                        action: str, *, in_chat: bool = False) -> tuple[Person, FaqQuestion]:
    """The deputy of the question's school acting on it (checked and audited), and the question."""
    found = await questions.get(question_id) if isinstance(question_id, int) else None
    deputy = await access.require(vk_id, action, [Role.DEPUTY], in_chat=in_chat,
                                  org_id=found.org_id if found else None, target=str(question_id)[:40])
    if found is None or found.org_id is None:
        raise FaqRefused("Этого вопроса нет — возможно, кнопка устарела.")
    return deputy, found


class FaqEntries:
    """Turns the deputy's answers into entries of the school's knowledge base."""

    def __init__(self, stores: FaqStores, engines: Engines, access: AccessService, clock: Clock) -> None:
        self._stores = stores
        self._questions = stores.questions
        self._engines = engines
        self._access = access
        self._clock = clock

    async def check_entry(self, vk_id: int | Identity, question_id: object, *, in_chat: bool = False) -> FaqQuestion:
        """The answered question this deputy may turn into an entry; Denied or FaqRefused otherwise."""
        _, question = await acting_deputy(self._access, self._questions, vk_id, question_id, "faq_entry_start",
                                          in_chat=in_chat)
        if question.status != "answered" or not question.answer:
            raise FaqRefused("Сначала ответьте на вопрос — статьёй станет ваш ответ.")
        return question

    async def start_entry(self, vk_id: int | Identity, question_id: object, page: object = 0, *,
                          in_chat: bool = False) -> TopicPage:
        """«Сделать ответ статьёй»: topics to file the answer under (closest to the question first)."""
        question = await self.check_entry(vk_id, question_id, in_chat=in_chat)
        engine = await self._engines.get(question.org_id)
        ranked = [t for t, _ in engine.scores(question.text)]
        order = [t for t in dict.fromkeys([*ranked, *engine.topics]) if t not in COMMAND_TOPICS]
        pages = max(1, -(-len(order) // TOPICS_PER_PAGE))
        number = page if isinstance(page, int) and 0 <= page < pages else 0
        shown = order[number * TOPICS_PER_PAGE:(number + 1) * TOPICS_PER_PAGE]
        buttons = [Button(label=clip(engine.topics[t].title, 40), callback=True,
                          payload={"cmd": "faq_topic", "q": question.id, "t": t}) for t in shown]
        rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
        rows.append([
            Button(label="Ещё темы", callback=True,
                   payload={"cmd": "faq_entry", "q": question.id, "p": (number + 1) % pages}),
            Button(label="Новая тема", color=Color.PRIMARY, callback=True,
                   payload={"cmd": "faq_new", "q": question.id}),
            Button(label="Отмена", color=Color.NEGATIVE, callback=True, payload={"cmd": "faq_cancel"}),
        ])
        return TopicPage(text=(f"К какой теме отнести ответ на «{clip(question.text, 120)}»? "
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
            deputy, question = await acting_deputy(self._access, self._questions, vk_id, question_id,
                                                   "faq_add_entry", in_chat=in_chat)
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
        engine = await self._engines.get(org_id)
        existing = topic_id in engine.topics
        before = await self._questions.entry(org_id, topic_id)
        examples = list(dict.fromkeys([*(before.examples if before else []), *([example] if example else [])]))
        if not existing:
            title = clip(title or example or topic_id, MAX_TITLE_CHARS)
        entry = SchoolEntry(org_id=org_id, topic_id=topic_id, title=None if existing else title,
                            answer=answer, examples=examples, created_by=deputy.id,
                            question_id=question_id)
        try:
            parse_entries([entry_dict(entry)], "школы")
            entries = [e for e in await self._questions.entries(org_id) if e.topic_id != topic_id] + [entry]
            rebuilt = await self._engines.build(org_id, entries)
        except KnowledgeBaseError as exc:
            await self._stores.audit.write(actor=actor_of(vk_id), actor_person_id=deputy.id, org_id=org_id,
                                           action="faq_add_entry", outcome="error", target=topic_id,
                                           details={"reason": str(exc)[:300]})
            raise FaqRefused(f"Статью не сохранил: {exc}.") from None
        async with self._stores.transactions.transaction() as tx:
            await self._questions.save_entry_in(tx, entry, self._clock.now())
            if question_id is not None:
                await self._questions.set_entry_topic_in(tx, question_id, topic_id)
            await self._stores.audit.write_in(tx, actor=actor_of(vk_id), actor_person_id=deputy.id, org_id=org_id,
                                              action="faq_entry_saved", outcome="ok", target=topic_id,
                                              details={"question": question_id, "new_topic": not existing})
        self._engines.replace(org_id, rebuilt)
        title_now = rebuilt.topics[topic_id].title
        if existing:
            return (f"Готово: ответ стал статьёй школы в теме «{title_now}». Теперь на такие вопросы "
                    "бот отвечает вашим текстом (в других школах ответ прежний).")
        return (f"Готово: новая тема «{title_now}» ({topic_id}) в базе знаний школы. "
                "Бот будет отвечать на такие вопросы вашим текстом.")
