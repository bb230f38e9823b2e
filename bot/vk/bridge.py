"""The VK adapter's inbound side: vkbottle events become neutral events for the dispatcher.

Like MAX's bridge, one vkbottle labeler (`VkBridge.labeler()`) translates each event and
feeds it to the same neutral `Dispatcher`; every feature is a neutral router in it, so the
dispatcher's middlewares (the person looked up once) run once per event.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
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
from bot.messaging.router import Dispatcher

CHAT_PEER_START = 2_000_000_000
# «[club1|Бот], сводка» or «@club1 сводка»: the bot's own mention before a command in a chat.
BOT_MENTION = re.compile(r"^\s*(?:\[(?:club|public)\d+\|[^\]]*\]|@(?:club|public)\d+)[\s,:]*", re.IGNORECASE)
_EVENT = "_neutral_event"
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


DataFactory = Callable[[], dict[str, Any]]


class _Feed(ABCHandler[Any]):
    """The one vkbottle handler of a view: translates the event and feeds it to the dispatcher."""

    blocking = True

    def __init__(self, bridge: VkBridge, translate: Callable[[Any], Any]) -> None:
        self.bridge = bridge
        self.translate = translate

    def __repr__(self) -> str:
        return f"<neutral feed {self.translate.__name__}>"

    async def filter(self, event: Any, context: dict[str, Any] | None = None) -> dict[str, Any] | bool:
        neutral = self.translate(event)
        return False if neutral is None else {_EVENT: neutral}

    async def handle(self, event: Any, **context: Any) -> None:
        await self.bridge.feed(context[_EVENT])


class VkBridge:
    """Feeds translated VK events to the neutral dispatcher with the handlers' data."""

    def __init__(self, dispatcher: Dispatcher, data: DataFactory) -> None:
        self.dispatcher = dispatcher
        self._data = data

    async def feed(self, event: Any) -> bool:
        """Handle one neutral event (middlewares, watchers, the first matching handler); True when one did."""
        return await self.dispatcher.feed(event, **self._data())

    def labeler(self) -> BotLabeler:
        """The bot's only labeler: messages, callback presses and allow/deny go to the dispatcher."""
        labeler = BotLabeler()
        labeler.message_view.handlers.append(_Feed(self, message_in))
        for vk_type in RAW_EVENTS:
            labeler.raw_event_view.handlers.setdefault(vk_type, []).append(
                BotHandlerBasement(dict, _Feed(self, _raw_translator(vk_type))))
        labeler.raw_event_view.handlers.setdefault(GroupEventType.MESSAGE_EVENT, []).append(
            BotHandlerBasement(dict, _Feed(self, button_in)))
        return labeler


def _raw_translator(event_type: GroupEventType) -> Callable[[dict[str, Any]], Any]:
    def translate(body: dict[str, Any]) -> Any:
        return raw_event_in(event_type, body)
    translate.__name__ = f"raw_event_in[{event_type.value}]"
    return translate
