"""Interfaces between services and the outside world (VK, clocks).

Services in `bot/` send through `Outbound` and never see vkbottle, so a CLI,
the tests or another messenger can drive them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

from bot.domain.invites import InviteIssued, Redeemed
from bot.domain.models import Period, Person, Role
from bot.domain.records import BindingRequest, MaxReachRow, ReachRow
from bot.domain.ui import Keyboard
from bot.messaging.events import (
    CallbackAnswer,
    ChatRef,
    Edit,
    FileRef,
    Identity,
    Messenger,
    OutFile,
    Reply,
)


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class OutMessage(BaseModel):
    """A message to send. `idem_key` (organization, kind, period, person, chunk) makes
    a re-send after a crash a no-op; without it the message is an interactive reply.
    `peer_id` is the target in `messenger`: a VK peer id; in MAX a person's user id (their
    dialog) or a group chat's (negative) chat id."""

    model_config = ConfigDict(frozen=True)

    peer_id: int
    messenger: Messenger = Messenger.VK
    text: str = ""
    keyboard: Keyboard | None = None
    attachments: tuple[str, ...] = ()
    idem_key: str | None = None
    org_id: str | None = None
    kind: str = "reply"
    person_id: int | None = None
    intent: str | None = None


class Delivery(BaseModel):
    """What became of one message."""

    model_config = ConfigDict(frozen=True)

    peer_id: int
    ok: bool
    message_id: int | None = None
    conversation_message_id: int | None = None
    error_code: int | None = None
    error: str | None = None
    person_id: int | None = None
    messenger: Messenger = Messenger.VK

    @property
    def unreachable(self) -> bool:
        """The messenger will not let the bot write to this person: VK's 901, 902, 943, 944; MAX's HTTP 403."""
        if self.messenger is Messenger.MAX:
            return self.error_code == MAX_DENIED
        return self.error_code in (901, 902, 943, 944)


# MAX answers a send to someone who never started the bot, or stopped it, with HTTP 403.
MAX_DENIED = 403


class Outbound(Protocol):
    """The one way services send messages and files."""

    async def reply(self, message: OutMessage) -> Delivery:
        """Send an interactive reply now, ahead of any bulk send."""
        ...

    async def send_bulk(self, messages: Sequence[OutMessage], *,
                        on_progress: Callable[[int, int], Awaitable[None]] | None = None) -> list[Delivery]:
        """Store the messages in the outbox and deliver each exactly once (`on_progress(done, total)`)."""
        ...

    async def enqueue_in(self, conn: Any, messages: Sequence[OutMessage]) -> None:
        """Store messages with idem_keys in the outbox inside the caller's open transaction
        (`conn`), unsent: a later `send_bulk` of the same messages or the start-up resume sends them."""
        ...

    async def edit(self, peer_id: int, conversation_message_id: int, text: str,
                   keyboard: Keyboard | None = None, *, bot: str | None = None) -> None:
        """Edit a message the bot sent (progress reports), through the bot `bot` that sent it (None: the first)."""
        ...

    async def upload_document(self, peer_id: int, data: bytes, filename: str, *, org_id: str | None = None) -> str:
        """Upload a file for `peer_id` (through the bot of school `org_id`); returns an attachment string."""
        ...

    async def upload_photo(self, peer_id: int, data: bytes, filename: str, *, org_id: str | None = None) -> str:
        """Upload a picture for `peer_id` (through the bot of school `org_id`); returns an attachment string."""
        ...

    async def answer_callback(self, event_id: str, user_id: int, peer_id: int,
                              text: str | None = None, *, bot: str | None = None) -> None:
        """Answer a callback button press (a snackbar, or nothing) through the bot `bot` it was pressed in
        (None: the first)."""
        ...


