"""Identification: a stranger names themselves, picks their roster line, a deputy approves.

A neutral handler: it runs on any messenger the router is fed from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.config import Settings
from bot.config_bots import SINGLE_BOT
from bot.domain import answers
from bot.domain.menus import main_menu
from bot.domain.models import Person, Role
from bot.domain.russian import by_gender
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
from bot.messaging.filters import Private
from bot.messaging.router import Router
from bot.messaging.state import StateKey, StateStore, StateValue
from bot.ports import MessengerPort, PeopleStore
from bot.services.access import AccessService, Denied
from bot.services.identity import IdentityService, account_of
from bot.services.privacy import data_notice

router = Router("identify")


async def _enabled(event: Any, identity: IdentityService | None = None) -> bool:
    """Identification is wired (a bot built without it leaves strangers to the others)."""
    return identity is not None


router.message.filter(_enabled)
router.button.filter(_enabled)

ASK_NAME = (
    "Здравствуйте! Я помощник школы по Сферуму. Чтобы я знал, кто вы, напишите, пожалуйста, "
    "фамилию, имя и отчество — как в списке сотрудников школы."
)
NOT_FOUND = (
    "Не нашёл «{typed}» в списке сотрудников. Проверьте написание и пришлите фамилию, имя и отчество "
    "ещё раз. Если вас нет в списке, попросите заместителя директора добавить вас."
)
WAITING = "Ваша заявка уже у заместителя директора. Как только её рассмотрят, я напишу."
NO_DEPUTY = (
    "Заявку записал, но заместитель директора ещё не подключён к боту. "
    "Сообщите ему, пожалуйста, что вы ждёте подтверждения."
)
STALE = "Эта кнопка уже не действует"


#: A stranger who named themselves and went away starts again after this long.
STEP_TTL = dt.timedelta(days=7)


def name_key(bot_id: int, chat: ChatRef, user: Identity) -> StateKey:
    """The dialog-state key of a stranger's identification in their dialog with the bot."""
    return StateKey.of(bot_id, chat, user, "identify")


def _pick_keyboard(people: list[Person]) -> Keyboard:
    buttons = [actions.IdPick(person_id=p.id).button(p.short_name[:40], color=Color.PRIMARY, callback=True)
               for p in people]
    buttons.append(actions.IdNone().button("Здесь нет меня", callback=True))
    return Keyboard.column(buttons)


@dataclass
class _Turn:
    """One event of the identification: who wrote or pressed, and what its steps need."""

    event: MessageIn | ButtonPressed
    messenger: MessengerPort
    dialogs: StateStore
    bot_id: int
    identity: IdentityService
    people: PeopleStore

    @property
    def user_id(self) -> int:
        return self.event.sender.external_id

    @property
    def key(self) -> StateKey:
        return name_key(self.bot_id, self.event.chat, self.event.sender)

    async def step(self) -> StateValue | None:
        return await self.dialogs.get(self.key)

    async def set(self, state: str, data: dict[str, Any] | None = None) -> None:
        await self.dialogs.set(self.key, state, data, ttl=STEP_TTL)

    @property
    def in_max(self) -> bool:
        return self.event.sender.messenger is Messenger.MAX

    async def say(self, text: str, keyboard: Keyboard | None = None, to: Identity | None = None) -> None:
        """A reply in the event's dialog, or in the private dialog with `to`."""
        chat = self.event.chat if to is None else ChatRef.dialog_with(to)
        await self.messenger.send(Reply(chat=chat, text=text, keyboard=keyboard))

    async def pop_up(self, text: str) -> None:
        """Answer the button press (if this is one) with a short pop-up text."""
        if isinstance(self.event, ButtonPressed):
            await self.messenger.answer(CallbackAnswer(callback_id=self.event.callback_id, user=self.event.sender,
                                                       chat=self.event.chat, text=text))

    def account(self, user_id: int) -> Identity:
        """Another account on the same messenger."""
        return Identity(messenger=self.event.sender.messenger, external_id=user_id)


async def stranger(event: MessageIn, person: Person | None = None) -> bool:
    """The sender is on no roster."""
    return person is None


