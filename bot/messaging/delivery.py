"""One `Outbound` over every messenger: each message goes through its target's messenger's sender.

Services build `OutMessage`s with the target's messenger (`bot.services.addressing` picks it for a
person); the VK and the MAX adapters each keep their own delivery rules (VK: `execute` batches and
`random_id`; MAX: the 'sending' check that replaces an idempotency key).
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

from bot.config_bots import SINGLE_BOT
from bot.domain.ui import Keyboard
from bot.messaging.events import Messenger
from bot.ports import Delivery, MessengerPort, OutMessage, PortFailure

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int], Awaitable[None]]


class MessengerSender(Protocol):
    """What one messenger's adapter offers the outbox (bot.vk.outbound.VkOutbound, bot.max.outbound.MaxOutbound)."""

    async def reply(self, message: OutMessage) -> Delivery: ...

    async def send_bulk(self, messages: Sequence[OutMessage], *,
                        on_progress: ProgressFn | None = None) -> list[Delivery]: ...

    async def enqueue_in(self, conn: Any, messages: Sequence[OutMessage]) -> None: ...

    async def resume(self) -> int: ...


class VkExtras(Protocol):
    """The VK-only calls that still take VK peer ids (progress edits, uploads, callback answers)."""

    # The community's name in the config (`bot.config_bots.SINGLE_BOT` with one community).
    bot: str

    async def edit(self, peer_id: int, conversation_message_id: int, text: str,
                   keyboard: Keyboard | None = None) -> None: ...

    async def upload_document(self, peer_id: int, data: bytes, filename: str, *, org_id: str | None = None,
                              ) -> str: ...

    async def upload_photo(self, peer_id: int, data: bytes, filename: str, *, org_id: str | None = None) -> str: ...

    async def answer_callback(self, event_id: str, user_id: int, peer_id: int,
                              text: str | None = None) -> None: ...


class _VkSender(MessengerSender, VkExtras, Protocol):
    pass


