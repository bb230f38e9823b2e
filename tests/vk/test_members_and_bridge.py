"""The VK adapter's members port and its translation of vkbottle events into neutral ones."""

from __future__ import annotations

from typing import Any

import pytest
from vkbottle import GroupEventType
from vkbottle.bot import Message

from bot.messaging.events import (
    ButtonPressed,
    ChatKind,
    Identity,
    MessageIn,
    Messenger,
    PersonStarted,
    PersonStopped,
)
from bot.messaging.router import Dispatcher, Router
from bot.ports import NotAdmin, RetryLater
from bot.vk.bridge import VkBridge, chat_of, message_in, raw_event_in
from bot.vk.members import VkMembers


class VKError(Exception):
    """What the API raises, with VK's error code."""

    def __init__(self, code: int) -> None:
        super().__init__(f"VK error {code}")
        self.code = code


def pages(total: int, fail: int | None = None) -> Any:
    """A getConversationMembers that pages `total` people plus the community itself (or fails)."""
    members = [{"member_id": -1}] + [{"member_id": 100 + i} for i in range(total)]

    async def call(method: str, params: dict[str, Any]) -> Any:
        assert method == "messages.getConversationMembers"
        if fail is not None:
            raise VKError(fail)
        offset, count = params["offset"], params["count"]
        return {"count": len(members), "items": members[offset:offset + count]}
    return call


async def test_members_are_paged_and_communities_left_out() -> None:
    """450 people over three pages come back as VK identities; the bot's community is not a member."""
    found = await VkMembers(pages(450)).members(chat_of(2_000_000_001))
    assert len(found) == 450 and found[0] == Identity(messenger=Messenger.VK, external_id=100)


@pytest.mark.parametrize(("code", "failure"), [(917, NotAdmin), (10, RetryLater)])
async def test_failures_are_typed(code: int, failure: type[Exception]) -> None:
    """917 (the bot is not an admin) is NotAdmin; any other failure is RetryLater."""
    with pytest.raises(failure):
        await VkMembers(pages(3, fail=code)).members(chat_of(2_000_000_001))


def vk_message(**fields: Any) -> Message:
    """A vkbottle message as the long poll delivers it."""
    base = {"id": 0, "date": 1_700_000_000, "peer_id": 2001, "from_id": 2001, "text": "", "out": 0,
            "conversation_message_id": 5, "fwd_messages": [], "important": False, "is_hidden": False,
            "attachments": [], "random_id": 0, "version": 1}
    return Message(**{**base, **fields})


def test_a_chat_message_addressed_to_the_bot() -> None:
    """«[club1|Бот], сводка» in a chat: a group message whose command is «сводка»; the raw text stays."""
    event = message_in(vk_message(peer_id=2_000_000_003, text="[club1|Бот], сводка", payload='{"cmd":"summary"}'))
    assert event.chat.kind is ChatKind.GROUP and event.chat.chat_id == 2_000_000_003
    assert (event.text, event.command, event.payload) == ("[club1|Бот], сводка", "сводка", '{"cmd":"summary"}')
    assert event.sender == Identity(messenger=Messenger.VK, external_id=2001) and event.message_id == 5


def test_a_private_message_and_a_service_message() -> None:
    """A dialog message has no mention to strip; a service message (someone joined) is marked as such."""
    private = message_in(vk_message(text="Сводка"))
    assert private.chat.kind is ChatKind.DIALOG and private.command == "Сводка" and not private.service
    joined = message_in(vk_message(peer_id=2_000_000_003, action={"type": "chat_invite_user", "member_id": 5}))
    assert joined.service


def test_allow_and_deny_become_started_and_stopped() -> None:
    """message_allow / message_deny are «started» / «stopped»; a malformed update is dropped."""
    started = raw_event_in(GroupEventType.MESSAGE_ALLOW, {"object": {"user_id": 42}})
    stopped = raw_event_in(GroupEventType.MESSAGE_DENY, {"object": {"user_id": 42}})
    assert isinstance(started, PersonStarted) and isinstance(stopped, PersonStopped)
    assert started.sender.external_id == 42 and started.chat.chat_id == 42
    assert raw_event_in(GroupEventType.MESSAGE_ALLOW, {"object": {"user_id": "x"}}) is None


async def test_the_bridge_is_one_labeler_that_feeds_the_dispatcher() -> None:
    """One vkbottle handler per view feeds a message and a press to the dispatcher with the data; a malformed one not."""
    dispatcher = Dispatcher()
    router = Router("probe")
    seen: list[tuple[str, int]] = []

    @router.message()
    async def on_message(event: MessageIn, bot_id: int) -> None:
        seen.append((event.text, bot_id))

    @router.button()
    async def on_press(event: ButtonPressed, bot_id: int) -> None:
        seen.append(("press", bot_id))

    dispatcher.include_router(router)
    labeler = VkBridge(dispatcher, lambda: {"bot_id": 7}).labeler()
    [entry] = labeler.message_view.handlers
    assert sorted(labeler.raw_event_view.handlers) == sorted(
        [GroupEventType.MESSAGE_ALLOW, GroupEventType.MESSAGE_DENY, GroupEventType.MESSAGE_EVENT])
    message = vk_message(text="Сводка")
    found = await entry.filter(message, {})
    assert found and await entry.handle(message, **found) is None
    [press] = labeler.raw_event_view.handlers[GroupEventType.MESSAGE_EVENT]
    body = {"object": {"user_id": 2001, "peer_id": 2001, "event_id": "e1", "payload": {"cmd": "x"}}}
    pressed = await press.handler.filter(body, {})
    assert pressed and await press.handler.handle(body, **pressed) is None
    assert await press.handler.filter({"object": {"user_id": "x"}}, {}) is False
    assert seen == [("Сводка", 7), ("press", 7)]
