"""The VK adapter's inbound side: vkbottle events become neutral events for the router.

Converted features are neutral routers; the features not converted yet are still
vkbottle labelers. Both serve side by side: `VkBridge.labeler(router)` is a labeler
that sits at the feature's old place in the labeler list and offers each event to
its router, so the order in which features see an event does not change. Each event
is translated and prepared (the dispatcher's middlewares, e.g. the person lookup)
once, however many routers it is offered to.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vkbottle import GroupEventType
from vkbottle.bot import BotLabeler, Message
from vkbottle.dispatch.handlers import ABCHandler
from vkbottle.dispatch.views.bot.raw import BotHandlerBasement

from bot.messaging.events import (
    ButtonPressed,
    ChatKind,
    ChatRef,
    FileRef,
    Identity,
    MessageIn,
    Messenger,
    PersonStarted,
    PersonStopped,
)
from bot.messaging.middlewares import PersonLookups
from bot.messaging.router import Dispatcher, Match, Router

CHAT_PEER_START = 2_000_000_000
# «[club1|Бот], сводка» or «@club1 сводка»: the bot's own mention before a command in a chat.
BOT_MENTION = re.compile(r"^\s*(?:\[(?:club|public)\d+\|[^\]]*\]|@(?:club|public)\d+)[\s,:]*", re.IGNORECASE)
_TURN = "_neutral_turn"
RAW_EVENTS = {GroupEventType.MESSAGE_ALLOW: PersonStarted, GroupEventType.MESSAGE_DENY: PersonStopped}


def chat_of(peer_id: int) -> ChatRef:
    """A VK peer as a neutral chat (peers from 2·10⁹ up are group chats)."""
    kind = ChatKind.GROUP if peer_id >= CHAT_PEER_START else ChatKind.DIALOG
    return ChatRef(messenger=Messenger.VK, chat_id=peer_id, kind=kind)


def person_of(vk_id: int) -> Identity:
    return Identity(messenger=Messenger.VK, external_id=vk_id)


def message_in(message: Message) -> MessageIn:
    """A vkbottle message as a neutral one (documents as file references, the bot's mention split off)."""
    text = message.text or ""
    stripped = BOT_MENTION.sub("", text, count=1)
    files = tuple(FileRef(name=a.doc.title or "file", ref=a.doc.url or "", size=a.doc.size)
                  for a in message.attachments or [] if a.doc is not None)
    date = message.date if isinstance(message.date, dt.datetime) else None
    return MessageIn(chat=chat_of(message.peer_id), sender=person_of(message.from_id), text=text,
                     payload=message.payload or None, files=files, message_id=message.conversation_message_id,
                     service=message.action is not None, addressed=stripped if stripped != text else None,
                     at=date, raw=message)


def button_in(body: dict[str, Any]) -> ButtonPressed | None:
    """A message_event (a callback button pressed) as a neutral press (None for a malformed update)."""
    obj = body.get("object")
    if not isinstance(obj, dict):
        return None
    user_id, peer_id = obj.get("user_id"), obj.get("peer_id")
    if not isinstance(user_id, int) or not isinstance(peer_id, int):
        return None
    payload = obj.get("payload")
    cmid = obj.get("conversation_message_id")
    return ButtonPressed(chat=chat_of(peer_id), sender=person_of(user_id), callback_id=str(obj.get("event_id", "")),
                         payload=payload if isinstance(payload, str | dict) else None,
                         message_id=cmid if isinstance(cmid, int) else None, raw=body)


def raw_event_in(event_type: GroupEventType, body: dict[str, Any]) -> PersonStarted | PersonStopped | None:
    """message_allow / message_deny as «started» / «stopped» (None for a malformed update)."""
    obj = body.get("object")
    user_id = obj.get("user_id") if isinstance(obj, dict) else None
    if not isinstance(user_id, int) or user_id <= 0:
        return None
    kind = PersonStarted if event_type is GroupEventType.MESSAGE_ALLOW else PersonStopped
    return kind(chat=chat_of(user_id), sender=person_of(user_id), raw=body)


@dataclass
class _Turn:
    """One VK event as the routers see it: translated and prepared once."""

    event: Any
    data: dict[str, Any] | None


DataFactory = Callable[[dict[str, Any]], dict[str, Any]]


class _RouterHandler(ABCHandler[Any]):
    """A vkbottle handler entry that asks one neutral router for its watchers or its first match."""

    def __init__(self, bridge: VkBridge, router: Router, translate: Callable[[Any], Any], *,
                 blocking: bool) -> None:
        self.bridge = bridge
        self.router = router
        self.translate = translate
        self.blocking = blocking
        self._key = f"_neutral_matches_{id(self)}"

    def __repr__(self) -> str:
        return f"<neutral {self.router!r} blocking={self.blocking}>"

    async def filter(self, event: Any, context: dict[str, Any] | None = None) -> dict[str, Any] | bool:
        context = context if context is not None else {}
        turn = context.get(_TURN)
        if not isinstance(turn, _Turn):
            # vkbottle hands every handler of one view the same context dict: prepare once, keep it there.
            neutral = self.translate(event)
            data = None if neutral is None else await self.bridge.prepare(neutral, context)
            turn = context[_TURN] = _Turn(neutral, data)
        if turn.data is None:
            return False
        matches = await self.router.resolve(turn.event, turn.data, blocking=self.blocking)
        return {self._key: (turn.event, matches)} if matches else False

    async def handle(self, event: Any, **context: Any) -> Any:
        neutral, matches = context.pop(self._key)
        found: list[Match] = matches
        for match in found:
            await match.run(neutral)


class VkBridge:
    """Places neutral routers among the vkbottle labelers and feeds them translated events."""

    def __init__(self, dispatcher: Dispatcher, data: DataFactory) -> None:
        self.dispatcher = dispatcher
        self._data = data

    async def prepare(self, event: Any, context: dict[str, Any]) -> dict[str, Any] | None:
        """The kwargs handlers get: services and ports, then what the middlewares add (the person).

        The event's `PersonLookups` (shared with the vkbottle rules) go along, so the person
        middleware asks storage only about someone no rule asked about yet.
        """
        data = dict(self._data(context))
        lookups = context.get("lookups")
        if isinstance(lookups, PersonLookups):
            data["lookups"] = lookups
        return await self.dispatcher.prepare(event, data)

    def labeler(self, router: Router) -> BotLabeler:
        """A labeler standing for `router`: watchers first (never blocking), then its handlers."""
        labeler = BotLabeler()
        for blocking in (False, True):
            if router.handles(MessageIn):
                labeler.message_view.handlers.append(_RouterHandler(self, router, message_in, blocking=blocking))
            for vk_type, neutral_type in RAW_EVENTS.items():
                if router.handles(neutral_type):
                    entry = _RouterHandler(self, router, _raw_translator(vk_type), blocking=blocking)
                    labeler.raw_event_view.handlers.setdefault(vk_type, []).append(BotHandlerBasement(dict, entry))
            if router.handles(ButtonPressed):
                entry = _RouterHandler(self, router, button_in, blocking=blocking)
                labeler.raw_event_view.handlers.setdefault(GroupEventType.MESSAGE_EVENT, []).append(
                    BotHandlerBasement(dict, entry))
        return labeler


def _raw_translator(event_type: GroupEventType) -> Callable[[dict[str, Any]], Any]:
    def translate(body: dict[str, Any]) -> Any:
        return raw_event_in(event_type, body)
    return translate
