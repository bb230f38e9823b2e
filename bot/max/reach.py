"""The MAX adapter's `ReachPort`. MAX has no «may the bot write to this person» call (VK's
isMessagesFromGroupAllowed): what the bot knows comes from bot_started, bot_stopped, dialog_removed and
403 answers, kept per bot in `reach` (storage.max_users); the link is the bot's own https://max.ru/<name>."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from bot.ports import ReachCheck

CanWrite = Callable[[int], Awaitable[bool | None]]
BotName = Callable[[], Awaitable[str | None]]


class MaxReach:
    """Answers from what MAX told the bot; people it has heard nothing of are left out (not failed)."""

    def __init__(self, can_write: CanWrite, bot_name: BotName) -> None:
        self._can_write = can_write
        self._bot_name = bot_name

    async def check(self, external_ids: Sequence[int]) -> ReachCheck:
        allowed: dict[int, bool] = {}
        for user_id in external_ids:
            known = await self._can_write(user_id)
            if known is not None:
                allowed[user_id] = known
        return ReachCheck(allowed=allowed)

    async def link(self) -> str | None:
        name = await self._bot_name()
        return f"https://max.ru/{name}" if name else None
