"""The aiohttp server: the Bot API at the root, the upload host, downloads and `/_emu/`."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import BodyPartReader, web

from emulator_common.control import ControlError
from emulator_common.faults import roll
from emulator_common.http import (
    Handler,
    LoopbackServer,
    control_error,
    control_handler,
    json_response,
    path_int,
    query_float,
    query_int,
    query_opt_int,
)
from emulator_common.schema import SchemaViolation
from max_emulator.api import BotApi
from max_emulator.client import MaxEmulatorControl
from max_emulator.control import Control
from max_emulator.core import MaxCore
from max_emulator.schema import Operation, param_kind
from max_emulator.world import ApiError, bad_request

log = logging.getLogger("max_emulator")


class MaxEmulator:
    """A local MAX Bot API emulator on loopback.

    `state` is the in-process world (`MaxCore`), `ops` its `/_emu/` operations usable without
    HTTP, `api` the Bot API operations; `control()` gives an HTTP client of `/_emu/`."""

    def __init__(
        self,
        token: str = "t",
        bot_id: int = 1000,
        *,
        validate: bool = True,
        seed: int | None = None,
        rps: int | None = 30,
    ) -> None:
        self.state = MaxCore(token, bot_id, validate=validate, seed=seed)
        self.state.limits.rps = rps
        self._default_rps = rps
        self.api = BotApi(self.state)
        self.ops = Control(self.state, self.api)
        self.app = self._build_app()
        self._server = LoopbackServer(self.app)

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def token(self) -> str:
        return self.state.token

    @property
    def bot_id(self) -> int:
        return self.state.bot_id

    @property
    def base_url(self) -> str:
        return self.state.base_url

    @property
    def port(self) -> int:
        return self._server.port

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Start serving; with port 0 a free port is chosen (see `base_url`)."""
        self.state.updates.closing = False
        self.state.base_url = await self._server.start(host, port)
        self.state.webhooks.start()

    async def stop(self) -> None:
        """Release held requests, stop webhook delivery, then the server."""
        self.state.shutdown()
        await self.state.webhooks.stop()
        await self._server.stop()

    async def __aenter__(self) -> MaxEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def control(self) -> MaxEmulatorControl:
        """A control-API client for this emulator (close it, or use `async with`)."""
        return MaxEmulatorControl(self.base_url)

    def seed_users(self, users: list[dict[str, Any]]) -> None:
        """Create people as `POST /_emu/users` would."""
        self.ops.seed_users(users)

    def reset(self) -> dict[str, Any]:
        result = self.state.reset()
        self.state.limits.rps = self._default_rps
        return result

    # -- app ----------------------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=256 * 1024 * 1024, middlewares=[self._errors])
        add = app.router.add_route
        for (verb, template), _operation in self.api.routes.items():
            add(verb, template, self._bot_api(verb, template))
        add("POST", "/upload/{slot}", self._upload)
        add("GET", "/files/{token}/{filename}", self._download)
        c, s = self.ops, self.state

        def ctl(action: Any) -> Handler:
            return control_handler(action)

        add("GET", "/_emu/users", ctl(lambda r, d: c.list_users()))
        add("POST", "/_emu/users", ctl(lambda r, d: c.add_user(d)))
        add("POST", "/_emu/users/{id}/start", ctl(lambda r, d: c.start(path_int(r, "id"), d)))
        add("POST", "/_emu/users/{id}/stop", ctl(lambda r, d: c.stop(path_int(r, "id"))))
        add("POST", "/_emu/users/{id}/dialog", ctl(lambda r, d: c.dialog(path_int(r, "id"), d)))
        add("POST", "/_emu/edit", ctl(lambda r, d: c.edit(d)))
        add("POST", "/_emu/unsend", ctl(lambda r, d: c.unsend(d)))
        add("POST", "/_emu/chats/{id}/title", ctl(lambda r, d: c.set_title(path_int(r, "id"), d)))
        add("GET", "/_emu/chats", ctl(lambda r, d: c.list_chats()))
        add("POST", "/_emu/chats", ctl(lambda r, d: c.add_chat(d)))
        add("POST", "/_emu/chats/{id}/join", ctl(lambda r, d: c.join(path_int(r, "id"), d)))
        add("POST", "/_emu/chats/{id}/leave", ctl(lambda r, d: c.leave(path_int(r, "id"), d)))
        add("POST", "/_emu/chats/{id}/bot", ctl(lambda r, d: c.set_bot(path_int(r, "id"), d)))
        add("POST", "/_emu/say", ctl(lambda r, d: c.say(d)))
        add("POST", "/_emu/press", ctl(lambda r, d: c.press(d)))
        add("GET", "/_emu/sent", self._sent)
        add("GET", "/_emu/answers", self._answers)
        add("GET", "/_emu/stats", ctl(lambda r, d: s.stats.as_dict()))
        add("GET", "/_emu/faults", ctl(lambda r, d: s.faults.as_dict()))
        add("POST", "/_emu/faults", ctl(lambda r, d: c.set_faults(d)))
        add("GET", "/_emu/limits", ctl(lambda r, d: s.limits.as_dict()))
        add("POST", "/_emu/limits", ctl(lambda r, d: c.set_limits(d)))
        add("GET", "/_emu/clock", ctl(lambda r, d: s.clock.as_dict()))
        add("POST", "/_emu/clock", ctl(lambda r, d: c.set_clock(d)))
        add("POST", "/_emu/reset", ctl(lambda r, d: self.reset()))
        add("GET", "/_emu/longpoll", self._poller)
        add("GET", "/_emu/webhooks", self._webhooks)
        add("GET", "/_emu/subscriptions", self._subscriptions)
        add(
            "GET",
            "/_emu/health",
            ctl(lambda r, d: {"ok": True, "schema_violations": list(s.schema_violations)}),
        )
        return app

    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Unknown paths 404 and wrong verbs 405 with MAX's `{code, message}` body."""
        try:
            return await handler(request)
        except web.HTTPNotFound:
            if request.path.startswith("/_emu/"):
                return control_error(f"no control path {request.path}", 404)
            return self._error_response(
                ApiError(404, "not.found", f"Path {request.path} is not found")
            )
        except web.HTTPMethodNotAllowed:
            return self._error_response(
                ApiError(
                    405, "method.not.allowed", f"{request.method} {request.path} is not allowed"
                )
            )

    def _error_response(self, error: ApiError) -> web.Response:
        self.state.stats.count_error(error.code)
        return json_response(error.body(), status=error.status)

    # -- the Bot API pipeline -----------------------------------------------------------------

    def _bot_api(self, verb: str, template: str) -> Handler:
        operation = self.api.routes[(verb, template)]
        spec = self.state.schema.operations[(verb, template)]
        key = f"{verb} {template}"

        async def handler(request: web.Request) -> web.StreamResponse:
            state = self.state
            state.stats.count_request(key)
            presented = request.headers.get("Authorization")
            if not state.rates.allow(("token", presented), state.limits.rps, state.clock.now()):
                state.stats.rate_limited += 1
                return self._error_response(
                    ApiError(429, "too.many.requests", "Too many requests: at most 30 a second")
                )
            faults = state.faults
            drop = False
            if faults.active():
                dice = await roll(
                    state.rng,
                    faults.delay_ms,
                    faults.http_500_rate,
                    faults.drop_rate,
                    errors=[("429", faults.http_429_rate)],
                )
                if dice.fail_500:
                    return self._error_response(
                        ApiError(500, "internal.error", "Internal server error")
                    )
                if dice.error == "429":
                    state.stats.rate_limited += 1
                    return self._error_response(
                        ApiError(429, "too.many.requests", "Too many requests")
                    )
                drop = dice.drop
            try:
                if "access_token" in request.query or presented != state.token:
                    raise ApiError(401, "verify.token", "Invalid access_token")
                query = self._query(spec, request)
                path = self._path(spec, request)
                body = await self._body(spec, request)
                result = operation(query, body, path)
                if asyncio.iscoroutine(result):
                    result = await result
                self._check_answer(spec, result)
            except ApiError as error:
                return self._error_response(error)
            except SchemaViolation as violation:
                log.error("schema violation: %s", violation)
                return json_response(violation.body(), status=500)
            except (asyncio.CancelledError, web.HTTPException):
                raise
            except Exception:  # an emulator bug: answer as MAX would, with code and message
                log.exception("%s failed", key)
                return self._error_response(
                    ApiError(500, "internal.error", "Internal server error")
                )
            if drop:
                # The request has taken effect; the client never learns it.
                state.stats.dropped_answers += 1
                transport = request.transport
                if transport is not None:
                    transport.abort()
                raise asyncio.CancelledError
            return json_response(result)

        return handler

    def _query(self, spec: Operation, request: web.Request) -> dict[str, Any]:
        schemas = self.state.schema.schemas
        values: dict[str, Any] = {}
        for name, schema in spec.query.items():
            raws = request.query.getall(name, [])
            if not raws:
                if name in spec.required_query:
                    raise bad_request(name, f"{name} is required")
                continue
            kind, item_kind = param_kind(schemas, schema)
            if kind == "array":
                parts = [p.strip() for raw in raws for p in raw.split(",") if p.strip()]
                value: Any = [_coerce(name, p, item_kind) for p in parts]
            else:
                value = _coerce(name, raws[-1], kind)
            problem = self.state.schema.param_error(spec, name, value, "query")
            if problem is not None:
                raise bad_request(name, problem)
            values[name] = value
        return values

    def _path(self, spec: Operation, request: web.Request) -> dict[str, Any]:
        schemas = self.state.schema.schemas
        values: dict[str, Any] = {}
        for name, schema in spec.path_params.items():
            kind, _ = param_kind(schemas, schema)
            value = _coerce(name, request.match_info[name], kind)
            problem = self.state.schema.param_error(spec, name, value, "path")
            if problem is not None:
                raise bad_request(name, problem)
            values[name] = value
        return values

    async def _body(self, spec: Operation, request: web.Request) -> Any:
        if spec.body_ref is None:
            return None
        raw = await request.read() if request.can_read_body else b""
        if not raw.strip():
            if spec.body_required:
                raise bad_request("body", "a JSON request body is required")
            return {}
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise bad_request("body", "the request body is not valid JSON") from exc
        found = self.state.schema.first_error(spec.body_ref, body)
        if found is not None:
            raise bad_request(*found)
        return body

    def _check_answer(self, spec: Operation, result: Any) -> None:
        if not self.state.validate or spec.ok_ref is None:
            return
        errors = self.state.schema.errors(spec.ok_ref, result)
        if errors:
            raise self.state.violation(f"answer of {spec.verb} {spec.path}", errors)

    # -- upload host --------------------------------------------------------------------------

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        found = await _read_part(request, "data")
        if found is None:
            return json_response(
                {
                    "code": "proto.payload",
                    "message": "data: the file is missing (multipart field 'data')",
                },
                status=400,
            )
        filename, data = found
        stored = self.api.accept_upload(request.match_info["slot"], filename, data)
        if stored is None:
            return json_response(
                {"code": "not.found", "message": "The upload URL is unknown or already used"},
                status=404,
            )
        if stored.kind == "file":
            return json_response({"token": stored.token})
        if stored.kind == "image":
            return json_response({"photos": {str(stored.file_id): {"token": stored.token}}})
        return web.Response(
            text='<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<retval>1</retval>',
            content_type="application/xml",
        )

    async def _download(self, request: web.Request) -> web.StreamResponse:
        stored = self.state.files.get(request.match_info["token"])
        if stored is None or stored.filename != request.match_info["filename"]:
            return json_response({"code": "not.found", "message": "No such file"}, status=404)
        return web.Response(
            body=stored.data,
            content_type="application/octet-stream",
            headers={"Content-Disposition": f'attachment; filename="{stored.filename}"'},
        )

    # -- control extras -----------------------------------------------------------------------

    async def _sent(self, request: web.Request) -> web.StreamResponse:
        try:
            chat_id = query_opt_int(request, "chat_id")
            after = query_opt_int(request, "after")
            min_count = query_opt_int(request, "min_count") or 1
            wait = query_float(request, "wait")
        except ControlError as error:
            return control_error(str(error))
        if wait > 0:
            items = await self.ops.wait_sent(chat_id, after, min_count, wait)
        else:
            items = self.ops.sent_items(chat_id, after)
        return json_response({"items": items})

    async def _answers(self, request: web.Request) -> web.StreamResponse:
        try:
            user_id = query_int(request, "user_id")
            min_count = query_opt_int(request, "min_count") or 1
            wait = query_float(request, "wait")
        except ControlError as error:
            return control_error(str(error))
        if wait > 0:
            return json_response(await self.ops.wait_answers(user_id, min_count, wait))
        return json_response(self.ops.answer_items(user_id))

    async def _poller(self, request: web.Request) -> web.StreamResponse:
        wait = float(request.query.get("wait", "0") or 0)
        updates = self.state.updates
        listening = await updates.wait_poller(wait) if wait > 0 else updates.holding > 0
        return json_response(
            {"listening": listening, "holding": updates.holding, "queued": updates.pending()}
        )

    async def _subscriptions(self, request: web.Request) -> web.StreamResponse:
        """The webhook subscriptions; with `wait=S`, first wait until there is one."""
        wait = float(request.query.get("wait", "0") or 0)
        return json_response(await self.ops.wait_subscribed(wait))

    async def _webhooks(self, request: web.Request) -> web.StreamResponse:
        """Pending deliveries; with `wait=S`, first wait until none is due at the clock's now."""
        wait = float(request.query.get("wait", "0") or 0)
        webhooks = self.state.webhooks
        settled = await webhooks.wait_idle(wait) if wait > 0 else True
        return json_response(
            {
                "settled": settled,
                "pending": [
                    {
                        "update_type": d.update["update_type"],
                        "url": d.url,
                        "failures": d.failures,
                        "next_at": d.next_at,
                    }
                    for d in webhooks.pending
                ],
            }
        )


def _coerce(name: str, raw: str, kind: str) -> Any:
    if kind == "integer":
        try:
            return int(raw)
        except ValueError as exc:
            raise bad_request(name, f"{raw!r} is not an integer") from exc
    if kind == "boolean":
        lowered = raw.strip().lower()
        if lowered not in ("true", "false"):
            raise bad_request(name, f"{raw!r} is not true or false")
        return lowered == "true"
    if kind == "number":
        try:
            return float(raw)
        except ValueError as exc:
            raise bad_request(name, f"{raw!r} is not a number") from exc
    return raw


async def _read_part(request: web.Request, field: str) -> tuple[str, bytes] | None:
    if not request.content_type.startswith("multipart/"):
        return None
    reader = await request.multipart()
    while True:
        part = await reader.next()
        if part is None:
            return None
        if not isinstance(part, BodyPartReader) or part.name != field:
            if isinstance(part, BodyPartReader):
                await part.release()
            continue
        data = bytes(await part.read(decode=False))
        return part.filename or "file", data
