"""The FAQ in the chat: free-text questions, candidate and hand-off buttons, the deputy's replies
and knowledge-base entries made from them. Must be the LAST feature labeler: its free-text
handler takes any private text nobody else took."""

from __future__ import annotations

import datetime as dt
from typing import Any

from vkbottle import GroupEventType
from vkbottle.bot import BotLabeler, Message, MessageEvent
from vkbottle.dispatch.rules import ABCRule

from bot.deps import Deps
from bot.domain.menus import main_menu
from bot.domain.models import Person
from bot.domain.ui import Button, Color, Keyboard
from bot.services.access import Denied
from bot.services.faq import (
    ALREADY_HANDED,
    ANSWERED_ALREADY,
    HANDED_OFF,
    NO_DEPUTY,
    FaqRefused,
    FaqReply,
    FaqService,
)
from handlers.common import (
    Cmd,
    EventCmd,
    Known,
    event_in_chat,
    feature,
    is_private,
    payload_of,
    say,
    say_menu,
    snackbar,
)

labeler = BotLabeler()

ASK_PROMPT = "Напишите вопрос о Сферуме своими словами — как написали бы коллеге. Я отвечу или передам его заместителю."
NO_QUESTIONS = "Открытых вопросов нет — на всё ответили."
CANCELLED = "Хорошо, отменил."
#: A reply or topic dialog left this long ago is forgotten: the next text is a question again.
DIALOG_TTL = dt.timedelta(hours=2)
STRANGER = "Я вас пока не знаю. Напишите мне «Начать», чтобы представиться."


def _key(vk_id: int) -> str:
    return f"faq:{vk_id}"


def _service(deps: Deps) -> FaqService:
    return feature(deps, "faq", FaqService)


def _cancel_keyboard() -> Keyboard:
    return Keyboard.column([Button(label="Отмена", color=Color.NEGATIVE, callback=True,
                                   payload={"cmd": "faq_cancel"})])


#: The snackbar after «Передать»: «Передано» only when the question really went to someone.
_HAND_OFF_SNACKBAR = {HANDED_OFF: "Передано", NO_DEPUTY: "Передано", ALREADY_HANDED: "Уже передано",
                      ANSWERED_ALREADY: "Уже есть ответ"}
#: How long a typed «да» or a number still answers the bot's last offer of candidates or a hand-off.
OFFER_TTL = dt.timedelta(minutes=30)


async def _send(deps: Deps, person: Person, reply: FaqReply) -> None:
    vk_id = person.vk_id or 0
    if reply.offer is not None and reply.question_id is not None:
        await deps.states.set(_key(vk_id), "offer", {"q": reply.question_id, "options": reply.offer,
                                                     "at": deps.clock.now().isoformat()})
    elif reply.kind != "greeting":
        state = await deps.states.get(_key(vk_id))
        if state is not None and state.state == "offer":
            await deps.states.delete(_key(vk_id))
    for message in reply.messages:
        keyboard = main_menu(person.role) if message.menu else message.keyboard
        await say(deps, person.vk_id or 0, message.text, keyboard)


async def _refuse(deps: Deps, vk_id: int, exc: Denied | FaqRefused) -> None:
    """Say why nothing happened (a snackbar for the press, a message to read)."""
    snackbar("Нет прав" if isinstance(exc, Denied) else "Не получилось")
    await say(deps, vk_id, exc.text)


async def _await_text(deps: Deps, vk_id: int, step: str, question_id: int) -> None:
    """The deputy's next text is the `step` («reply» or «new_topic») for this question (stamped, so it can go stale)."""
    await deps.states.set(_key(vk_id), step, {"q": question_id, "at": deps.clock.now().isoformat()})


def _fresh(deps: Deps, payload: dict[str, Any], ttl: dt.timedelta) -> bool:
    try:
        at = dt.datetime.fromisoformat(str(payload.get("at")))
    except ValueError:
        return False
    return deps.clock.now() - at <= ttl


class InFaqDialog(ABCRule[Message]):
    """Typed text while the deputy's reply or new-topic step is open: injects `dialog`."""

    async def check(self, event: Message, deps: Deps) -> dict[str, Any] | bool:
        if not is_private(event) or payload_of(event):
            return False
        state = await deps.states.get(_key(event.from_id))
        if state is None or state.state not in ("reply", "new_topic"):
            return False
        try:
            at = dt.datetime.fromisoformat(str(state.payload.get("at")))
        except ValueError:
            at = None
        if at is None or deps.clock.now() - at > DIALOG_TTL:
            await deps.states.delete(_key(event.from_id))
            return False
        return {"dialog": state}