@router.message(Private(), stranger)
async def on_stranger(event: MessageIn, messenger: MessengerPort, dialogs: StateStore, bot_id: int,
                      identity: IdentityService, people: PeopleStore, bot: str = SINGLE_BOT) -> None:
    """Any private message from an unknown account: ask for the name, then offer candidates."""
    turn = _Turn(event, messenger, dialogs, bot_id, identity, people)
    await identity.note_user(event.sender, wrote=True, bot=bot)
    if await identity.pending(event.sender):
        await turn.say(WAITING)
        return
    state = await turn.step()
    typed = event.text.strip()
    if state is None or not typed:
        await turn.set("name")
        await turn.say(ASK_NAME)
        return
    if state.state == "pick" and await _typed_pick(turn, typed, state.data):
        return
    found = await identity.candidates(typed, event.sender.messenger)
    if not found:
        await turn.say(NOT_FOUND.format(typed=typed[:80]))
        return
    people_found = [c.person for c in found]
    await turn.set("pick", {"candidates": [p.id for p in people_found], "typed": typed[:200]})
    if len(people_found) == 1:
        text = "Это вы? Ответьте «да» или «нет» — или нажмите кнопку."
    else:
        listed = "\n".join(f"{n}. {p.short_name}" for n, p in enumerate(people_found, 1))
        text = f"Кто из них вы?\n{listed}\n\nНажмите кнопку или напишите номер, например «1»; если вас нет — «нет»."
    await turn.say(text, _pick_keyboard(people_found))


async def _typed_pick(turn: _Turn, typed: str, offer: dict[str, Any]) -> bool:
    """«да», «2», «нет» typed under the candidates; False when it is not such an answer (a new name)."""
    offered = [c for c in offer.get("candidates", []) if isinstance(c, int)]
    said = answers.intent(typed, ("yes", "no"))
    number = answers.number_in(typed) if len(typed.split()) <= 2 else None
    if said == "no":
        await _not_listed(turn, "Понял: вас нет среди предложенных. ")
        return True
    chosen: int | None = None
    if said == "yes" and len(offered) > 1:
        await turn.say("Подходят несколько человек. Напишите номер своей строки, например «1», или «нет».")
        return True
    if said == "yes" and len(offered) == 1:
        chosen = offered[0]
    elif number is not None and 1 <= number <= len(offered):
        chosen = offered[number - 1]
    if chosen is None:
        return False
    await _pick(turn, chosen, str(offer.get("typed", "")))
    return True


@router.button(actions.IdNone.filter())
async def on_not_listed(event: ButtonPressed, messenger: MessengerPort, dialogs: StateStore, bot_id: int,
                        identity: IdentityService, people: PeopleStore) -> None:
    """The person is not among the candidates: ask to retype."""
    turn = _Turn(event, messenger, dialogs, bot_id, identity, people)
    await turn.pop_up("Хорошо")
    await _not_listed(turn)


async def _not_listed(turn: _Turn, prefix: str = "") -> None:
    await turn.set("name")
    await turn.say(prefix + "Пришлите, пожалуйста, фамилию, имя и отчество полностью, как в списке школы.")


@router.button(actions.IdPick.filter())
async def on_pick(event: ButtonPressed, action: actions.IdPick, person: Person | None, messenger: MessengerPort,
                  dialogs: StateStore, bot_id: int, identity: IdentityService, people: PeopleStore) -> None:
    """The person picked their roster line: create a request and ask the deputy."""
    turn = _Turn(event, messenger, dialogs, bot_id, identity, people)
    state = await turn.step()
    # The payload is checked against what this person was offered: a forged id does nothing.
    offered = state.data.get("candidates", []) if state is not None and state.state == "pick" else []
    if person is not None or action.person_id not in offered:
        await turn.pop_up(STALE)
        return
    typed = str(state.data.get("typed", "")) if state is not None else ""
    await _pick(turn, action.person_id, typed)