class RoutedOutbound:
    """`bot.ports.Outbound` that sends each message through its messenger's sender.

    A message for a messenger that is not running comes back as a failed Delivery.
    """

    def __init__(self, vk: _VkSender, senders: dict[Messenger, MessengerSender] | None = None, *,
                 bot_of: Callable[[str, str | None], str] | None = None) -> None:
        self._vk = vk
        self._senders: dict[Messenger, MessengerSender] = {Messenger.VK: vk, **(senders or {})}
        # The further bots (several VK communities or MAX bots): a school's messages go through the bot
        # `bot_of(messenger, org_id)` names; the first bot of each messenger is `_senders`'.
        self._bots: dict[tuple[Messenger, str], MessengerSender] = {}
        self._vk_bots: dict[str, _VkSender] = {}
        self._bot_of = bot_of

    def attach(self, messenger: Messenger, sender: MessengerSender) -> None:
        """Add a messenger's sender (the MAX runtime is assembled after the services)."""
        self._senders[messenger] = sender

    def attach_bot(self, messenger: Messenger, bot: str, sender: MessengerSender) -> None:
        """Add a further bot of `messenger`: the schools that name it are written to through `sender`."""
        self._bots[(messenger, bot)] = sender

    def attach_vk_bot(self, bot: str, sender: _VkSender) -> None:
        """Add a further VK community: its schools' messages and uploads go through `sender`."""
        self.attach_bot(Messenger.VK, bot, sender)
        self._vk_bots[bot] = sender

    def _further(self, messenger: Messenger, org_id: str | None) -> str | None:
        """The name of school `org_id`'s bot when it is not the first bot of `messenger` (None: the first)."""
        if self._bot_of is None:
            return None
        name = self._bot_of(messenger.value, org_id)
        return None if name == self._bot_of(messenger.value, None) else name

    def _sender(self, message: OutMessage) -> MessengerSender | None:
        """The sender of the message's school's bot; None when that bot does not run here (not another bot's:
        `bot.missing_bots`)."""
        name = self._further(message.messenger, message.org_id)
        if name is None:
            return self._senders.get(message.messenger)
        return self._bots.get((message.messenger, name)) if message.messenger in self._senders else None

    @property
    def messengers(self) -> frozenset[Messenger]:
        return frozenset(self._senders)

    async def reply(self, message: OutMessage) -> Delivery:
        sender = self._sender(message)
        if sender is None:
            return self._not_running(message)
        return await sender.reply(message)

    async def send_bulk(self, messages: Sequence[OutMessage], *,
                        on_progress: ProgressFn | None = None) -> list[Delivery]:
        """Each sender's share (a messenger's, or a further bot's) is sent by it, side by side; the answers
        come back in order."""
        groups: dict[int, list[int]] = {}
        senders: dict[int, MessengerSender | None] = {}
        for index, message in enumerate(messages):
            sender = self._sender(message)
            groups.setdefault(id(sender), []).append(index)
            senders[id(sender)] = sender
        results: list[Delivery | None] = [None] * len(messages)
        done: dict[int, int] = {}
        total = len(messages)

        def progress_of(key: int) -> ProgressFn | None:
            if on_progress is None:
                return None
            if len(groups) == 1:
                return on_progress

            async def report(count: int, _total: int) -> None:
                # Counts are of the sender's rows (a long text is several), as with one messenger.
                done[key] = count
                await on_progress(sum(done.values()), total)
            return report

        async def one(key: int, indices: list[int]) -> None:
            share = [messages[i] for i in indices]
            sender = senders[key]
            if sender is None:
                answers = [self._not_running(m) for m in share]
            elif on_progress is None:
                answers = await sender.send_bulk(share)
            else:
                answers = await sender.send_bulk(share, on_progress=progress_of(key))
            for i, answer in zip(indices, answers, strict=True):
                results[i] = answer

        await asyncio.gather(*(one(k, idx) for k, idx in groups.items()))
        return [r for r in results if r is not None]

    async def enqueue_in(self, conn: Any, messages: Sequence[OutMessage]) -> None:
        shares: dict[int, list[OutMessage]] = {}
        senders: dict[int, MessengerSender] = {}
        for message in messages:
            sender = self._sender(message)
            if sender is not None:
                shares.setdefault(id(sender), []).append(message)
                senders[id(sender)] = sender
            else:
                # Not stored: the send that follows reports it failed, and why (`_not_running`).
                log.info("сообщение для %s не поставлено в очередь: %s", message.peer_id,
                         self._not_running(message).error)
        for key, share in shares.items():
            await senders[key].enqueue_in(conn, share)

    async def resume(self) -> int:
        """Deliver what each running bot's share of the outbox holds (at start)."""
        counts = await asyncio.gather(*(s.resume() for s in [*self._senders.values(), *self._bots.values()]))
        return sum(counts)

    async def edit(self, peer_id: int, conversation_message_id: int, text: str,
                   keyboard: Keyboard | None = None, *, bot: str | None = None) -> None:
        """Edit a VK message through the community that sent it (`bot`: the event's; None: the first)."""
        await self._vk_named(bot).edit(peer_id, conversation_message_id, text, keyboard)

    def _vk_named(self, bot: str | None) -> _VkSender:
        """The VK community named `bot` (None: the first). A message or a button press belongs to the community
        whose dialog it is in: no other may edit or answer it, so a community that is not running is an error."""
        if bot is None or bot == self._vk.bot:
            return self._vk
        found = self._vk_bots.get(bot)
        if found is None:
            raise PortFailure(f"сообщество ВКонтакте «{bot}» не подключено, "
                              "а другое сообщество этого за него не сделает")
        return found

    def _vk_of(self, org_id: str | None) -> _VkSender:
        """The VK community that writes to school `org_id` (the first one unless the school names another)."""
        return self._vk_named(self._further(Messenger.VK, org_id))

    def _not_running(self, message: OutMessage) -> Delivery:
        """A failed Delivery for a message whose messenger, or whose school's bot, does not run here."""
        name = self._further(message.messenger, message.org_id)
        if name is None or message.messenger not in self._senders:
            return _not_running(message)
        what = (f"сообщество ВКонтакте «{name}» этой школы не подключено" if message.messenger is Messenger.VK
                else f"бот MAX «{name}» этой школы не подключён")
        return Delivery(peer_id=message.peer_id, ok=False, person_id=message.person_id, messenger=message.messenger,
                        error=f"{what}: сообщение не отправлено")

    async def upload_document(self, peer_id: int, data: bytes, filename: str, *, org_id: str | None = None) -> str:
        return await self._vk_of(org_id).upload_document(peer_id, data, filename)

    async def upload_photo(self, peer_id: int, data: bytes, filename: str, *, org_id: str | None = None) -> str:
        return await self._vk_of(org_id).upload_photo(peer_id, data, filename)

    async def answer_callback(self, event_id: str, user_id: int, peer_id: int,
                              text: str | None = None, *, bot: str | None = None) -> None:
        """Answer a button press through the community it was pressed in (`bot`: the event's; None: the first)."""
        await self._vk_named(bot).answer_callback(event_id, user_id, peer_id, text)


