"""Identification: a stranger names themselves, picks their roster line, a deputy approves."""

from __future__ import annotations

from typing import Any

from vkbottle import GroupEventType
from vkbottle.bot import BotLabeler, Message, MessageEvent

from bot.deps import Deps
from bot.domain import answers
from bot.domain.menus import main_menu
from bot.domain.models import Person, Role
from bot.domain.russian import by_gender
from bot.domain.ui import Button, Color, Keyboard
from bot.services.access import Denied
from bot.services.privacy import data_notice
from handlers.common import EventCmd, Stranger, event_in_chat, say, snackbar

labeler = BotLabeler()

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


def _key(vk_id: int) -> str:
    return f"ident:{vk_id}"


def _pick_keyboard(people: list[Person]) -> Keyboard:
    buttons = [Button(label=p.short_name[:40], payload={"cmd": "id_pick", "p": p.id},
                      color=Color.PRIMARY, callback=True) for p in people]
    buttons.append(Button(label="Здесь нет меня", payload={"cmd": "id_none"}, callback=True))
    return Keyboard.column(buttons)


async def ask_name(deps: Deps, vk_id: int) -> None:
    """Start identification: ask for the full name."""
    await deps.states.set(_key(vk_id), "name")
    await say(deps, vk_id, ASK_NAME)


@labeler.private_message(Stranger())
async def on_stranger(message: Message, deps: Deps) -> None:
    """Any private message from an unknown account: ask for the name, then offer candidates."""
    vk_id = message.from_id
    await deps.identity.note_user(vk_id, wrote=True)
    if await deps.identity.pending(vk_id):
        await say(deps, vk_id, WAITING)
        return
    state = await deps.states.get(_key(vk_id))
    typed = (message.text or "").strip()
    if state is None or not typed:
        await ask_name(deps, vk_id)
        return
    if state.state == "pick" and await _typed_pick(deps, vk_id, typed, state.payload):
        return
    found = await deps.identity.candidates(typed)
    if not found:
        await say(deps, vk_id, NOT_FOUND.format(typed=typed[:80]))
        return
    people = [c.person for c in found]
    await deps.states.set(_key(vk_id), "pick", {"candidates": [p.id for p in people], "typed": typed[:200]})
    if len(people) == 1:
        text = "Это вы? Ответьте «да» или «нет» — или нажмите кнопку."
    else:
        listed = "\n".join(f"{n}. {p.short_name}" for n, p in enumerate(people, 1))
        text = f"Кто из них вы?\n{listed}\n\nНажмите кнопку или напишите номер, например «1»; если вас нет — «нет»."
    await say(deps, vk_id, text, _pick_keyboard(people))


async def _typed_pick(deps: Deps, vk_id: int, typed: str, offer: dict[str, Any]) -> bool:
    """«да», «2», «нет» typed under the candidates; False when it is not such an answer (a new name)."""
    offered = [c for c in offer.get("candidates", []) if isinstance(c, int)]
    said = answers.intent(typed, ("yes", "no"))
    number = answers.number_in(typed) if len(typed.split()) <= 2 else None
    if said == "no":
        await _not_listed(deps, vk_id, "Понял: вас нет среди предложенных. ")
        return True
    chosen: int | None = None
    if said == "yes" and len(offered) > 1:
        await say(deps, vk_id, "Подходят несколько человек. Напишите номер своей строки, например «1», или «нет».")
        return True
    if said == "yes" and len(offered) == 1:
        chosen = offered[0]
    elif number is not None and 1 <= number <= len(offered):
        chosen = offered[number - 1]
    if chosen is None:
        return False
    await _pick(deps, vk_id, chosen, str(offer.get("typed", "")))
    return True


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("id_none"))
async def on_not_listed(event: MessageEvent, deps: Deps) -> None:
    """The person is not among the candidates: ask to retype."""
    snackbar("Хорошо")
    await _not_listed(deps, event.object.user_id)


