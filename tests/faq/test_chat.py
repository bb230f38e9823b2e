"""End to end through the emulator: questions in the chat, hand-off to the deputy, entries from replies."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import App
from bot.config import Settings, parse_settings
from bot.domain.models import Role
from bot.messaging.events import Identity, Messenger
from bot.messaging.state import StateKey, StateValue
from handlers import faq as faq_handlers
from storage.conversation_state import ConversationStateRepo
from tests.e2e.harness import DEPUTY, DIRECTOR, Chat, button, buttons
from vk_emulator import Emulator
from vk_emulator.client import EmulatorControl

TEACHER, OTHER_TEACHER = 2001, 2002
SCHOOL2_DEPUTY, SCHOOL2_TEACHER = 3002, 3001
UNKNOWN_QUESTION = "проектор не включается"
DEPUTY_ANSWER = "Проектор чинит Петров Сергей Иванович, кабинет 21. Напишите ему в Сферуме."


@pytest.fixture
def e2e_settings(tmp_path: Path, emulator: Emulator) -> Settings:
    """The e2e school plus a second school with its own deputy."""
    return parse_settings(
        {
            "vk": {"token": "t", "group_id": 1, "api_url": emulator.api_url, "wait": 5},
            "schools": [
                {"id": "school1", "name": "МБОУ СОШ № 1", "director_vk_id": DIRECTOR,
                 "deputy_vk_ids": [DEPUTY]},
                {"id": "school2", "name": "МБОУ СОШ № 2", "deputy_vk_ids": [SCHOOL2_DEPUTY]},
            ],
        },
        tmp_path,
    )


@pytest.fixture
async def school2(bot_app: App, control: EmulatorControl) -> None:
    """A teacher of the second school, and its deputy's VK page."""
    await control.add_user(SCHOOL2_TEACHER, "Елена", "Кузнецова", allows_messages=True)
    await control.add_user(SCHOOL2_DEPUTY, "Олег", "Тихонов", allows_messages=True)
    await bot_app.deps.people.add("school2", "Кузнецова Елена Андреевна", Role.TEACHER, vk_id=SCHOOL2_TEACHER)


def _store(app: App) -> ConversationStateRepo:
    return ConversationStateRepo(app.db, app.deps.clock.now)


def _key(app: App, vk_id: int) -> StateKey:
    return faq_handlers.step_key(app.deps.group_id, Identity(messenger=Messenger.VK, external_id=vk_id))


async def _faq_step(app: App, vk_id: int) -> StateValue | None:
    """The person's FAQ step in the dialog-state store."""
    return await _store(app).get(_key(app, vk_id))


async def _hand_off(chat: Chat, asker: int = TEACHER) -> tuple[list[dict], list[dict]]:
    """Ask the unknown question, press «Передать»: (asker's replies, the deputy's notification)."""
    replies = await chat.say(asker, UNKNOWN_QUESTION, count=2)
    after = await chat.last_seq(DEPUTY)
    confirmed = await chat.press(asker, replies[-1], button(replies[-1], "Передать")["payload"])
    notified = await chat.wait(DEPUTY, after=after)
    return confirmed, notified


async def test_misspelt_question_gets_the_entry_and_its_neighbours(chat: Chat, bot_app: App) -> None:
    """«смс с кодом не прихадит» gets the VK steps of `login_code.no_sms`, the topic's other
    entries as buttons (within VK's keyboard limits), «помогло» and the hand-off; a press on
    a neighbour gives that entry."""
    replies = await chat.say(TEACHER, "смс с кодом не прихадит")
    engine = await bot_app.deps.faq.engine("school1")
    text = replies[-1]["text"]
    assert text.startswith(engine.entry_by_id["login_code.no_sms"].text("vk")[:40])
    assert "web.max.ru" not in text
    keyboard = replies[-1]["keyboard"]
    rows = keyboard["buttons"]
    labels = [b["label"] for b in buttons(replies[-1])]
    assert labels[-2:] == ["Спасибо, помогло", "Передать вопрос заместителю"]
    assert "Звонок вместо СМС" in labels
    assert len(rows) <= 6 and len(labels) <= 10 and all(len(r) <= 5 for r in rows)
    assert all(len(label) <= 40 for label in labels)
    call = button(replies[-1], "Звонок вместо СМС")
    entry = await chat.press(TEACHER, replies[-1], call["payload"])
    assert entry[-1]["text"].startswith("Это «звонок-сброс»")


