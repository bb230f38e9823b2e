"""A thin MAX Bot API client over aiohttp: the raw token header, the Минцифры CA, one rate budget,
typed failures keyed on the HTTP status (never on the text of a message)."""

from __future__ import annotations

import json
import ssl
from importlib import resources
from typing import Any

import aiohttp

from bot.max.budget import MaxBudget
from bot.ports import PersonUnreachable, PortFailure, RateLimited, RetryLater
from bot.ratelimit import Priority

DEFAULT_API_URL = "https://platform-api2.max.ru"
UNREACHABLE_TEXT = "человек не запускал бота или остановил его"
NOT_ADMIN_TEXT = "бот не администратор этого чата"
NOT_READY = "attachment.not.ready"

JSON = dict[str, Any]


def ssl_context() -> ssl.SSLContext:
    """The system's trusted roots plus the Минцифры CA, which signs platform-api2.max.ru and its upload hosts."""
    context = ssl.create_default_context()
    pem = resources.files("bot.max").joinpath("data/russian_trusted_ca.pem").read_text(encoding="ascii")
    context.load_verify_locations(cadata=pem)
    return context


class MaxApiError(PortFailure):
    """MAX answered with an error the caller may want to look at (`status`, `code`)."""

    def __init__(self, status: int, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.status = status
        self.code = code


class AttachmentNotReady(RetryLater):
    """An uploaded file is still being processed: send again a little later."""


def failure(status: int, code: str, message: str, *, forbidden: type[PortFailure]) -> PortFailure:
    """An HTTP error answer as a typed failure: 403 means `forbidden` (unreachable person or not admin)."""
    if status == 429:
        return RateLimited(message or "слишком много запросов")
    if status == 403:
        text = UNREACHABLE_TEXT if forbidden is PersonUnreachable else NOT_ADMIN_TEXT
        return forbidden(text)
    if code == NOT_READY:
        return AttachmentNotReady(message)
    if status >= 500:
        return RetryLater(message or f"MAX: ошибка сервера {status}")
    return MaxApiError(status, code, message)


class MaxClient:
    """Calls the MAX Bot API; every call waits for the shared budget first."""

    def __init__(self, token: str, api_url: str = DEFAULT_API_URL, *, budget: MaxBudget | None = None,
                 timeout: float = 35.0) -> None:
        self._token = token
        self.api_url = api_url.rstrip("/")
        self.budget = budget or MaxBudget()
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # The Минцифры CA is trusted besides the system's: never verify=False.
            connector = aiohttp.TCPConnector(ssl=ssl_context())
            self._session = aiohttp.ClientSession(connector=connector, headers={"Authorization": self._token})
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def call(self, verb: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None,
                   chat: int | None = None, priority: Priority = Priority.INTERACTIVE,
                   forbidden: type[PortFailure] = PersonUnreachable, wait: float | None = None) -> JSON:
        """One request; `chat` is the chat a send goes to (its own 2/s budget); `wait` the longest it may
        take (a long poll). PortFailure on error."""
        query = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        async with self.budget.slot(chat, priority):
            try:
                async with self.session.request(
                        verb, self.api_url + path, params=query, json=body,
                        timeout=aiohttp.ClientTimeout(total=wait or self._timeout)) as response:
                    raw = await response.read()
                    status = response.status
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                raise RetryLater(f"MAX недоступен: {exc.__class__.__name__}") from exc
        data = _json(raw)
        if status == 429:
            self.budget.pause(1.0)
        if status != 200:
            raise failure(status, str(data.get("code") or ""), str(data.get("message") or ""), forbidden=forbidden)
        return data

    async def upload_file(self, url: str, name: str, data: bytes) -> JSON:
        """Step two of an upload: the file as multipart field `data` to the URL MAX gave."""
        # The file name goes as UTF-8 text, as curl's `-F data=@файл` sends it (aiohttp would
        # percent-encode it by default, and a Cyrillic name would reach the person as %D0%BC…).
        form = aiohttp.FormData(quote_fields=False)
        form.add_field("data", data, filename=name)
        try:
            async with self.session.post(url, data=form, timeout=aiohttp.ClientTimeout(total=120)) as response:
                raw, status = await response.read(), response.status
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise RetryLater(f"загрузка не удалась: {exc.__class__.__name__}") from exc
        if status != 200:
            raise RetryLater(f"загрузка не удалась: HTTP {status}")
        return _json(raw)


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _json(raw: bytes) -> JSON:
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
