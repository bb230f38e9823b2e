"""What arrives from a messenger and what goes back, as typed neutral models.

A person is an `Identity` (messenger, external id), a conversation a `ChatRef`
(messenger, chat id). Handlers take these models, never a messenger's own types.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.domain.ui import Keyboard


class Messenger(StrEnum):
    """The messengers the bot can speak through."""

    VK = "vk"
    MAX = "max"


class ChatKind(StrEnum):
    """A private dialog with the bot, or a group chat it sits in."""

    DIALOG = "dialog"
    GROUP = "group"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Identity(_Frozen):
    """A messenger account: who wrote or pressed."""

    messenger: Messenger
    external_id: int


class ChatRef(_Frozen):
    """A conversation: a dialog with one person or a group chat."""

    messenger: Messenger
    chat_id: int
    kind: ChatKind = ChatKind.DIALOG

    @property
    def is_group(self) -> bool:
        return self.kind is ChatKind.GROUP

    @classmethod
    def dialog_with(cls, person: Identity) -> ChatRef:
        """The private dialog with a person, addressed by their account (a bot writing first).

        A neutral dialog's `chat_id` is the person's account id on every messenger: on VK it is
        the peer id; MAX gives a dialog a chat id of its own, but its adapter translates every
        dialog event to the user id and sends to a dialog by `?user_id=` (`bot.max.bridge`,
        `bot.max.messenger.target`). So this is the same chat as the events of that dialog carry,
        and dialog steps kept under it match (tests/max/test_bridge.py).
        """
        return cls(messenger=person.messenger, chat_id=person.external_id)


class FileRef(_Frozen):
    """A file attached to an incoming message; `ref` is the adapter's handle to fetch it."""

    name: str
    ref: str
    size: int | None = None
    mime: str | None = None


class _Event(_Frozen):
    """Fields every incoming event has; `raw` keeps the adapter's original for legacy code."""

    chat: ChatRef
    sender: Identity
    at: dt.datetime | None = None
    raw: Any = Field(default=None, repr=False, exclude=True)


class MessageIn(_Event):
    """A message written (or a text button pressed) in a dialog or a group chat."""

    type: Literal["message"] = "message"
    text: str = ""
    payload: str | dict[str, Any] | None = None
    files: tuple[FileRef, ...] = ()
    message_id: int | None = None
    # A service message (someone joined, the title changed) rather than one written by a person.
    service: bool = False
    # The text without a leading mention of the bot (the adapter knows its messenger's syntax).
    addressed: str | None = None

    @property
    def command(self) -> str:
        """What the person asked the bot: the text after a mention of it, if any."""
        return self.text if self.addressed is None else self.addressed


class ButtonPressed(_Event):
    """A callback button pressed: answer it within the messenger's deadline."""

    type: Literal["button"] = "button"
    callback_id: str
    payload: str | dict[str, Any] | None = None
    message_id: int | None = None


class BotAdded(_Event):
    """The bot was added to a group chat (`sender` added it)."""

    type: Literal["bot_added"] = "bot_added"


class BotRemoved(_Event):
    """The bot was removed from a group chat."""

    type: Literal["bot_removed"] = "bot_removed"


class PersonStarted(_Event):
    """A person started the bot or allowed its messages: the bot may write to them now."""

    type: Literal["started"] = "started"
    # What the person's link carried (MAX: the deep link's `start` payload), if anything.
    payload: str | None = None


class PersonStopped(_Event):
    """A person stopped the bot or forbade its messages: the bot cannot write to them."""

    type: Literal["stopped"] = "stopped"


class MemberJoined(_Event):
    """Someone joined a group chat (`member`; `sender` is who added them, or the member)."""

    type: Literal["member_joined"] = "member_joined"
    member: Identity


class MemberLeft(_Event):
    """Someone left or was removed from a group chat."""

    type: Literal["member_left"] = "member_left"
    member: Identity


Event = Annotated[
    MessageIn | ButtonPressed | BotAdded | BotRemoved | PersonStarted | PersonStopped | MemberJoined | MemberLeft,
    Field(discriminator="type"),
]
EVENT_TYPES: tuple[type[_Event], ...] = (MessageIn, ButtonPressed, BotAdded, BotRemoved, PersonStarted,
                                         PersonStopped, MemberJoined, MemberLeft)


class OutFile(_Frozen):
    """A file or a picture to attach: its bytes and name (the adapter uploads it)."""

    name: str
    data: bytes = Field(repr=False)
    image: bool = False


class Reply(_Frozen):
    """A message to send to `chat`: text, buttons, files and images."""

    type: Literal["reply"] = "reply"
    chat: ChatRef
    text: str = ""
    keyboard: Keyboard | None = None
    files: tuple[OutFile, ...] = ()
    # Files uploaded earlier (`MessengerPort.upload`), as the adapter's handles.
    attachments: tuple[str, ...] = ()


class Edit(_Frozen):
    """New text (and buttons) for a message the bot sent earlier."""

    type: Literal["edit"] = "edit"
    chat: ChatRef
    message_id: int
    text: str
    keyboard: Keyboard | None = None


class CallbackAnswer(_Frozen):
    """The answer to a button press: a short pop-up text, or just «received»."""

    type: Literal["callback_answer"] = "callback_answer"
    callback_id: str
    user: Identity
    chat: ChatRef
    text: str | None = Field(default=None, max_length=90)


Outgoing = Annotated[Reply | Edit | CallbackAnswer, Field(discriminator="type")]
