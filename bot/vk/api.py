"""vkbottle's API with one rate budget per token, bounded retries and safe sends.

Every call the bot makes goes through `RateLimitedAPI.request`, including vkbottle's
own (Message.answer, uploaders, polling set-up), so one limiter keeps the whole
process under VK's 20 requests/s. Calls are interactive unless made inside
`bot.ratelimit.priority(Priority.BULK)`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from vkbottle import API
from vkbottle.api.request_rescheduler import ABCRequestRescheduler
from vkbottle.exception_factory import VKAPIError
from vkbottle.http import ABCHTTPClient

from bot.config import Settings
from bot.ratelimit import RateLimiter, current_priority
from bot.vk.rules import NETWORK_ERROR, RANDOM_ID_MASK, RETRY_CODES, backoff

log = logging.getLogger(__name__)

# Extra hold on each rate slot, for the skew between our clock and VK's window.
RATE_MARGIN_S = 0.002
# A request is assumed to reach VK within this long after it starts, however long its
# answer takes (execute with 25 sends is slow to answer, not slow to arrive).
MAX_UPLINK_S = 0.25


class NetworkError(aiohttp.ClientConnectionError):
    """No usable answer from VK: a timeout, a reset connection, HTTP 5xx or not JSON.

    A ClientConnectionError, so code that already retries aiohttp's connection
    errors (vkbottle's polling, start-up retries) treats it the same way.
    """

    code = NETWORK_ERROR


def network_reason(exc: BaseException) -> str:
    """Why VK could not be reached, in a few Russian words for the log or the operator."""
    text = f"{type(exc).__name__} {exc}"
    if isinstance(exc, TimeoutError) or "Timeout" in text:
        return "истекло время ожидания ответа"
    if "not JSON" in text:
        return "ответ не похож на ответ API"
    if "ServerDisconnected" in text or "ClientResponseError" in text:
        return "сервер оборвал соединение"
    return "нет соединения"


class _RaiseRescheduler(ABCRequestRescheduler):
    """vkbottle's default rescheduler retries a non-JSON answer forever; we retry in request()."""

    async def reschedule(self, ctx_api: Any, method: str, data: dict[str, Any],
                         recent_response: Any) -> dict[str, Any]:
        raise NetworkError(f"{method}: VK answered with something that is not JSON")


class RateLimitedAPI(API):
    """An API whose every request waits for a rate slot and retries what is safe to retry.

    Retried, with backoff, at most `max_attempts` times in all: errors 6, 9 and 10 and
    network faults. A messages.send without a random_id gets a random one first, so
    that repeating it after a lost answer cannot deliver it twice.
    """

    def __init__(self, token: str, *, limiter: RateLimiter,
                 http_client: ABCHTTPClient | None = None, max_attempts: int = 4,
                 backoff_base: float = 0.25, request_timeout: float = 30.0,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        super().__init__(token, http_client=http_client, request_rescheduler=_RaiseRescheduler())
        self.limiter = limiter
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.request_timeout = request_timeout
        self._sleep = sleep
        self.retries = 0

    async def request(self, method: str, data: dict[str, Any],
                      version: str | None = None) -> dict[str, Any]:
        """One API call: rate slot, HTTP, validation; retried on 6/9/10 and network faults."""
        data = await self.validate_request(data)
        if method == "messages.send" and not _int(data.get("random_id")):
            data["random_id"] = secrets.randbelow(RANDOM_ID_MASK) + 1
        prio = current_priority()
        attempt = 0
        while True:
            attempt += 1
            try:
                async with self.limiter.slot(prio):
                    raw = await self._post(method, data, version)
                return await self._validate(method, data, raw)  # type: ignore[no-any-return]
            except VKAPIError as exc:
                code = exc.code
                if code not in RETRY_CODES or attempt >= self.max_attempts:
                    raise
                if code == 6:
                    # Our count and VK's disagree: give the window a moment to clear.
                    self.limiter.pause(self.limiter.interval * 2)
            except NetworkError:
                if attempt >= self.max_attempts:
                    raise
                code = NETWORK_ERROR
            self.retries += 1
            delay = backoff(attempt, self.backoff_base) * random.uniform(0.8, 1.2)  # noqa: S311
            log.debug("%s failed with %s, retry %d in %.2f s", method, code, attempt, delay)
            await self._sleep(delay)

    async def _post(self, method: str, data: dict[str, Any], version: str | None) -> Any:
        async with self.token_generator as token:
            # The token goes in the form body, never in a URL that an error message may quote.
            form = {**data, "access_token": token, "v": version or self.API_VERSION}
            try:
                async with asyncio.timeout(self.request_timeout):
                    text = await self.http_client.request_text(
                        self.API_URL + method, method="POST", data=form)
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                raise NetworkError(f"{method}: {type(exc).__name__}") from exc
        try:
            return json.loads(text)
        except (TypeError, ValueError):
            raise NetworkError(f"{method}: VK answered with something that is not JSON") from None

    async def _validate(self, method: str, data: dict[str, Any], raw: Any) -> Any:
        if isinstance(raw, dict) and "error" in raw:
            # validate_response pops error_code; keep the parsed body intact for logs.
            raw = {**raw, "error": dict(raw["error"])}
        return await self.validate_response(method, data, raw)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def make_api(settings: Settings, api_url: str | None = None, *,
             http_client: ABCHTTPClient | None = None) -> RateLimitedAPI:
    """The process's one API for the community token, rate-limited to settings.vk.rps."""
    url = api_url or settings.vk.api_url
    limiter = RateLimiter(settings.vk.rps, margin=RATE_MARGIN_S, max_hold=MAX_UPLINK_S)
    api = RateLimitedAPI(settings.token, limiter=limiter, http_client=http_client)
    api.API_URL = url if url.endswith("/") else url + "/"
    api.API_VERSION = settings.vk.api_version
    return api
