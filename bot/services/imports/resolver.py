"""VK screen names (vk.com/ivanova_a) in a table, resolved to VK ids through the API."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

ScreenNameResolver = Callable[[str], Awaitable[int | None]]
ApiRequest = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
log = logging.getLogger(__name__)
# Screen names cost an API call each (utils.resolveScreenName): a bounded number per file.
MAX_RESOLVE = 500


def vk_screen_name_resolver(request: ApiRequest) -> ScreenNameResolver:
    """A resolver over an API `request(method, params)` (utils.resolveScreenName); users only."""

    async def resolve(screen_name: str) -> int | None:
        try:
            answer = await request("utils.resolveScreenName", {"screen_name": screen_name})
        except Exception as exc:  # any API or network failure leaves the name unresolved, reported
            log.warning("не удалось узнать id страницы vk.com/%s: %s", screen_name, type(exc).__name__)
            return None
        found = answer.get("response") if isinstance(answer, dict) else None
        if isinstance(found, dict) and found.get("type") == "user" and isinstance(found.get("object_id"), int):
            return int(found["object_id"])
        return None

    return resolve


class ScreenNames:
    """One import's lookups: each name once, at most MAX_RESOLVE names (each is an API call)."""

    def __init__(self, resolve: ScreenNameResolver | None) -> None:
        self._resolve = resolve
        self._cache: dict[str, int | None] = {}

    @property
    def available(self) -> bool:
        """Whether names can be resolved at all (a VK token is configured)."""
        return self._resolve is not None

    async def get(self, screen: str) -> int | None:
        """The VK id of the screen name, or None."""
        if screen not in self._cache:
            if self._resolve is None or len(self._cache) >= MAX_RESOLVE:
                return None
            self._cache[screen] = await self._resolve(screen)
        return self._cache[screen]


def unresolved(screen: str, with_token: bool) -> str:
    """The problem's reason for a screen name that stayed unresolved."""
    if with_token:
        return f"страница vk.com/{screen} не найдена (или проверено слишком много адресов за раз) — человек записан без VK"
    return (f"не удалось узнать id страницы vk.com/{screen}: без ключа доступа VK короткие адреса "
            "не проверить — укажите vk.com/id…; человек записан без VK")