class PeopleStore(Protocol):
    """Organizations and people (storage.people.PeopleRepo; a fake in tests)."""

    async def add(self, org_id: str | None, full_name: str, role: Role, *, vk_id: int | None = None,
                  classes: Iterable[str] = (), source: str = "roster") -> Person: ...

    async def get(self, person_id: int) -> Person | None: ...

    async def by_vk_id(self, vk_id: int) -> list[Person]: ...

    async def by_max_id(self, max_id: int) -> list[Person]: ...

    async def in_org(self, org_id: str, *, active_only: bool = True,
                     roles: Sequence[Role] | None = None) -> list[Person]: ...

    async def in_orgs(self, org_ids: Sequence[str], *, active_only: bool = True,
                      roles: Sequence[Role] | None = None) -> dict[str, list[Person]]:
        """`in_org` of several organizations at once (a regional wave)."""
        ...

    async def by_name_key(self, key: str, org_id: str | None = None) -> list[Person]: ...

    async def bind_vk(self, person_id: int, vk_id: int) -> None: ...


# --- messenger ports: what a handler or a service may ask of any messenger ---


class FailureKind(StrEnum):
    """Why a messenger did not do what was asked."""

    UNREACHABLE = "unreachable"
    NOT_ADMIN = "not_admin"
    RATE_LIMITED = "rate_limited"
    RETRY_LATER = "retry_later"
    REFUSED = "refused"


class PortFailure(Exception):
    """A messenger refused or could not do what was asked; subclasses say why."""

    kind: ClassVar[FailureKind] = FailureKind.REFUSED

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class PersonUnreachable(PortFailure):
    """The messenger will not let the bot write to this person until they act."""

    kind = FailureKind.UNREACHABLE


class NotAdmin(PortFailure):
    """The bot is not an administrator of the chat (it cannot list members, read or invite)."""

    kind = FailureKind.NOT_ADMIN


