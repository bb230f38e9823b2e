"""The FAQ in the chat: free-text questions, candidate and hand-off buttons, the deputy's replies
and knowledge-base entries made from them. Must be the LAST feature router: its free-text
handler takes any private text nobody else took.

The step a person is at (the bot's last offer of candidates, the deputy typing a reply or a
new topic) is kept in the dialog-state store under the feature «faq», with an expiry.

A neutral handler: it runs on any messenger the router is fed from.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from bot.domain.menus import main_menu
from bot.domain.models import Person
from bot.domain.ui import Color, Keyboard
from bot.messaging import actions
from bot.messaging.events import (
    ButtonPressed,
    CallbackAnswer,
    ChatRef,
    Identity,
    MessageIn,
    Messenger,
    Reply,
)
from bot.messaging.filters import Command, InGroup, Known, Private
from bot.messaging.payloads import as_dict
from bot.messaging.router import Router
from bot.messaging.state import StateKey, StateStore, StateValue
from bot.ports import MessengerPort
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

router = Router("faq")


async def _wired(event: Any, faq: FaqService | None = None) -> bool:
    """The FAQ is on (its service wired): otherwise nothing here matches."""
    return faq is not None


router.message.filter(_wired)
router.button.filter(_wired)

FEATURE = "faq"
ASK_PROMPT = "Напишите вопрос о Сферуме своими словами — как написали бы коллеге. Я отвечу или передам его заместителю."
NO_QUESTIONS = "Открытых вопросов нет — на всё ответили."
CANCELLED = "Хорошо, отменил."
#: A reply or topic dialog left this long ago is forgotten: the next text is a question again.
DIALOG_TTL = dt.timedelta(hours=2)
#: How long a typed «да» or a number still answers the bot's last offer of candidates or a hand-off.
OFFER_TTL = dt.timedelta(minutes=30)
TYPING_STEPS = ("reply", "new_topic")
STRANGER = "Я вас пока не знаю. Напишите мне «Начать», чтобы представиться."
PRIVATE_ONLY = "Кнопка работает в личных сообщениях"
CANCEL_WORDS = ("отмена", "отменить", "стоп")
#: The snackbar after «Передать»: «Передано» only when the question really went to someone.
_HAND_OFF_SNACKBAR = {HANDED_OFF: "Передано", NO_DEPUTY: "Передано", ALREADY_HANDED: "Уже передано",
                      ANSWERED_ALREADY: "Уже есть ответ"}

Event = MessageIn | ButtonPressed


def step_key(bot_id: int, person: Identity) -> StateKey:
    """Where a person's FAQ step is kept: in their private dialog with the bot, wherever they pressed."""
    return StateKey.of(bot_id, ChatRef.dialog_with(person), person, FEATURE)


async def step(dialogs: StateStore, bot_id: int, person: Identity) -> StateValue | None:
    """The person's open FAQ step (an offer, or the deputy typing a reply or a topic), if any.

    Other features ask it too: a number typed while the FAQ waits for it is the FAQ's.
    """
    return await dialogs.get(step_key(bot_id, person))


def _variant(event: Event) -> Literal["vk", "max"]:
    """Which messenger's steps the answers describe: the one the person writes from."""
    return "max" if event.sender.messenger is Messenger.MAX else "vk"


def _dialog(event: Event) -> ChatRef:
    """The sender's own dialog with the bot: every answer here goes there, even for a press in a chat."""
    return event.chat if not event.chat.is_group else ChatRef.dialog_with(event.sender)


def _cancel_keyboard() -> Keyboard:
    return Keyboard.column([actions.FaqCancel().button("Отмена", color=Color.NEGATIVE, callback=True)])


async def _say(messenger: MessengerPort, event: Event, text: str, keyboard: Keyboard | None = None) -> None:
    await messenger.send(Reply(chat=_dialog(event), text=text, keyboard=keyboard))


async def _snackbar(messenger: MessengerPort, event: ButtonPressed, text: str) -> None:
    """Answer the press with a short pop-up text."""
    await messenger.answer(CallbackAnswer(callback_id=event.callback_id, user=event.sender, chat=event.chat,
                                          text=text[:90]))