async def test_close_topics_offer_candidates_and_a_press_gives_that_article(chat: Chat, bot_app: App) -> None:
    """Two close topics come as one clarifying question with an entry of each; a press gives
    that entry's VK steps."""
    replies = await chat.say(TEACHER, "профиль")
    assert replies[-1]["text"].startswith("Уточните")
    options = [b for b in buttons(replies[-1]) if b["payload"]["cmd"] == "faq_pick"]
    assert len(options) >= 2
    chosen = options[1]
    article = await chat.press(TEACHER, replies[-1], chosen["payload"])
    engine = await bot_app.deps.faq.engine("school1")
    expected = engine.entry_by_id[chosen["payload"]["e"]].text("vk").split("\n")[0]
    assert article[-1]["text"].startswith(expected[:30])


async def test_greeting_and_thanks_get_a_short_reply_and_the_menu(chat: Chat) -> None:
    """Small talk is answered in a line with the main menu, not with an article."""
    for text in ("как дела", "спасибо большое"):
        replies = await chat.say(TEACHER, text)
        assert len(replies[-1]["text"]) < 120
        assert any(b["payload"] == {"cmd": "my_status"} for b in buttons(replies[-1]))


async def test_my_status_words_route_to_my_status(chat: Chat) -> None:
    """«что мне ещё нужно сделать» is answered by the my_status command, not an article."""
    replies = await chat.say(TEACHER, "что мне ещё нужно сделать")
    assert "ваш статус" in replies[-1]["text"]


async def test_faq_button_invites_a_question(chat: Chat) -> None:
    """The menu's «Вопрос по Сферуму» asks for the question in one's own words."""
    replies = await chat.say(TEACHER, payload={"cmd": "faq"})
    assert "своими словами" in replies[-1]["text"]


async def test_unknown_question_hand_off_reply_and_entry(chat: Chat, bot_app: App, school2: None) -> None:
    """Unknown → hand-off → the deputy replies → an entry under «contact»; only school1 answers with it."""
    replies = await chat.say(TEACHER, UNKNOWN_QUESTION, count=2)
    assert "не знаю" in replies[0]["text"]
    assert any(b["payload"] == {"cmd": "my_status"} for b in buttons(replies[0]))
    confirmed, notified = await _hand_off(chat)
    assert "Передал вопрос заместителю" in confirmed[-1]["text"]
    assert notified[-1]["text"].startswith("Вопрос от Ивановой Анны Петровны")
    assert UNKNOWN_QUESTION in notified[-1]["text"]

    prompt = await chat.press(DEPUTY, notified[-1], button(notified[-1], "Ответить")["payload"])
    assert "Напишите ответ для Иванова Анна Петровна" in prompt[-1]["text"]
    after = await chat.last_seq(TEACHER)
    done = await chat.say(DEPUTY, DEPUTY_ANSWER)
    delivered = await chat.wait(TEACHER, after=after)
    assert DEPUTY_ANSWER in delivered[-1]["text"] and UNKNOWN_QUESTION in delivered[-1]["text"]
    assert "Ответ отправлен" in done[-1]["text"]

    topics = await chat.press(DEPUTY, done[-1], button(done[-1], "статьёй")["payload"])
    pages = [topics[-1]]
    while not any(b["payload"].get("t") == "contact" for b in buttons(pages[-1])):
        pages += await chat.press(DEPUTY, pages[-1], button(pages[-1], "Ещё темы")["payload"])
        assert len(pages) < 6
    contact = next(b for b in buttons(pages[-1]) if b["payload"].get("t") == "contact")
    saved = await chat.press(DEPUTY, pages[-1], contact["payload"])
    assert saved[-1]["text"].startswith("Готово")

    again = await chat.say(OTHER_TEACHER, UNKNOWN_QUESTION)
    assert again[-1]["text"] == DEPUTY_ANSWER
    school_contact = await chat.say(OTHER_TEACHER, "с кем в школе решать вопросы по сферуму")
    assert school_contact[-1]["text"] == DEPUTY_ANSWER
    elsewhere = await chat.say(SCHOOL2_TEACHER, UNKNOWN_QUESTION, count=2)
    assert "не знаю" in elsewhere[0]["text"]
    bundled = await chat.say(SCHOOL2_TEACHER, "с кем в школе решать вопросы по сферуму")
    assert DEPUTY_ANSWER not in bundled[-1]["text"] and "ответствен" in bundled[-1]["text"].lower()


