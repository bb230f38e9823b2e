"""The VK adapter's `ReachPort`: messages.isMessagesFromGroupAllowed in execute batches, and the vk.me link."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot.ports import Community, ReachCheck
from bot.vk.rules import EXECUTE_MAX_CALLS, call_code, execute_code

# `call(method, params)` → the "response" part of VK's answer (raises on an API error).
ApiCall = Callable[[str, dict[str, Any]], Awaitable[Any]]
log = logging.getLogger(__name__)


class VkReach:
    """Asks VK whether the community may write to people: up to 25 checks in one `execute`."""

    def __init__(self, call: ApiCall, community: Community) -> None:
        self._call = call
        self._community = community
        self._link: str | None = None

    async def check(self, external_ids: Sequence[int]) -> ReachCheck:
        """A failed request is logged and its people counted as failed, never retried here."""
        group_id = self._community.group_id
        if not group_id:
            return ReachCheck()
        allowed: dict[int, bool] = {}
        failed = 0
        for start in range(0, len(external_ids), EXECUTE_MAX_CALLS):
            chunk = external_ids[start:start + EXECUTE_MAX_CALLS]
            code = execute_code([call_code("messages.isMessagesFromGroupAllowed",
                                           {"group_id": group_id, "user_id": v}) for v in chunk])
            try:
                response = await self._call("execute", {"code": code})
            except Exception as exc:  # an API or network failure leaves these people as they were
                log.warning("не удалось проверить, кому можно писать (isMessagesFromGroupAllowed: %s)", type(exc).__name__)
                failed += len(chunk)
                continue
            results = response if isinstance(response, list) else []
            for index, vk_id in enumerate(chunk):
                item = results[index] if index < len(results) else None
                if isinstance(item, dict) and "is_allowed" in item:
                    allowed[vk_id] = bool(item["is_allowed"])
                else:
                    failed += 1
        return ReachCheck(allowed=allowed, failed=failed)

    async def link(self) -> str:
        """The community's chat link: https://vk.me/<screen name>, or club<id> without one."""
        if self._link is not None:
            return self._link
        group_id = self._community.group_id
        screen = f"club{group_id}"
        try:
            found = await self._call("groups.getById", {"group_id": group_id} if group_id else {})
            groups = found.get("groups") if isinstance(found, dict) else found
            if isinstance(groups, list) and groups and isinstance(groups[0], dict):
                screen = str(groups[0].get("screen_name") or f"club{groups[0].get('id', group_id)}")
                self._link = f"https://vk.me/{screen}"
        except Exception as exc:  # the club<id> link works as well; try the name next time
            log.warning("не удалось узнать адрес сообщества (groups.getById: %s)", type(exc).__name__)
        return self._link or f"https://vk.me/{screen}"