class MessengerPorts(dict[Messenger, MessengerPort]):
    """Each running messenger's port (its first bot's) and, with several bots, each further bot's: a school's
    people are talked to through the port of the bot the school names (`port_of`)."""

    def __init__(self, ports: Mapping[Messenger, MessengerPort] | None = None, *,
                 bot_of: Callable[[str, str | None], str] | None = None) -> None:
        super().__init__(ports or {})
        self.bots: dict[tuple[Messenger, str], MessengerPort] = {}
        self.bot_of = bot_of

    def attach_bot(self, messenger: Messenger, bot: str, port: MessengerPort) -> None:
        """Add a further bot's port: the schools that name it are talked to through it."""
        self.bots[(messenger, bot)] = port


def port_of(ports: Mapping[Messenger, MessengerPort], messenger: Messenger, org_id: str | None) -> MessengerPort | None:
    """The port through which school `org_id`'s people are talked to in `messenger` (None: it does not run, or
    the school's bot does not: no other bot speaks for it, `bot.missing_bots`)."""
    if isinstance(ports, MessengerPorts) and ports.bot_of is not None:
        name = ports.bot_of(messenger.value, org_id)
        if name != ports.bot_of(messenger.value, None):
            return ports.bots.get((messenger, name))
    return ports.get(messenger)


def port_named(ports: Mapping[Messenger, MessengerPort], messenger: Messenger, bot: str | None,
               org_id: str | None) -> MessengerPort | None:
    """The port of the bot named `bot` in `messenger` (a further bot's, else the default bot's); without a name,
    the port of school `org_id`'s bot (`port_of`)."""
    if bot is None:
        return port_of(ports, messenger, org_id)
    if isinstance(ports, MessengerPorts):
        found = ports.bots.get((messenger, bot))
        if found is not None:
            return found
    return ports.get(messenger)


def _not_running(message: OutMessage) -> Delivery:
    name = "MAX" if message.messenger is Messenger.MAX else "ВКонтакте"
    return Delivery(peer_id=message.peer_id, ok=False, error=f"{name} не подключён: нет ключа",
                    person_id=message.person_id, messenger=message.messenger)


# --- the outbox half both adapters share -------------------------------------------------------


class _Keyed(Protocol):
    @property
    def idem_key(self) -> str: ...


NewRow = TypeVar("NewRow", bound=_Keyed)
StoredRow = TypeVar("StoredRow", bound=_Keyed)


class _Progress:
    """Counts the finished rows of one send_bulk call."""

    def __init__(self, keys: set[str], callback: ProgressFn | None) -> None:
        self.keys = keys
        self.done = 0
        self.callback = callback


class OutboxClaimsPort(Protocol):
    """`storage.claims.OutboxClaims`: this worker's claims on outbox rows."""

    async def claim(self, messenger: str, *, after_id: int = 0, limit: int = 1000,
                    statuses: Sequence[str] = ("pending",), bots: Sequence[str] | None = None) -> list[Any]: ...

    lease: float

    async def release(self, row_ids: Sequence[int]) -> None: ...

    async def renew(self, row_ids: Sequence[int]) -> set[int]: ...

    def fence(self) -> tuple[str, int]: ...

    async def held_elsewhere(self, messenger: str, peers: Sequence[int], before: int,
                             statuses: Sequence[str] = ("pending",),
                             bots: Sequence[str] | None = None) -> dict[int, int]: ...

    async def any_left(self, messenger: str, statuses: Sequence[str] = ("pending",),
                       bots: Sequence[str] | None = None) -> bool: ...


