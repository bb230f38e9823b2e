"""The async control-API client both emulators' clients build on: session, errors, and the
operations every `/_emu/` has (stats, health, faults, limits, clock, reset, people and chats)."""

from __future__ import annotations

import base64
from typing import Any

import aiohttp

JSON = dict[str, Any]


def file_attachments(kind: str, files: list[tuple[str, bytes]]) -> list[JSON]:
    """(filename, content) pairs as the control API's `say` takes them: base64 in JSON."""
    return [{"type": kind, "filename": name, "content_base64": base64.b64encode(content).decode()}
            for name, content in files]


class ControlAPIError(RuntimeError):
    """The control API answered with an error status."""

    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body
        super().__init__(f"control API error {status}: {body}")


class ControlClient:
    """Typed wrapper around `/_emu/...`; every method returns the parsed JSON answer."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._owns_session = session is None

    async def __aenter__(self) -> Any:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._owns_session = True
        return self._session

    async def _request(
        self,
        method: str,
        path: str,
        json_body: JSON | None = None,
        params: dict[str, str] | None = None,
        timeout_s: float = 30.0,
    ) -> JSON:
        session = self._get_session()
        async with session.request(
            method,
            f"{self.base_url}{path}",
            json=json_body if method == "POST" else None,
            params=params,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
        ) as response:
            body = await response.json(content_type=None)
            if response.status != 200:
                raise ControlAPIError(response.status, body)
            result: JSON = body
            return result

    async def users(self) -> JSON:
        return await self._request("GET", "/_emu/users")

    async def chats(self) -> JSON:
        return await self._request("GET", "/_emu/chats")

    async def stats(self) -> JSON:
        return await self._request("GET", "/_emu/stats")

    async def health(self) -> JSON:
        return await self._request("GET", "/_emu/health")

    async def faults(self, **faults: Any) -> JSON:
        """Replace the whole fault set."""
        return await self._request("POST", "/_emu/faults", faults)

    async def get_faults(self) -> JSON:
        return await self._request("GET", "/_emu/faults")

    async def limits(self, **limits: Any) -> JSON:
        """Replace the limits."""
        return await self._request("POST", "/_emu/limits", limits)

    async def get_limits(self) -> JSON:
        return await self._request("GET", "/_emu/limits")

    async def clock(self, frozen: bool | None = None, advance_s: float | None = None) -> JSON:
        body: JSON = {}
        if frozen is not None:
            body["frozen"] = frozen
        if advance_s is not None:
            body["advance_s"] = advance_s
        return await self._request("POST", "/_emu/clock", body)

    async def get_clock(self) -> JSON:
        return await self._request("GET", "/_emu/clock")

    async def reset(self) -> JSON:
        return await self._request("POST", "/_emu/reset", {})
