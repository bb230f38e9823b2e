"""Plain API calls for services: `call(method, params) -> response`, VK errors as VkError."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from vkbottle import API, VKAPIError

ApiCall = Callable[[str, dict[str, Any]], Awaitable[Any]]


class VkError(Exception):
    """An error answer from VK, with its code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def api_call(api: API) -> ApiCall:
    """A call function over `api` that raises VkError instead of vkbottle's exceptions."""

    async def call(method: str, params: dict[str, Any]) -> Any:
        try:
            return (await api.request(method, params))["response"]
        except VKAPIError as exc:
            raise VkError(exc.code, exc.error_msg) from None

    return call