async def _send(event: Event, person: Person, reply: FaqReply, messenger: MessengerPort, dialogs: StateStore,
                bot_id: int) -> None:
    """The service's messages; an offer of candidates is remembered, anything else (but a greeting) ends it."""
    key = step_key(bot_id, event.sender)
    if reply.offer is not None and reply.question_id is not None:
        await dialogs.set(key, "offer", {"q": reply.question_id, "options": reply.offer}, ttl=OFFER_TTL)
    elif reply.kind != "greeting":
        state = await dialogs.get(key)
        if state is not None and state.state == "offer":
            await dialogs.delete(key)
    for message in reply.messages:
        keyboard = main_menu(person.role) if message.menu else message.keyboard
        await _say(messenger, event, message.text, keyboard)


async def _refuse(messenger: MessengerPort, event: ButtonPressed, exc: Denied | FaqRefused) -> None:
    """Say why nothing happened (a snackbar for the press, a message to read)."""
    await _snackbar(messenger, event, "Нет прав" if isinstance(exc, Denied) else "Не получилось")
    await _say(messenger, event, exc.text)


async def _await_text(dialogs: StateStore, bot_id: int, event: Event, state: str, question_id: int) -> None:
    """The deputy's next text is the `state` («reply» or «new_topic») for this question, for a while."""
    await dialogs.set(step_key(bot_id, event.sender), state, {"q": question_id}, ttl=DIALOG_TTL)


async def in_faq_dialog(event: MessageIn, dialogs: StateStore, bot_id: int) -> dict[str, Any] | bool:
    """Typed text while the deputy's reply or new-topic step is open: passes `dialog`."""
    if as_dict(event.payload):
        return False
    state = await step(dialogs, bot_id, event.sender)
    if state is None or state.state not in TYPING_STEPS:
        return False
    return {"dialog": state}


async def _free_text(event: MessageIn) -> bool:
    """Text typed by hand (not a button)."""
    return not as_dict(event.payload) and bool(event.text.strip())


# --- commands ---------------------------------------------------------------------------------


@router.message(Private(), Known(), Command(actions.Faq, "вопрос по сферуму", "вопрос", typos=True))
async def cmd_faq(event: MessageIn, person: Person, messenger: MessengerPort) -> None:
    """«Вопрос по Сферуму»: invite a question in the person's own words."""
    await messenger.send(Reply(chat=event.chat, text=ASK_PROMPT, keyboard=main_menu(person.role)))


@router.message(Private(), Known(), Command(actions.Questions, "вопросы сотрудников", "открытые вопросы",
                                            typos=True))
async def cmd_questions(event: MessageIn, messenger: MessengerPort, faq: FaqService) -> None:
    """The deputy's open questions, each with an «Ответить» button."""
    try:
        found, total = await faq.open_questions(event.sender.external_id)
    except Denied as denied:
        await _say(messenger, event, denied.text)
        return
    if not found:
        await _say(messenger, event, NO_QUESTIONS)
        return
    lines = [f"Открытые вопросы ({total}):" if total <= len(found)
             else f"Открытые вопросы: {total}, первые {len(found)}:"]
    lines += [f"{n}. {q.asker_name}: «{q.text}»" for n, q in enumerate(found, 1)]
    buttons = [actions.FaqReply(question_id=q.id).button(f"Ответить на {n}", callback=True)
               for n, q in enumerate(found, 1)]
    rows = [buttons[i:i + 5] for i in range(0, len(buttons), 5)]
    await _say(messenger, event, "\n".join(lines), Keyboard(rows=rows, inline=True))


@router.message(InGroup(), Command(actions.Questions, "вопросы сотрудников"))
async def chat_questions(event: MessageIn, messenger: MessengerPort, faq: FaqService) -> None:
    """Open questions asked for in a group chat: refused (they are personal data), audited."""
    try:
        await faq.open_questions(event.sender.external_id, in_chat=True)
    except Denied as denied:
        await messenger.send(Reply(chat=event.chat, text=denied.text))


