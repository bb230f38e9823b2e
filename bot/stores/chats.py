"""What the chats migration asks of storage (storage.chats.ChatsSql implements it; a fake in tests)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from pydantic import BaseModel

from bot.domain.models import Person
from bot.messaging.events import ChatRef, Identity


class Confirmation(BaseModel):
    """One person's confirmation for one chat, with every step's answer.

    Once the bot saw the code, `chat_peer_id` is the chat's id in `chat_messenger` ('vk' or 'max').
    """

    id: int
    org_id: str
    person_id: int
    chat_key: str
    title: str
    status: str
    old_messenger: str | None = None
    link: str | None = None
    link_kind: str | None = None
    no_link_reason: str | None = None
    members_estimate: int | None = None
    old_chat: str | None = None
    code: str | None = None
    checked: bool = False
    chat_peer_id: int | None = None
    chat_messenger: str | None = None
    members_counted: int | None = None
    checked_at: str | None = None
    not_needed_reason: str | None = None
    decided_by: int | None = None
    confirmed_at: str | None = None


class CustomChat(BaseModel):
    """A chat a person added that is not on the orders' list."""

    id: int
    org_id: str
    person_id: int
    title: str


class SchoolChats(BaseModel):
    """One read of a school: its active people, the chats they added and every confirmation."""

    people: list[Person]
    customs: list[CustomChat]
    confirmations: list[Confirmation]


class ChatsStore(Protocol):
    """The chats migration's data; each method is one read or one transaction."""

    async def person(self, person_id: int) -> Person | None:
        """One person (active or not), with their classes."""
        ...

    async def of_person(self, org_id: str, person_id: int) -> tuple[list[CustomChat], list[Confirmation]]:
        """The chats a person added and their confirmations, in one read."""
        ...

    async def school(self, org_id: str) -> SchoolChats:
        """A school's people, added chats and confirmations, in one read."""
        ...

    async def schools(self, org_ids: Sequence[str]) -> dict[str, SchoolChats]:
        """`school` of several schools at once (a regional wave), in one read."""
        ...

    async def ensure(self, org_id: str, person_id: int, key: str, title: str) -> Confirmation:
        """The confirmation row for a chat, created as a draft when there is none."""
        ...

    async def add_custom(self, org_id: str, person_id: int, title: str,
                         key_of: Callable[[int], str]) -> CustomChat:
        """Add a chat of the person's own and its draft confirmation (keyed `key_of(new id)`) together."""
        ...

    async def confirm(self, person_id: int, key: str, answers: dict[str, Any],
                      new_code: Callable[[], str]) -> Confirmation | None:
        """Store the dialog's answers and mark the chat confirmed; a chat confirmed for the first time
        gets a code from `new_code` that no open confirmation holds. A chat marked not needed stays so.
        Returns the confirmation as stored (None: there is none)."""
        ...

    async def not_needed(self, deputy: Person, actor: Identity | None, person_id: int, key: str, title: str,
                         reason: str) -> None:
        """The deputy marks a colleague's chat not needed, audited with the deputy's account."""
        ...

    async def withdraw(self, person_id: int, confirmation_id: int, custom_id: int | None) -> None:
        """Take a confirmation back; a chat the person added (`custom_id`) leaves the list with it."""
        ...

    async def open_codes(self, codes: Sequence[str]) -> list[Confirmation]:
        """Confirmed, not yet checked confirmations holding one of these codes."""
        ...

    async def mark_checked(self, confirmation: Confirmation, chat: ChatRef, members: int | None,
                           actor: Identity) -> tuple[bool, Person | None]:
        """The code was seen in `chat` (posted by `actor`): mark the confirmation checked and audit it.

        Returns (False, None) when a parallel message checked it meanwhile; else (True, the chat's owner).
        """
        ...
