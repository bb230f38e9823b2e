"""One `Outbound` over every messenger: each message goes through its target's messenger's sender.

Services build `OutMessage`s with the target's messenger (`bot.services.addressing` picks it for a
person); the VK and the MAX adapters each keep their own delivery rules (VK: `execute` batches and
`random_id`; MAX: the 'sending' check that replaces an idempotency key).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from bot.domain.ui import Keyboard
from bot.messaging.events import Messenger
from bot.ports import Delivery, OutMessage

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

    async def edit(self, peer_id: int, conversation_message_id: int, text: str,
                   keyboard: Keyboard | None = None) -> None: ...

    async def upload_document(self, peer_id: int, data: bytes, filename: str) -> str: ...

    async def upload_photo(self, peer_id: int, data: bytes, filename: str) -> str: ...

    async def answer_callback(self, event_id: str, user_id: int, peer_id: int,
                              text: str | None = None) -> None: ...


class _VkSender(MessengerSender, VkExtras, Protocol):
    pass


class RoutedOutbound:
    """`bot.ports.Outbound` that sends each message through its messenger's sender.

    A message for a messenger that is not running comes back as a failed Delivery.
    """

    def __init__(self, vk: _VkSender, senders: dict[Messenger, MessengerSender] | None = None) -> None:
        self._vk = vk
        self._senders: dict[Messenger, MessengerSender] = {Messenger.VK: vk, **(senders or {})}

    def attach(self, messenger: Messenger, sender: MessengerSender) -> None:
        """Add a messenger's sender (the MAX runtime is assembled after the services)."""
        self._senders[messenger] = sender

    @property
    def messengers(self) -> frozenset[Messenger]:
        return frozenset(self._senders)

    async def reply(self, message: OutMessage) -> Delivery:
        sender = self._senders.get(message.messenger)
        if sender is None:
            return _not_running(message)
        return await sender.reply(message)

    async def send_bulk(self, messages: Sequence[OutMessage], *,
                        on_progress: ProgressFn | None = None) -> list[Delivery]:
        """Each messenger's share is sent by its sender, side by side; the answers come back in order."""
        groups: dict[Messenger, list[int]] = {}
        for index, message in enumerate(messages):
            groups.setdefault(message.messenger, []).append(index)
        results: list[Delivery | None] = [None] * len(messages)
        done: dict[Messenger, int] = {}
        total = len(messages)

        def progress_of(messenger: Messenger) -> ProgressFn | None:
            if on_progress is None:
                return None
            if len(groups) == 1:
                return on_progress

            async def report(count: int, _total: int) -> None:
                # Counts are of the sender's rows (a long text is several), as with one messenger.
                done[messenger] = count
                await on_progress(sum(done.values()), total)
            return report

        async def one(messenger: Messenger, indices: list[int]) -> None:
            share = [messages[i] for i in indices]
            sender = self._senders.get(messenger)
            if sender is None:
                answers = [_not_running(m) for m in share]
            elif on_progress is None:
                answers = await sender.send_bulk(share)
            else:
                answers = await sender.send_bulk(share, on_progress=progress_of(messenger))
            for i, answer in zip(indices, answers, strict=True):
                results[i] = answer

        await asyncio.gather(*(one(m, idx) for m, idx in groups.items()))
        return [r for r in results if r is not None]

    async def enqueue_in(self, conn: Any, messages: Sequence[OutMessage]) -> None:
        for messenger, sender in self._senders.items():
            share = [m for m in messages if m.messenger is messenger]
            if share:
                await sender.enqueue_in(conn, share)

    async def resume(self) -> int:
        """Deliver what each running messenger's share of the outbox holds (at start)."""
        counts = await asyncio.gather(*(s.resume() for s in self._senders.values()))
        return sum(counts)

    async def edit(self, peer_id: int, conversation_message_id: int, text: str,
                   keyboard: Keyboard | None = None) -> None:
        await self._vk.edit(peer_id, conversation_message_id, text, keyboard)

    async def upload_document(self, peer_id: int, data: bytes, filename: str) -> str:
        return await self._vk.upload_document(peer_id, data, filename)

    async def upload_photo(self, peer_id: int, data: bytes, filename: str) -> str:
        return await self._vk.upload_photo(peer_id, data, filename)

    async def answer_callback(self, event_id: str, user_id: int, peer_id: int,
                              text: str | None = None) -> None:
        await self._vk.answer_callback(event_id, user_id, peer_id, text)


def _not_running(message: OutMessage) -> Delivery:
    name = "MAX" if message.messenger is Messenger.MAX else "ВКонтакте"
    return Delivery(peer_id=message.peer_id, ok=False, error=f"{name} не подключён: нет ключа",
                    person_id=message.person_id, messenger=message.messenger)