class OutboxSender(ABC, Generic[NewRow, StoredRow]):
    """What VK's and MAX's outbox senders share: store a bulk send's rows, drain the outbox until
    nothing is left to try (waiting longer after each pass that left some), count the finished rows
    for each caller's progress, and read the stored rows back as one Delivery per message.

    An adapter says how a message becomes rows (`_rows`), how one pass delivers (`_pass`) and
    what its stored rows mean (`_delivery`); it calls `_init_outbox` from its constructor and
    `_finished(keys)` as rows finish.
    """

    # The adapter's outbox repository (storage/outbox.py): enqueue, enqueue_in, rearm_failed, by_keys.
    _outbox: Any
    _retry_base: float
    _sleep: Callable[[float], Awaitable[Any]]
    # A caller's progress is told when the count of finished rows passes a multiple of this (and at the end).
    progress_every = 1
    # The bot whose rows this sender stores, and the bots whose stored rows it sends (see `serve_as`).
    bot = SINGLE_BOT
    bots: tuple[str, ...] = (SINGLE_BOT,)
    # Several workers on PostgreSQL: `storage.claims.OutboxClaims` of this worker (None: this process
    # alone sends the outbox, as on SQLite).
    claims: OutboxClaimsPort | None = None
    # How the lease heartbeat waits between renewals (`bot.messaging.leases`); tests drive it with their clock.
    lease_sleep: Callable[[float], Awaitable[Any]] = staticmethod(asyncio.sleep)
    # The messenger whose outbox rows this sender drains, and the statuses it still has to finish.
    messenger_name = "vk"
    unfinished: tuple[str, ...] = ("pending",)

    def _init_outbox(self) -> None:
        self._drain_lock = asyncio.Lock()
        self._progress: list[_Progress] = []

    def serve_as(self, bot: str, *, first: bool) -> None:
        """Send as the bot named `bot` of several; the first one also sends the rows stored before bots had
        names (SINGLE_BOT)."""
        self.bot = bot
        self.bots = tuple(dict.fromkeys((bot, SINGLE_BOT) if first else (bot,)))

    @abstractmethod
    def _rows(self, message: OutMessage) -> list[NewRow]:
        """The outbox rows of one message (a long text is several); refuses what cannot be sent."""

    def _all_rows(self, messages: Sequence[OutMessage]) -> list[list[NewRow]]:
        """Each message's rows, before anything is stored."""
        return [self._rows(m) for m in messages]

    @abstractmethod
    def _delivery(self, message: OutMessage, rows: Sequence[StoredRow | None]) -> Delivery:
        """What the stored rows of one message say of its delivery."""

    @abstractmethod
    async def _pass(self) -> bool:
        """One pass over the rows left to send; True if some are still left afterwards."""

    async def enqueue_in(self, conn: Any, messages: Sequence[OutMessage]) -> None:
        """Store the messages in the outbox inside the caller's transaction, without sending.

        They go out with the next `send_bulk` of the same messages or `resume()` (at start),
        so a crash right after the caller's commit cannot lose them.
        """
        await self._outbox.enqueue_in(conn, [row for rows in self._all_rows(messages) for row in rows])

    async def send_bulk(self, messages: Sequence[OutMessage], *,
                        on_progress: ProgressFn | None = None) -> list[Delivery]:
        """Store the messages in the outbox, deliver each exactly once, report each.

        Returns one Delivery per message, in order (a split message is ok when all its
        parts are). Messages already delivered under the same idem_key are not sent
        again; ones that failed before are tried again. `on_progress(done, total)` is
        awaited as rows finish.
        """
        planned = self._all_rows(messages)  # a refusal (a keyboard too large) before anything is stored
        flat = [row for rows in planned for row in rows]
        await self._outbox.enqueue(flat)
        await self._outbox.rearm_failed([row.idem_key for row in flat])
        progress = _Progress({row.idem_key for row in flat}, on_progress)
        self._progress.append(progress)
        try:
            await self._drain()
        finally:
            self._progress.remove(progress)
        stored = await self._outbox.by_keys([row.idem_key for row in flat])
        return [self._delivery(m, [stored.get(r.idem_key) for r in rows])
                for m, rows in zip(messages, planned, strict=True)]

    async def _drain(self) -> None:
        """Pass over the outbox until nothing is left to try; after a pass that left some, wait longer."""
        async with self._drain_lock:
            round_no = 0
            while await self._pass() or await self._left_elsewhere():
                round_no += 1
                await self._sleep(min(10.0, self._retry_base * 2 ** (round_no - 1)))

    async def sweep(self) -> bool:
        """With workers sharing the outbox: send what it holds unfinished that no live worker is sending
        (quietly, and by an indexed look-up: it runs every second); whether there was any."""
        if self.claims is None or not await self.claims.any_left(self.messenger_name, self.unfinished, self.bots):
            return False
        await self._drain()
        return True

    async def _left_elsewhere(self) -> bool:
        """With workers sharing the outbox: whether unfinished rows are left that this pass could not take
        (another worker holds them, or gave them back). The caller waits for them to be told how they
        went; rows of a worker that died come back after its lease, and this one sends them."""
        return self.claims is not None and await self.claims.any_left(self.messenger_name, self.unfinished, self.bots)

    async def _finished(self, keys: Sequence[str]) -> None:
        """Rows finished (sent, or given up): each caller whose rows they are hears of its progress."""
        for progress in list(self._progress):
            gained = sum(1 for key in keys if key in progress.keys)
            if not gained:
                continue
            before, progress.done = progress.done, progress.done + gained
            total = len(progress.keys)
            if progress.callback is None:
                continue
            if progress.done // self.progress_every > before // self.progress_every or progress.done == total:
                try:
                    await progress.callback(progress.done, total)
                except Exception:  # a progress display must never stop a send
                    log.exception("не удалось сообщить о ходе отправки")