async def test_deputy_lists_open_questions(chat: Chat) -> None:
    """«Вопросы сотрудников» lists the open question with its asker and a reply button."""
    await _hand_off(chat)
    listed = await chat.say(DEPUTY, payload={"cmd": "questions"})
    assert "Иванова Анна Петровна" in listed[-1]["text"] and UNKNOWN_QUESTION in listed[-1]["text"]
    assert button(listed[-1], "Ответить")["payload"]["cmd"] == "faq_reply"


async def test_forged_reply_by_a_teacher_is_refused_and_audited(chat: Chat, bot_app: App) -> None:
    """A teacher pressing a forged «Ответить» is refused politely; the question stays open."""
    _, notified = await _hand_off(chat)
    payload = button(notified[-1], "Ответить")["payload"]
    mine = await chat.say(OTHER_TEACHER, "как дела")
    refused = await chat.press(OTHER_TEACHER, mine[-1], payload)
    assert "заместители директора" in refused[-1]["text"]
    question = await bot_app.deps.faq.repo.get(payload["q"])
    assert question.status == "open"
    audit = await bot_app.deps.audit.recent(action="faq_reply_start")
    assert (audit[0].outcome, audit[0].actor_vk_id) == ("denied", OTHER_TEACHER)
    assert await _faq_step(bot_app, OTHER_TEACHER) is None


async def test_deputy_of_another_school_cannot_answer(chat: Chat, bot_app: App, school2: None) -> None:
    """The second school's deputy pressing school1's «Ответить» is refused: another school."""
    _, notified = await _hand_off(chat)
    payload = button(notified[-1], "Ответить")["payload"]
    mine = await chat.say(SCHOOL2_DEPUTY, "привет")
    refused = await chat.press(SCHOOL2_DEPUTY, mine[-1], payload)
    assert "другой школе" in refused[-1]["text"]
    assert (await bot_app.deps.faq.repo.get(payload["q"])).status == "open"


async def test_open_questions_in_a_group_chat_are_refused(chat: Chat, control: EmulatorControl,
                                                          bot_app: App) -> None:
    """«вопросы сотрудников» typed in a group chat is refused there and audited."""
    await control.add_chat(1, "Учителя", [DEPUTY, TEACHER], bot_reads_all=True)
    replies = await chat.say(DEPUTY, "вопросы сотрудников", peer_id=2_000_000_001)
    assert "только в личных сообщениях" in replies[-1]["text"]
    audit = await bot_app.deps.audit.recent(action="faq_questions")
    assert audit[0].outcome == "denied"


async def test_someone_elses_hand_off_button_changes_nothing(chat: Chat, bot_app: App) -> None:
    """Another teacher pressing a colleague's «Передать» is told so; nothing goes to the deputy."""
    replies = await chat.say(TEACHER, UNKNOWN_QUESTION, count=2)
    payload = button(replies[-1], "Передать")["payload"]
    mine = await chat.say(OTHER_TEACHER, "как дела")
    refused = await chat.press(OTHER_TEACHER, mine[-1], payload)
    assert "чужому вопросу" in refused[-1]["text"]
    assert (await bot_app.deps.faq.repo.get(payload["q"])).status == "asked"


async def _replied(chat: Chat) -> list[dict]:
    """Hand off, reply as the deputy; returns the deputy's «Ответ отправлен» message."""
    _, notified = await _hand_off(chat)
    await chat.press(DEPUTY, notified[-1], button(notified[-1], "Ответить")["payload"])
    return await chat.say(DEPUTY, DEPUTY_ANSWER)


async def test_new_topic_typed_by_the_deputy(chat: Chat, bot_app: App) -> None:
    """«Новая тема» → «projector Проектор в кабинете» → the question is answered under the new topic."""
    done = await _replied(chat)
    topics = await chat.press(DEPUTY, done[-1], button(done[-1], "статьёй")["payload"])
    prompt = await chat.press(DEPUTY, topics[-1], button(topics[-1], "Новая тема")["payload"])
    assert "идентификатор" in prompt[-1]["text"]
    wrong = await chat.say(DEPUTY, "Проектор")
    assert "латинские" in wrong[-1]["text"]
    saved = await chat.say(DEPUTY, "projector Проектор в кабинете")
    assert "«Проектор в кабинете» (projector)" in saved[-1]["text"]
    again = await chat.say(OTHER_TEACHER, "не включается проектор")
    assert again[-1]["text"] == DEPUTY_ANSWER
    assert await _faq_step(bot_app, DEPUTY) is None