async def _pick(turn: _Turn, chosen: int, typed: str) -> None:
    """The person's roster line chosen (by a button or typed): a request goes to the deputies."""
    target = await turn.people.get(chosen)
    if target is None or account_of(target, turn.event.sender.messenger) is not None:
        await turn.pop_up("Эта строка списка уже занята")
        await turn.say("Эта строка списка уже занята. Если это ошибка, напишите заместителю директора.")
        return
    request = await turn.identity.request(turn.event.sender, typed, target)
    await turn.dialogs.delete(turn.key)
    deputies = await turn.identity.deputies(target.org_id, turn.event.sender.messenger)
    await turn.pop_up("Заявка отправлена")
    await turn.say(WAITING if deputies else NO_DEPUTY)
    for deputy in deputies:
        keyboard = Keyboard.column([
            actions.BindApprove(request_id=request.id).button("Подтвердить", color=Color.POSITIVE, callback=True),
            actions.BindReject(request_id=request.id).button("Отклонить", color=Color.NEGATIVE, callback=True),
        ])
        who = (f"пользователь MAX (ID {turn.user_id})" if turn.in_max
               else f"[id{turn.user_id}|страница ВКонтакте]")
        await turn.say(f"Новый сотрудник просит доступ к боту: {who} называет себя "
                       f"«{target.full_name}» ({target.role.label}). "
                       + by_gender(target.full_name, "Это он?", "Это она?", "Это он(а)?"), keyboard,
                       to=turn.account(account_of(deputy, turn.event.sender.messenger) or 0))


async def _decide(turn: _Turn, request_id: int, approve: bool, access: AccessService, settings: Settings) -> None:
    actor = turn.event.sender
    request = await turn.identity.get(request_id)
    try:
        await access.require(actor, "approve_binding" if approve else "reject_binding",
                             [Role.DEPUTY], org_id=request.org_id if request else None,
                             in_chat=turn.event.chat.is_group, target=str(request_id))
    except Denied as denied:
        await turn.pop_up("Нет прав")
        await turn.say(denied.text, to=turn.event.sender)
        return
    if request is None:
        await turn.pop_up("Заявка не найдена")
        return
    decided = await turn.identity.decide(request.id, approve, actor)
    if decided is None:
        await turn.pop_up("Заявка уже рассмотрена")
        return
    person = await turn.people.get(request.person_id) if request.person_id else None
    name = person.full_name if person else request.typed_name
    requester = Identity(messenger=Messenger(request.messenger), external_id=request.vk_id)
    if requester.messenger is not turn.event.sender.messenger:
        # Decided in another messenger than the request came from: this port cannot write there.
        await turn.pop_up("Подтверждено" if approve else "Отклонено")
        await turn.say(f"Готово: заявка «{name}» {'подтверждена' if approve else 'отклонена'}.", to=turn.event.sender)
        return
    if approve and person is not None:
        await turn.pop_up("Подтверждено")
        await turn.say(f"Готово: {name} теперь в боте.", to=turn.event.sender)
        bound = person.model_copy(update={"max_id" if requester.messenger is Messenger.MAX else "vk_id": request.vk_id})
        await turn.say(f"{bound.first_and_middle}, здравствуйте! Заместитель директора подтвердил вашу учётную "
                       "запись. Кнопки внизу — всё, что я умею.\n\n" + data_notice(settings, person.org_id, requester.messenger),
                       main_menu(bound.role), to=requester)
    else:
        await turn.pop_up("Отклонено")
        await turn.say(f"Заявка «{name}» отклонена.", to=turn.event.sender)
        await turn.say("Заместитель директора не подтвердил заявку. Если это ошибка, напишите ему напрямую "
                       "или пришлите мне ФИО ещё раз.", to=requester)


@router.button(actions.BindApprove.filter())
async def on_approve(event: ButtonPressed, action: actions.BindApprove, messenger: MessengerPort,
                     dialogs: StateStore, bot_id: int, identity: IdentityService, people: PeopleStore,
                     access: AccessService, settings: Settings) -> None:
    """A deputy approves a binding request."""
    await _decide(_Turn(event, messenger, dialogs, bot_id, identity, people),
                  action.request_id, True, access, settings)


@router.button(actions.BindReject.filter())
async def on_reject(event: ButtonPressed, action: actions.BindReject, messenger: MessengerPort,
                    dialogs: StateStore, bot_id: int, identity: IdentityService, people: PeopleStore,
                    access: AccessService, settings: Settings) -> None:
    """A deputy rejects a binding request."""
    await _decide(_Turn(event, messenger, dialogs, bot_id, identity, people),
                  action.request_id, False, access, settings)
