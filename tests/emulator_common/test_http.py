"""The shared aiohttp plumbing: the loopback server and control handlers."""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp import web

from emulator_common.control import ControlError
from emulator_common.http import LoopbackServer, control_handler, json_response
from emulator_common.schema import SchemaViolation


def _action(request: web.Request, data: dict[str, Any]) -> Any:
    if data.get("fail") == "control":
        raise ControlError("bad field")
    if data.get("fail") == "schema":
        raise SchemaViolation("answer", ["x: wrong"])
    return {"echo": data}


async def test_control_handler_answers() -> None:
    """JSON in and out; ControlError is 400, a schema violation 500, a non-object body 400."""
    app = web.Application()
    app.router.add_post("/c", control_handler(_action))
    app.router.add_get("/j", _json)
    server = LoopbackServer(app)
    base = await server.start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.post(base + "/c", json={"a": "ё"}) as response:
                assert (response.status, await response.json()) == (200, {"echo": {"a": "ё"}})
            async with session.post(base + "/c", json={"fail": "control"}) as response:
                assert (response.status, await response.json()) == (400, {"error": "bad field"})
            async with session.post(base + "/c", json={"fail": "schema"}) as response:
                assert response.status == 500
                assert (await response.json())["where"] == "answer"
            async with session.post(base + "/c", json=[1]) as response:
                assert response.status == 400
            async with session.post(base + "/c", data=b"{oops") as response:
                assert response.status == 400
            async with session.get(base + "/j") as response:
                assert response.headers["Content-Type"].startswith("application/json")
    finally:
        await server.stop()
    assert server.port > 0


async def _json(request: web.Request) -> web.Response:
    return json_response({"ok": True})