async def _not_listed(deps: Deps, vk_id: int, prefix: str = "") -> None:
    await deps.states.set(_key(vk_id), "name")
    await say(deps, vk_id, prefix + "Пришлите, пожалуйста, фамилию, имя и отчество полностью, как в списке школы.")


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("id_pick"))
async def on_pick(event: MessageEvent, deps: Deps, args: dict[str, Any], person: Person | None) -> None:
    """The person picked their roster line: create a request and ask the deputy."""
    vk_id = event.object.user_id
    state = await deps.states.get(_key(vk_id))
    chosen = args.get("p")
    # The payload is checked against what this person was offered: a forged id does nothing.
    offered = state.payload.get("candidates", []) if state is not None and state.state == "pick" else []
    if person is not None or not isinstance(chosen, int) or chosen not in offered:
        snackbar("Эта кнопка уже не действует")
        return
    typed = str(state.payload.get("typed", "")) if state is not None else ""
    await _pick(deps, vk_id, chosen, typed)


async def _pick(deps: Deps, vk_id: int, chosen: int, typed: str) -> None:
    """The person's roster line chosen (by a button or typed): a request goes to the deputies."""
    target = await deps.people.get(chosen)
    if target is None or target.vk_id is not None:
        snackbar("Эта строка списка уже занята")
        await say(deps, vk_id, "Эта строка списка уже занята. Если это ошибка, напишите заместителю директора.")
        return
    request = await deps.identity.request(vk_id, typed, target)
    await deps.states.delete(_key(vk_id))
    deputies = await deps.identity.deputies(target.org_id)
    snackbar("Заявка отправлена")
    await say(deps, vk_id, WAITING if deputies else NO_DEPUTY)
    for deputy in deputies:
        keyboard = Keyboard.column([
            Button(label="Подтвердить", payload={"cmd": "bind_ok", "r": request.id},
                   color=Color.POSITIVE, callback=True),
            Button(label="Отклонить", payload={"cmd": "bind_no", "r": request.id},
                   color=Color.NEGATIVE, callback=True),
        ])
        await say(deps, deputy.vk_id or 0,
                  f"Новый сотрудник просит доступ к боту: [id{vk_id}|страница ВКонтакте] называет себя "
                  f"«{target.full_name}» ({target.role.label}). "
                  + by_gender(target.full_name, "Это он?", "Это она?", "Это он(а)?"), keyboard)


async def _decide(event: MessageEvent, deps: Deps, args: dict[str, Any], approve: bool) -> None:
    actor = event.object.user_id
    request_id = args.get("r")
    request = await deps.identity.get(request_id) if isinstance(request_id, int) else None
    try:
        await deps.access.require(actor, "approve_binding" if approve else "reject_binding",
                                  [Role.DEPUTY], org_id=request.org_id if request else None,
                                  in_chat=event_in_chat(event), target=str(request_id))
    except Denied as denied:
        snackbar("Нет прав")
        await say(deps, actor, denied.text)
        return
    if request is None:
        snackbar("Заявка не найдена")
        return
    decided = await deps.identity.decide(request.id, approve, actor)
    if decided is None:
        snackbar("Заявка уже рассмотрена")
        return
    person = await deps.people.get(request.person_id) if request.person_id else None
    name = person.full_name if person else request.typed_name
    if approve and person is not None:
        snackbar("Подтверждено")
        await say(deps, actor, f"Готово: {name} теперь в боте.")
        bound = person.model_copy(update={"vk_id": request.vk_id})
        await say(deps, request.vk_id,
                  f"{bound.first_and_middle}, здравствуйте! Заместитель директора подтвердил вашу учётную запись. "
                  "Кнопки внизу — всё, что я умею.\n\n" + data_notice(deps.settings, person.org_id),
                  main_menu(bound.role))
    else:
        snackbar("Отклонено")
        await say(deps, actor, f"Заявка «{name}» отклонена.")
        await say(deps, request.vk_id,
                  "Заместитель директора не подтвердил заявку. Если это ошибка, напишите ему напрямую "
                  "или пришлите мне ФИО ещё раз.")


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("bind_ok"))
async def on_approve(event: MessageEvent, deps: Deps, args: dict[str, Any]) -> None:
    """A deputy approves a binding request."""
    await _decide(event, deps, args, approve=True)


@labeler.raw_event(GroupEventType.MESSAGE_EVENT, MessageEvent, EventCmd("bind_no"))
async def on_reject(event: MessageEvent, deps: Deps, args: dict[str, Any]) -> None:
    """A deputy rejects a binding request."""
    await _decide(event, deps, args, approve=False)