# --- commands ---------------------------------------------------------------------------------


@labeler.private_message(Known(), Cmd("faq", "вопрос по сферуму", "вопрос"))
async def cmd_faq(message: Message, deps: Deps, person: Person) -> None:
    """«Вопрос по Сферуму»: invite a question in the person's own words."""
    await say_menu(deps, person, ASK_PROMPT)


@labeler.private_message(Known(), Cmd("questions", "вопросы сотрудников", "открытые вопросы"))
async def cmd_questions(message: Message, deps: Deps) -> None:
    """The deputy's open questions, each with an «Ответить» button."""
    try:
        found, total = await _service(deps).open_questions(message.from_id)
    except Denied as denied:
        await say(deps, message.from_id, denied.text)
        return
    if not found:
        await say(deps, message.from_id, NO_QUESTIONS)
        return
    lines = [f"Открытые вопросы ({total}):" if total <= len(found)
             else f"Открытые вопросы: {total}, первые {len(found)}:"]
    lines += [f"{n}. {q.asker_name}: «{q.text}»" for n, q in enumerate(found, 1)]
    buttons = [Button(label=f"Ответить на {n}", callback=True, payload={"cmd": "faq_reply", "q": q.id})
               for n, q in enumerate(found, 1)]
    rows = [buttons[i:i + 5] for i in range(0, len(buttons), 5)]
    await say(deps, message.from_id, "\n".join(lines), Keyboard(rows=rows, inline=True))


@labeler.chat_message(Cmd("questions", "вопросы сотрудников"))
async def chat_questions(message: Message, deps: Deps) -> None:
    """Open questions asked for in a group chat: refused (they are personal data), audited."""
    try:
        await _service(deps).open_questions(message.from_id, in_chat=True)
    except Denied as denied:
        await say(deps, message.peer_id, denied.text)


# --- the deputy's typing steps ----------------------------------------------------------------


@labeler.private_message(Known(), InFaqDialog())
async def on_dialog_text(message: Message, deps: Deps, person: Person, dialog: Any) -> None:
    """The deputy's reply to a question, or the id of a new topic."""
    vk_id = message.from_id
    text = (message.text or "").strip()
    if text.lower().rstrip(".!") in ("отмена", "отменить", "стоп"):
        await deps.states.delete(_key(vk_id))
        await say_menu(deps, person, CANCELLED)
        return
    if not text:
        # A photo or a sticker is not an answer: the step stays open.
        await say(deps, vk_id, "Напишите ответ текстом, пожалуйста (или нажмите «Отмена»).", _cancel_keyboard())
        return
    service = _service(deps)
    question_id = dialog.payload.get("q")
    try:
        if dialog.state == "reply":
            result = await service.answer_question(vk_id, question_id, text)
            await deps.states.delete(_key(vk_id))
            await say(deps, vk_id, result.text, result.keyboard)
            return
        topic_id, _, title = text.partition(" ")
        done = await service.add_entry(vk_id, question_id if isinstance(question_id, int) else None,
                                       topic_id, title=title.strip() or None)
    except (Denied, FaqRefused) as exc:
        if isinstance(exc, Denied) or dialog.state == "reply":
            await deps.states.delete(_key(vk_id))
        await say(deps, vk_id, exc.text, _cancel_keyboard() if isinstance(exc, FaqRefused) else None)
        return
    await deps.states.delete(_key(vk_id))
    await say_menu(deps, person, done)


# --- free text: the FAQ itself ----------------------------------------------------------------


@labeler.private_message(Known(), func=lambda m: not payload_of(m) and bool((m.text or "").strip()))
async def on_question(message: Message, deps: Deps, person: Person) -> None:
    """Any other text from a known person: a typed answer to the bot's last offer («да», «2»,
    «нет»), else a question: the answer, candidates, or «не знаю» with a hand-off."""
    service = _service(deps)
    text = message.text or ""
    state = await deps.states.get(_key(message.from_id))
    if state is not None and state.state == "offer" and _fresh(deps, state.payload, OFFER_TTL):
        options = [str(o) for o in state.payload.get("options") or []]
        try:
            # Every chat message comes through VK today; a MAX transport will pass "max".
            reply = await service.follow_up(person, state.payload.get("q"), options, text, messenger="vk")
        except FaqRefused as refused:
            await deps.states.delete(_key(message.from_id))
            await say(deps, message.from_id, refused.text)
            return
        if reply is not None:
            await _send(deps, person, reply)
            return
    await _send(deps, person, await service.answer(person, text, messenger="vk"))