# --- the deputy's typing steps ----------------------------------------------------------------


@router.message(Private(), Known(), in_faq_dialog)
async def on_dialog_text(event: MessageIn, person: Person, dialog: StateValue, messenger: MessengerPort,
                         dialogs: StateStore, bot_id: int, faq: FaqService) -> None:
    """The deputy's reply to a question, or the id of a new topic."""
    key = step_key(bot_id, event.sender)
    user_id = event.sender.external_id
    text = event.text.strip()
    if text.lower().rstrip(".!") in CANCEL_WORDS:
        await dialogs.delete(key)
        await messenger.send(Reply(chat=event.chat, text=CANCELLED, keyboard=main_menu(person.role)))
        return
    if not text:
        # A photo or a sticker is not an answer: the step stays open.
        await _say(messenger, event, "Напишите ответ текстом, пожалуйста (или нажмите «Отмена»).",
                   _cancel_keyboard())
        return
    question_id = dialog.data.get("q")
    try:
        if dialog.state == "reply":
            result = await faq.answer_question(user_id, question_id, text)
            await dialogs.delete(key)
            await _say(messenger, event, result.text, result.keyboard)
            return
        topic_id, _, title = text.partition(" ")
        done = await faq.add_entry(user_id, question_id if isinstance(question_id, int) else None,
                                   topic_id, title=title.strip() or None)
    except (Denied, FaqRefused) as exc:
        if isinstance(exc, Denied) or dialog.state == "reply":
            await dialogs.delete(key)
        await _say(messenger, event, exc.text, _cancel_keyboard() if isinstance(exc, FaqRefused) else None)
        return
    await dialogs.delete(key)
    await messenger.send(Reply(chat=event.chat, text=done, keyboard=main_menu(person.role)))


# --- free text: the FAQ itself ----------------------------------------------------------------


@router.message(Private(), Known(), _free_text)
async def on_question(event: MessageIn, person: Person, messenger: MessengerPort, dialogs: StateStore,
                      bot_id: int, faq: FaqService) -> None:
    """Any other text from a known person: a typed answer to the bot's last offer («да», «2»,
    «нет»), else a question: the answer, candidates, or «не знаю» with a hand-off."""
    text = event.text
    where = _variant(event)
    key = step_key(bot_id, event.sender)
    state = await dialogs.get(key)
    if state is not None and state.state == "offer":
        options = [str(o) for o in state.data.get("options") or []]
        try:
            reply = await faq.follow_up(person, state.data.get("q"), options, text, messenger=where)
        except FaqRefused as refused:
            await dialogs.delete(key)
            await _say(messenger, event, refused.text)
            return
        if reply is not None:
            await _send(event, person, reply, messenger, dialogs, bot_id)
            return
    await _send(event, person, await faq.answer(person, text, messenger=where), messenger, dialogs, bot_id)


# --- the asker's buttons ----------------------------------------------------------------------


@router.button(actions.FaqPick.filter())
async def on_pick(event: ButtonPressed, action: actions.FaqPick, person: Person | None, messenger: MessengerPort,
                  dialogs: StateStore, bot_id: int, faq: FaqService) -> None:
    """A candidate entry (or topic) pressed: its answer."""
    if person is None or event.chat.is_group:
        await _snackbar(messenger, event, STRANGER if person is None else PRIVATE_ONLY)
        return
    try:
        reply = await faq.pick(person, action.question_id, action.topic, action.entry or None,
                               messenger=_variant(event))
    except FaqRefused as refused:
        await _refuse(messenger, event, refused)
        return
    await _send(event, person, reply, messenger, dialogs, bot_id)


@router.button(actions.FaqHelpful.filter())
async def on_helpful(event: ButtonPressed, action: actions.FaqHelpful, person: Person | None,
                     messenger: MessengerPort, faq: FaqService) -> None:
    """«Спасибо, помогло»."""
    if person is None:
        await _snackbar(messenger, event, STRANGER)
        return
    try:
        await _snackbar(messenger, event, await faq.helpful(person, action.question_id))
    except FaqRefused as refused:
        await _snackbar(messenger, event, refused.text)


