"""Small shared pieces of the handlers: rules, payloads, replies."""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from vkbottle.bot import Message, MessageEvent
from vkbottle.dispatch.rules import ABCRule

from bot.deps import Deps
from bot.domain.commands import command_words, near, register_words
from bot.domain.commands import is_command_text as _is_command_text
from bot.domain.menus import main_menu
from bot.domain.models import Person
from bot.domain.ui import Keyboard
from bot.messaging.middlewares import PersonLookups
from bot.ports import Delivery, OutMessage
from bot.vk.bridge import person_of
from bot.vk.runtime import current_callback

CHAT_PEER_START = 2_000_000_000
T = TypeVar("T")


def is_private(message: Message) -> bool:
    return message.peer_id < CHAT_PEER_START


def feature(deps: Deps, name: str, kind: type[T]) -> T:
    """The feature service `deps.<name>`, checked: a wiring mistake fails loudly, not as None."""
    service = getattr(deps, name)
    if not isinstance(service, kind):
        raise RuntimeError(f"the {name} service is not wired into Deps")
    return service


def event_in_chat(event: MessageEvent) -> bool:
    """A callback button pressed in a group chat (admin buttons are refused there)."""
    return int(event.object.peer_id or 0) >= CHAT_PEER_START


INT64 = range(-(2**63), 2**63)


def _sane(value: Any) -> Any:
    """The payload with integers no button of ours carries (outside SQLite's 64 bits) as None.

    A forged {"r": 10**30} would otherwise pass `isinstance(r, int)` and fail in the
    database with OverflowError instead of getting «this button no longer works».
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if value in INT64 else None
    if isinstance(value, dict):
        return {k: _sane(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sane(v) for v in value]
    return value


def payload_of(message: Message) -> dict[str, Any]:
    """A text button's payload as a dict ({} when absent or not JSON)."""
    raw = message.payload
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except (TypeError, ValueError):
        return {}
    return _sane(data) if isinstance(data, dict) else {}


def event_payload(event: MessageEvent) -> dict[str, Any]:
    """A callback button's payload (VK sends an object; older clients a string)."""
    raw: Any = event.object.payload
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    return _sane(raw) if isinstance(raw, dict) else {}


def snackbar(text: str) -> None:
    """Answer the current callback press with a short pop-up text."""
    state = current_callback.get()
    if state is not None:
        state.snackbar = text[:90]


async def say(deps: Deps, peer_id: int, text: str, keyboard: Keyboard | None = None,
              attachments: tuple[str, ...] = ()) -> Delivery:
    """An interactive reply through the one outbound sender."""
    return await deps.outbound.reply(
        OutMessage(peer_id=peer_id, text=text, keyboard=keyboard, attachments=attachments))


async def say_menu(deps: Deps, person: Person, text: str) -> Delivery:
    """A reply with the person's main menu attached."""
    return await say(deps, person.vk_id or 0, text, main_menu(person.role))


async def _person(deps: Deps, lookups: PersonLookups | None, vk_id: int) -> Person | None:
    """The person of a VK account, through the event's lookups when the middleware gave them."""
    return await (lookups.person(person_of(vk_id)) if lookups is not None else deps.access.person(vk_id))


class Stranger(ABCRule[Message]):
    """A private message from a VK account that is not on any roster."""

    async def check(self, event: Message, deps: Deps, lookups: PersonLookups | None = None) -> bool:
        return is_private(event) and await _person(deps, lookups, event.from_id) is None


class Known(ABCRule[Message]):
    """A private message from a known person: injects `person`."""

    async def check(self, event: Message, deps: Deps, lookups: PersonLookups | None = None) -> dict[str, Any] | bool:
        if not is_private(event):
            return False
        person = await _person(deps, lookups, event.from_id)
        return {"person": person} if person else False


MENTION = re.compile(r"^\s*(?:\[(?:club|public)\d+\|[^\]]*\]|@(?:club|public)\d+)[\s,:]*", re.IGNORECASE)


class Cmd(ABCRule[Message]):
    """A text button with {"cmd": name} (or one of the given words typed by hand, a typo allowed): injects `args`."""

    def __init__(self, name: str, *words: str) -> None:
        self.name = name
        self.words = {w.lower() for w in words}
        # Every word any command takes: a typo is read as a command only when it is no command itself.
        register_words(self.words)

    async def check(self, event: Message) -> dict[str, Any] | bool:
        payload = payload_of(event)
        if payload.get("cmd") == self.name:
            return {"args": payload}
        # In a chat the bot often sees a command only with its mention: «[club1|@bot] сводка».
        text = MENTION.sub("", event.text or "").strip().lower().rstrip("!.?")
        if text and text in self.words:
            return {"args": {}}
        # A typo is forgiven in private only: in a group chat people talk, and «рассылку» is not a command.
        if text and is_private(event) and text not in command_words() and near(text, self.words):
            return {"args": {}}
        return False


def is_command_text(text: str) -> bool:
    """Is a typed text one of the bot's commands (a typo allowed)? A dialog's button step leaves those alone."""
    return _is_command_text(MENTION.sub("", text or ""))


class EventCmd(ABCRule[MessageEvent]):
    """A callback button with {"cmd": name}: injects `args` and the pressing `person` (or None)."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def check(self, event: MessageEvent, deps: Deps,
                    lookups: PersonLookups | None = None) -> dict[str, Any] | bool:
        payload = event_payload(event)
        if payload.get("cmd") != self.name:
            return False
        return {"args": payload, "person": await _person(deps, lookups, event.object.user_id)}