# --- the asker's buttons ----------------------------------------------------------------------


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("faq_pick"))
async def on_pick(event: MessageEvent, deps: Deps, args: dict[str, Any], person: Person | None) -> None:
    """A candidate entry (or topic) pressed: its answer."""
    if person is None or event_in_chat(event):
        snackbar(STRANGER if person is None else "Кнопка работает в личных сообщениях")
        return
    try:
        reply = await _service(deps).pick(person, args.get("q"), args.get("t"), args.get("e"),
                                          messenger="vk")
    except FaqRefused as refused:
        await _refuse(deps, event.object.user_id, refused)
        return
    await _send(deps, person, reply)


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("faq_ok"))
async def on_helpful(event: MessageEvent, deps: Deps, args: dict[str, Any], person: Person | None) -> None:
    """«Спасибо, помогло»."""
    if person is None:
        snackbar(STRANGER)
        return
    try:
        snackbar(await _service(deps).helpful(person, args.get("q")))
    except FaqRefused as refused:
        snackbar(refused.text)


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("faq_handoff"))
async def on_hand_off(event: MessageEvent, deps: Deps, args: dict[str, Any], person: Person | None) -> None:
    """«Передать вопрос заместителю»: the question goes to the school's deputies."""
    if person is None or event_in_chat(event):
        snackbar(STRANGER if person is None else "Кнопка работает в личных сообщениях")
        return
    try:
        text = await _service(deps).hand_off(person, args.get("q"))
    except FaqRefused as refused:
        await _refuse(deps, event.object.user_id, refused)
        return
    snackbar(_HAND_OFF_SNACKBAR.get(text, "Не передано"))
    await say(deps, event.object.user_id, text)


# --- the deputy's buttons ---------------------------------------------------------------------


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("faq_reply"))
async def on_reply(event: MessageEvent, deps: Deps, args: dict[str, Any]) -> None:
    """«Ответить»: the next text the deputy types is the answer."""
    vk_id = event.object.user_id
    try:
        question = await _service(deps).start_reply(vk_id, args.get("q"), in_chat=event_in_chat(event))
    except (Denied, FaqRefused) as exc:
        await _refuse(deps, vk_id, exc)
        return
    await _await_text(deps, vk_id, "reply", question.id)
    snackbar("Напишите ответ")
    await say(deps, vk_id, f"Напишите ответ для {question.asker_name} на вопрос «{question.text}». "
                           "Он уйдёт от имени бота.", _cancel_keyboard())


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("faq_entry"))
async def on_entry(event: MessageEvent, deps: Deps, args: dict[str, Any]) -> None:
    """«Сделать ответ статьёй» (or «Ещё темы»): topic buttons."""
    vk_id = event.object.user_id
    try:
        page = await _service(deps).start_entry(vk_id, args.get("q"), args.get("p", 0), in_chat=event_in_chat(event))
    except (Denied, FaqRefused) as exc:
        await _refuse(deps, vk_id, exc)
        return
    await say(deps, vk_id, page.text, page.keyboard)


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("faq_topic"))
async def on_topic(event: MessageEvent, deps: Deps, args: dict[str, Any]) -> None:
    """A topic chosen: the answer becomes the school's entry under it."""
    vk_id = event.object.user_id
    topic = args.get("t")
    try:
        done = await _service(deps).add_entry(vk_id, args.get("q") if isinstance(args.get("q"), int) else -1,
                                              topic if isinstance(topic, str) else "", in_chat=event_in_chat(event))
    except (Denied, FaqRefused) as exc:
        await _refuse(deps, vk_id, exc)
        return
    snackbar("Сохранено")
    await say(deps, vk_id, done)


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("faq_new"))
async def on_new_topic(event: MessageEvent, deps: Deps, args: dict[str, Any]) -> None:
    """«Новая тема»: the next text is the new topic's id (and title)."""
    vk_id = event.object.user_id
    try:
        question = await _service(deps).check_entry(vk_id, args.get("q"), in_chat=event_in_chat(event))
    except (Denied, FaqRefused) as exc:
        await _refuse(deps, vk_id, exc)
        return
    await _await_text(deps, vk_id, "new_topic", question.id)
    await say(deps, vk_id, "Напишите латиницей идентификатор новой темы и через пробел — её название "
                           "(до 40 знаков), например: wifi Вай-фай в школе", _cancel_keyboard())


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("faq_cancel"))
async def on_cancel(event: MessageEvent, deps: Deps) -> None:
    """«Отмена»: the open typing step is dropped."""
    await deps.states.delete(_key(event.object.user_id))
    snackbar(CANCELLED)