class RateLimited(PortFailure):
    """Too many requests: try again after `retry_after` seconds (None: the messenger did not say)."""

    kind = FailureKind.RATE_LIMITED

    def __init__(self, message: str = "", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RetryLater(PortFailure):
    """The messenger failed this time (network, internal error); the same request may succeed later."""

    kind = FailureKind.RETRY_LATER


class FileTooLarge(PortFailure):
    """A received file is larger than the caller allows (its size said so, or its bytes ran over)."""

    kind = FailureKind.REFUSED


class Sent(BaseModel):
    """What became of a reply: `failure` says why when the text did not go
    (a reply to someone who just wrote rarely fails, and the handler goes on either way);
    `skipped` names the files that could not be uploaded."""

    model_config = ConfigDict(frozen=True)

    chat: ChatRef
    message_id: int | None = None
    skipped: tuple[str, ...] = ()
    failure: FailureKind | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


class MessengerPort(Protocol):
    """Send, edit and answer in one messenger; the adapter lays keyboards out within its limits."""

    messenger: Messenger

    async def send(self, reply: Reply) -> Sent:
        """Send `reply` now, uploading its files first; a file that fails to upload is left out
        (and named in `Sent.skipped`), the text always goes (`Sent.failure` when it could not)."""
        ...

    async def edit(self, edit: Edit) -> None:
        """Replace the text and buttons of a message the bot sent."""
        ...

    async def answer(self, answer: CallbackAnswer) -> None:
        """Answer a button press (a short pop-up text, or just «received»)."""
        ...

    async def upload(self, chat: ChatRef, file: OutFile) -> str:
        """Upload a file for `chat`; returns the adapter's handle to attach. PortFailure on refusal."""
        ...

    async def download(self, file: FileRef, max_bytes: int) -> bytes:
        """The bytes of a file someone sent (`MessageIn.files`), at most `max_bytes` of them:
        FileTooLarge past that, PortFailure (RetryLater) when it cannot be fetched."""
        ...


class MembersPort(Protocol):
    """Who is in a group chat (the bot must be an administrator: NotAdmin otherwise)."""

    async def members(self, chat: ChatRef) -> list[Identity]:
        ...


class ReachCheck(BaseModel):
    """What one reachability check found: external id → may the bot write; how many checks failed."""

    model_config = ConfigDict(frozen=True)

    allowed: dict[int, bool] = {}
    failed: int = 0


class ReachPort(Protocol):
    """Whether the bot may write to people, and the link that starts a dialog with it."""

    async def check(self, external_ids: Sequence[int]) -> ReachCheck:
        """Ask the messenger about each person; failures are counted, never raised."""
        ...

    async def link(self) -> str | None:
        """The link that opens a dialog with the bot (None while the messenger cannot say)."""
        ...


class InviteStore(Protocol):
    """Personal MAX links (storage.invites.InvitesRepo; a fake in tests)."""

    async def issue(self, links: Sequence[tuple[str, int]], org_id: str | None, issued_by: int | None,
                    now: dt.datetime, expires: dt.datetime) -> list[InviteIssued]: ...

    async def redeem(self, token: str, max_id: int, now: dt.datetime) -> Redeemed: ...


class TemplateFileStore(Protocol):
    """A school's own reminder templates file (storage.templates.TemplateFiles)."""

    def path(self, org_id: str) -> Path: ...

    def read(self, org_id: str) -> str | None: ...

    def write(self, org_id: str, text: str) -> Path: ...

    def delete(self, org_id: str) -> bool: ...


class Community:
    """The VK community the bot runs as. Its id comes from the settings, or is learnt from the token
    when the bot starts (the composition root sets it once); readers ask at the moment they need it."""

    def __init__(self, group_id: int = 0) -> None:
        self.group_id = group_id

    def mention(self) -> str:
        """«@club123 » to put before a command in a chat, "" while the id is not known."""
        return f"@club{self.group_id} " if self.group_id else ""


# --- stores: what services ask of storage (storage/ implements them; the composition root injects) ---


class AuditLog(Protocol):
    """The audit log of admin actions (storage.audit.AuditRepo)."""

    async def write(self, *, org_id: str | None, action: str, outcome: str, actor_vk_id: int | None = None,
                    actor: Identity | None = None, target: str | None = None, actor_person_id: int | None = None,
                    details: dict[str, Any] | None = None) -> None:
        """One entry; the actor is `actor` (an account on any messenger) or `actor_vk_id`."""
        ...


class BindingRequests(Protocol):
    """Accounts asking to be roster people, and the accounts that wrote (storage.identity.IdentityRepo)."""

    async def create_request(self, vk_id: int, org_id: str | None, typed_name: str,
                             person_id: int | None, messenger: str = "vk") -> BindingRequest: ...

    async def get(self, request_id: int) -> BindingRequest | None: ...

    async def pending_for(self, vk_id: int, messenger: str = "vk") -> BindingRequest | None: ...

    async def decide(self, request_id: int, approve: bool, decided_by: int, org_id: str | None, *,
                     decided_by_vk: bool = True) -> bool: ...

    async def note_user(self, vk_id: int, first_name: str | None = None, last_name: str | None = None,
                        *, wrote: bool = False, bot: str = ...) -> None: ...


class LiveCountsStore(Protocol):
    """Messages seen in group chats per person and period (storage.live_counts.LiveCountsRepo)."""

    async def count_message(self, vk_id: int, period_by_org: Mapping[str, str], *,
                            max_account: bool = False) -> int: ...

    async def messages(self, person_id: int, period: Period) -> int | None: ...

    async def for_org(self, org_id: str, period: Period) -> dict[int, int]: ...


class ReachStore(Protocol):
    """What each bot knows about writing to each school's people (storage.reach.ReachRepo). `bots`: the bot
    names whose records count, in order (bot.config_bots.school_bots); `bot`: the one that learnt it."""

    async def people(self, org_id: str, person_ids: Sequence[int] | None = None, *,
                     bots: Sequence[str] = ...) -> list[ReachRow]: ...

    async def people_of(self, org_ids: Sequence[str], *, bots: Sequence[str] = ...) -> dict[str, list[ReachRow]]:
        """`people` of several schools whose people `bots` write to, in one read."""
        ...

    async def max_people(self, org_id: str, *, bots: Sequence[str] = ...) -> list[MaxReachRow]: ...

    async def to_check(self, org_id: str, *, everyone: bool = False, bots: Sequence[str] = ...) -> list[int]: ...

    async def apply_checks(self, results: Sequence[tuple[int, bool]], *, bot: str = ...) -> None: ...

    async def allow(self, vk_id: int, *, bot: str = ...) -> None: ...

    async def deny(self, vk_id: int, *, bot: str = ...) -> None: ...