@router.button(actions.FaqHandOff.filter())
async def on_hand_off(event: ButtonPressed, action: actions.FaqHandOff, person: Person | None,
                      messenger: MessengerPort, faq: FaqService) -> None:
    """«Передать вопрос заместителю»: the question goes to the school's deputies."""
    if person is None or event.chat.is_group:
        await _snackbar(messenger, event, STRANGER if person is None else PRIVATE_ONLY)
        return
    try:
        text = await faq.hand_off(person, action.question_id)
    except FaqRefused as refused:
        await _refuse(messenger, event, refused)
        return
    await _snackbar(messenger, event, _HAND_OFF_SNACKBAR.get(text, "Не передано"))
    await _say(messenger, event, text)


# --- the deputy's buttons ---------------------------------------------------------------------


@router.button(actions.FaqReply.filter())
async def on_reply(event: ButtonPressed, action: actions.FaqReply, messenger: MessengerPort, dialogs: StateStore,
                   bot_id: int, faq: FaqService) -> None:
    """«Ответить»: the next text the deputy types is the answer."""
    try:
        question = await faq.start_reply(event.sender.external_id, action.question_id,
                                         in_chat=event.chat.is_group)
    except (Denied, FaqRefused) as exc:
        await _refuse(messenger, event, exc)
        return
    await _await_text(dialogs, bot_id, event, "reply", question.id)
    await _snackbar(messenger, event, "Напишите ответ")
    await _say(messenger, event, f"Напишите ответ для {question.asker_name} на вопрос «{question.text}». "
                                 "Он уйдёт от имени бота.", _cancel_keyboard())


@router.button(actions.FaqEntry.filter())
async def on_entry(event: ButtonPressed, action: actions.FaqEntry, messenger: MessengerPort,
                   faq: FaqService) -> None:
    """«Сделать ответ статьёй» (or «Ещё темы»): topic buttons."""
    try:
        page = await faq.start_entry(event.sender.external_id, action.question_id, action.page,
                                     in_chat=event.chat.is_group)
    except (Denied, FaqRefused) as exc:
        await _refuse(messenger, event, exc)
        return
    await _say(messenger, event, page.text, page.keyboard)


@router.button(actions.FaqTopic.filter())
async def on_topic(event: ButtonPressed, action: actions.FaqTopic, messenger: MessengerPort,
                   faq: FaqService) -> None:
    """A topic chosen: the answer becomes the school's entry under it."""
    try:
        done = await faq.add_entry(event.sender.external_id, action.question_id, action.topic,
                                   in_chat=event.chat.is_group)
    except (Denied, FaqRefused) as exc:
        await _refuse(messenger, event, exc)
        return
    await _snackbar(messenger, event, "Сохранено")
    await _say(messenger, event, done)


@router.button(actions.FaqNewTopic.filter())
async def on_new_topic(event: ButtonPressed, action: actions.FaqNewTopic, messenger: MessengerPort,
                       dialogs: StateStore, bot_id: int, faq: FaqService) -> None:
    """«Новая тема»: the next text is the new topic's id (and title)."""
    try:
        question = await faq.check_entry(event.sender.external_id, action.question_id,
                                         in_chat=event.chat.is_group)
    except (Denied, FaqRefused) as exc:
        await _refuse(messenger, event, exc)
        return
    await _await_text(dialogs, bot_id, event, "new_topic", question.id)
    await _say(messenger, event, "Напишите латиницей идентификатор новой темы и через пробел — её название "
                                 "(до 40 знаков), например: wifi Вай-фай в школе", _cancel_keyboard())


@router.button(actions.FaqCancel.filter())
async def on_cancel(event: ButtonPressed, messenger: MessengerPort, dialogs: StateStore, bot_id: int) -> None:
    """«Отмена»: the open typing step is dropped."""
    await dialogs.delete(step_key(bot_id, event.sender))
    await _snackbar(messenger, event, CANCELLED)
