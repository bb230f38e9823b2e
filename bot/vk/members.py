"""The VK adapter's `MembersPort`: messages.getConversationMembers, page by page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.messaging.events import ChatRef, Identity, Messenger
from bot.ports import NotAdmin, PortFailure, RetryLater
from bot.vk.messenger import NOT_ADMIN_CODES

ApiCall = Callable[[str, dict[str, Any]], Awaitable[Any]]
PAGE = 200


class VkMembers:
    """Who is in a VK chat: people only (communities, the bot among them, have negative ids).

    VK answers 917 unless the community is an admin of the chat: that is `NotAdmin`;
    any other failure is `RetryLater`.
    """

    def __init__(self, call: ApiCall) -> None:
        self._call = call

    async def members(self, chat: ChatRef) -> list[Identity]:
        found: list[Identity] = []
        offset = 0
        while True:
            try:
                answer = await self._call("messages.getConversationMembers",
                                          {"peer_id": chat.chat_id, "count": PAGE, "offset": offset})
            except Exception as exc:
                code = getattr(exc, "code", None)
                failure: PortFailure = NotAdmin(str(exc)) if code in NOT_ADMIN_CODES else RetryLater(str(exc))
                raise failure from exc
            if not isinstance(answer, dict):
                raise RetryLater(f"unexpected answer {answer!r}")
            items = [i for i in answer.get("items") or [] if isinstance(i, dict)]
            found += [Identity(messenger=Messenger.VK, external_id=int(i["member_id"]))
                      for i in items if int(i.get("member_id", 0)) > 0]
            offset += len(items)
            if not items or offset >= int(answer.get("count", 0)):
                return found