async def test_cancel_drops_the_reply_step(chat: Chat, bot_app: App) -> None:
    """«Отмена» after «Ответить»: the deputy's next text is a question again, nothing reaches the asker."""
    _, notified = await _hand_off(chat)
    prompt = await chat.press(DEPUTY, notified[-1], button(notified[-1], "Ответить")["payload"])
    await chat.press(DEPUTY, prompt[-1], button(prompt[-1], "Отмена")["payload"], count=0)
    after = await chat.last_seq(TEACHER)
    replies = await chat.say(DEPUTY, "смс не приходит")
    assert "Ответ отправлен" not in replies[-1]["text"]
    assert await chat.last_seq(TEACHER) == after
    question = await bot_app.deps.faq.repo.get(button(notified[-1], "Ответить")["payload"]["q"])
    assert question.status == "open"


async def test_reply_step_survives_a_restart(chat: Chat, bot_app: App, e2e_settings: Settings,
                                             emulator: Emulator, control: EmulatorControl) -> None:
    """The bot is stopped after «Ответить»; after the restart the typed reply still reaches the asker."""
    import asyncio

    from tests.e2e.conftest import start_app

    _, notified = await _hand_off(chat)
    await chat.press(DEPUTY, notified[-1], button(notified[-1], "Ответить")["payload"])
    await bot_app.close(drain=False)
    app, task = await start_app(e2e_settings, emulator)
    try:
        await control.wait_listening()
        after = await chat.last_seq(TEACHER)
        done = await chat.say(DEPUTY, DEPUTY_ANSWER)
        assert "Ответ отправлен" in done[-1]["text"]
        delivered = await chat.wait(TEACHER, after=after)
        assert DEPUTY_ANSWER in delivered[-1]["text"]
    finally:
        await app.close()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_stale_reply_step_is_forgotten(chat: Chat, bot_app: App) -> None:
    """A reply step left hours ago does not swallow the deputy's next text: it is a question again."""
    import datetime as dt

    _, notified = await _hand_off(chat)
    question_id = button(notified[-1], "Ответить")["payload"]["q"]
    # Stored three hours ago with the step's two-hour expiry: it has lapsed by now.
    await _store(bot_app).set(_key(bot_app, DEPUTY), "reply", {"q": question_id}, ttl=dt.timedelta(hours=-1))
    replies = await chat.say(DEPUTY, "смс не приходит")
    assert "Ответ отправлен" not in replies[-1]["text"]
    assert (await bot_app.deps.faq.repo.get(question_id)).status == "open"
    assert await _faq_step(bot_app, DEPUTY) is None


async def test_typed_yes_hands_the_question_off(chat: Chat) -> None:
    """After «не знаю», a typed «да» passes the question on, like the button does."""
    await chat.say(TEACHER, UNKNOWN_QUESTION, count=2)
    after = await chat.last_seq(DEPUTY)
    confirmed = await chat.say(TEACHER, "да")
    assert "Передал вопрос заместителю" in confirmed[-1]["text"]
    notified = await chat.wait(DEPUTY, after=after)
    assert UNKNOWN_QUESTION in notified[-1]["text"]


async def test_typed_number_picks_a_candidate_and_no_declines(chat: Chat, bot_app: App) -> None:
    """Under candidate buttons, «2» gives the second candidate's entry; after «не знаю», «нет» hands nothing off."""
    replies = await chat.say(TEACHER, "профиль")
    options = [b for b in buttons(replies[-1]) if b["payload"]["cmd"] == "faq_pick"]
    assert len(options) >= 2
    article = await chat.say(TEACHER, "2")
    engine = await bot_app.deps.faq.engine("school1")
    expected = engine.entry_by_id[options[1]["payload"]["e"]].text("vk").split("\n")[0]
    assert article[-1]["text"].startswith(expected[:30])
    await chat.say(TEACHER, UNKNOWN_QUESTION, count=2)
    after = await chat.last_seq(DEPUTY)
    declined = await chat.say(TEACHER, "нет")
    assert "не передаю" in declined[-1]["text"]
    assert await chat.last_seq(DEPUTY) == after


async def test_deputys_own_question_is_not_forwarded_to_her(chat: Chat) -> None:
    """The only deputy pressing «Передать» on her own question is told so; no «Вопрос от» reaches her."""
    replies = await chat.say(DEPUTY, UNKNOWN_QUESTION, count=2)
    after = await chat.last_seq(DEPUTY)
    told = await chat.press(DEPUTY, replies[-1], button(replies[-1], "Передать")["payload"])
    assert "единственный заместитель" in told[-1]["text"]
    seen = await chat.wait(DEPUTY, after=after)
    assert not any(m["text"].startswith("Вопрос от") for m in seen)
