"""aiohttp plumbing shared by the emulators: JSON answers, `/_emu/` handlers, the loopback server."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from emulator_common.control import ControlError
from emulator_common.schema import SchemaViolation

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ControlAction = Callable[[web.Request, dict[str, Any]], Any]
_JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A UTF-8 JSON answer (Cyrillic kept readable)."""
    merged = dict(_JSON_HEADERS)
    if headers:
        merged.update(headers)
    return web.Response(
        body=json.dumps(body, ensure_ascii=False).encode(), status=status, headers=merged
    )


def control_error(message: str, status: int = 400) -> web.Response:
    return json_response({"error": message}, status=status)


def control_handler(action: ControlAction) -> Handler:
    """Wrap a control action: parse a JSON object body, map ControlError to 400."""

    async def handler(request: web.Request) -> web.StreamResponse:
        data: dict[str, Any] = {}
        if request.method == "POST" and request.can_read_body:
            try:
                parsed = await request.json()
            except ValueError:
                return control_error("body must be JSON")
            if parsed is not None and not isinstance(parsed, dict):
                return control_error("body must be a JSON object")
            data = parsed or {}
        try:
            result = action(request, data)
            if isinstance(result, Awaitable):
                result = await result
            return json_response(result)
        except ControlError as error:
            return control_error(str(error))
        except SchemaViolation as violation:
            return json_response(violation.body(), status=500)

    return handler


def path_int(request: web.Request, name: str) -> int:
    try:
        return int(request.match_info[name])
    except ValueError as exc:
        raise ControlError(f"{name} must be an integer") from exc


def query_opt_int(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise ControlError(f"{name} must be an integer") from exc


def query_int(request: web.Request, name: str) -> int:
    value = query_opt_int(request, name)
    if value is None:
        raise ControlError(f"{name} is required")
    return value


def query_float(request: web.Request, name: str, default: float = 0.0) -> float:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ControlError(f"{name} must be a number") from exc


class LoopbackServer:
    """Runs an aiohttp application; port 0 picks a free port (see `base_url`)."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self._runner: web.AppRunner | None = None
        self.host = "127.0.0.1"
        self.port = 0

    @property
    def base_url(self) -> str:
        url_host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{url_host}:{self.port}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Start serving; return the base URL."""
        runner = web.AppRunner(
            self.app,
            access_log=None,
            handle_signals=False,
            # A client that goes away must not keep a held request alive.
            handler_cancellation=True,
            shutdown_timeout=2.0,
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port, reuse_address=True)
        await site.start()
        self._runner = runner
        addresses = runner.addresses
        real_port = addresses[0][1] if addresses else port
        self.host, self.port = host, int(real_port)
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
