"""RoutedOutbound: each message through its messenger's sender, answers in order, progress summed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest

from bot.messaging.delivery import RoutedOutbound
from bot.messaging.events import Messenger
from bot.ports import Delivery, OutMessage


class Sender:
    """A fake messenger sender that records what it was given."""

    def __init__(self, messenger: Messenger) -> None:
        self.messenger = messenger
        self.bulk: list[OutMessage] = []
        self.staged: list[OutMessage] = []

    async def reply(self, message: OutMessage) -> Delivery:
        return Delivery(peer_id=message.peer_id, ok=True, messenger=self.messenger)

    async def send_bulk(self, messages: Sequence[OutMessage], *,
                        on_progress: Callable[[int, int], Awaitable[None]] | None = None) -> list[Delivery]:
        self.bulk.extend(messages)
        if on_progress is not None:
            await on_progress(len(messages), len(messages))
        return [Delivery(peer_id=m.peer_id, ok=True, messenger=self.messenger) for m in messages]

    async def enqueue_in(self, conn: Any, messages: Sequence[OutMessage]) -> None:
        self.staged.extend(messages)

    async def resume(self) -> int:
        return 1

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"unexpected call {name}")


def _message(peer: int, messenger: Messenger) -> OutMessage:
    return OutMessage(peer_id=peer, messenger=messenger, text=f"для {peer}", idem_key=f"k{peer}")


async def test_bulk_is_split_by_messenger_and_answered_in_order() -> None:
    """VK and MAX messages go to their own senders; the answers come back in the callers' order."""
    vk, mx = Sender(Messenger.VK), Sender(Messenger.MAX)
    routed = RoutedOutbound(vk, {Messenger.MAX: mx})  # type: ignore[arg-type]
    messages = [_message(1, Messenger.VK), _message(2, Messenger.MAX), _message(3, Messenger.VK)]
    seen: list[tuple[int, int]] = []

    async def progress(done: int, total: int) -> None:
        seen.append((done, total))

    answers = await routed.send_bulk(messages, on_progress=progress)
    assert [(a.peer_id, a.messenger) for a in answers] == [(1, Messenger.VK), (2, Messenger.MAX), (3, Messenger.VK)]
    assert [m.peer_id for m in vk.bulk] == [1, 3] and [m.peer_id for m in mx.bulk] == [2]
    assert max(seen) == (3, 3)
    assert await routed.resume() == 2


async def test_a_messenger_that_does_not_run_gets_nothing() -> None:
    """A MAX message without a MAX sender fails plainly; staging splits by messenger too."""
    vk = Sender(Messenger.VK)
    routed = RoutedOutbound(vk)  # type: ignore[arg-type]
    [answer] = await routed.send_bulk([_message(5, Messenger.MAX)])
    assert not answer.ok and answer.error == "MAX не подключён: нет ключа" and vk.bulk == []
    await routed.enqueue_in(None, [_message(6, Messenger.VK), _message(7, Messenger.MAX)])
    assert [m.peer_id for m in vk.staged] == [6]


class VkSender(Sender):
    """A fake VK community that also uploads."""

    def __init__(self, name: str) -> None:
        super().__init__(Messenger.VK)
        self.name = self.bot = name

    async def upload_document(self, peer_id: int, data: bytes, filename: str) -> str:
        return f"doc:{self.name}:{peer_id}"

    async def upload_photo(self, peer_id: int, data: bytes, filename: str) -> str:
        return f"photo:{self.name}:{peer_id}"


async def test_a_schools_messages_and_uploads_go_through_the_bot_it_names() -> None:
    """School «s» names the «south» community: its messages, replies and uploads go there; the others (and
    messages without a school) through the first; a start-up resume covers every bot."""
    north, south, mx = VkSender("north"), VkSender("south"), Sender(Messenger.MAX)

    def bot_of(messenger: str, org_id: str | None) -> str:
        if messenger == "max":
            return "main"
        return "south" if org_id == "s" else "north"

    routed = RoutedOutbound(north, {Messenger.MAX: mx}, bot_of=bot_of)  # type: ignore[arg-type]
    routed.attach_vk_bot("south", south)  # type: ignore[arg-type]
    school = [m.model_copy(update={"org_id": org}) for m, org in
              ((_message(1, Messenger.VK), "s"), (_message(2, Messenger.VK), "n"), (_message(3, Messenger.VK), None),
               (_message(4, Messenger.MAX), "s"))]
    answers = await routed.send_bulk(school)
    assert [a.peer_id for a in answers] == [1, 2, 3, 4]
    assert [m.peer_id for m in south.bulk] == [1] and [m.peer_id for m in north.bulk] == [2, 3]
    assert [m.peer_id for m in mx.bulk] == [4]
    await routed.enqueue_in(None, school[:2])
    assert [m.peer_id for m in south.staged] == [1] and [m.peer_id for m in north.staged] == [2]
    assert await routed.upload_document(7, b"x", "a.xlsx", org_id="s") == "doc:south:7"
    assert await routed.upload_photo(7, b"x", "a.png") == "photo:north:7"
    assert await routed.resume() == 3


def test_a_school_is_talked_to_through_the_port_of_its_bot() -> None:
    """`port_of`: the port of the bot the school names, else the messenger's first; a plain mapping has one."""
    from bot.messaging.delivery import MessengerPorts, port_of

    first, south, max_port = object(), object(), object()
    ports = MessengerPorts({Messenger.VK: first, Messenger.MAX: max_port},  # type: ignore[dict-item]
                           bot_of=lambda messenger, org: "main" if messenger == "max" else "south" if org == "s" else "north")
    ports.attach_bot(Messenger.VK, "south", south)  # type: ignore[arg-type]
    assert port_of(ports, Messenger.VK, "s") is south
    assert port_of(ports, Messenger.VK, "n") is first and port_of(ports, Messenger.VK, None) is first
    assert port_of(ports, Messenger.MAX, "s") is max_port
    assert port_of({Messenger.VK: first}, Messenger.VK, "s") is first  # type: ignore[dict-item]
    assert port_of(ports, Messenger.VK, "s") is not None and port_of({}, Messenger.MAX, "s") is None


async def test_a_school_whose_bot_is_not_running_gets_nothing_through_another_bot() -> None:
    """School «w» names «west», which is not configured any more: its messages fail saying why, are not staged,
    and its uploads are refused; nothing goes through «north» in its place."""
    from bot.messaging.delivery import MessengerPorts, port_of
    from bot.ports import PortFailure

    north = VkSender("north")

    def bot_of(messenger: str, org_id: str | None) -> str:
        return "west" if org_id == "w" else "north"

    routed = RoutedOutbound(north, bot_of=bot_of)  # type: ignore[arg-type]
    message = _message(1, Messenger.VK).model_copy(update={"org_id": "w"})
    [answer] = await routed.send_bulk([message])
    assert not answer.ok and answer.error == "сообщество ВКонтакте «west» этой школы не подключено: сообщение не отправлено"
    assert not (await routed.reply(message)).ok
    await routed.enqueue_in(None, [message])
    assert north.bulk == [] and north.staged == []
    with pytest.raises(PortFailure, match="«west» не подключено"):
        await routed.upload_document(1, b"x", "a.xlsx", org_id="w")
    first = object()
    ports = MessengerPorts({Messenger.VK: first}, bot_of=bot_of)  # type: ignore[dict-item]
    assert port_of(ports, Messenger.VK, "w") is None and port_of(ports, Messenger.VK, "n") is first
