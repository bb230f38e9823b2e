"""The aiohttp server: VK's `/method/`, Bots Long Poll, upload hosts, downloads and `/_emu/`."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import BodyPartReader, web

from emulator_common.control import ControlError
from emulator_common.faults import roll
from emulator_common.http import (
    LoopbackServer,
    control_error,
    control_handler,
    json_response,
    path_int,
    query_int,
    query_opt_int,
)
from emulator_common.schema import SchemaViolation
from vk_emulator.client import EmulatorControl
from vk_emulator.core import EmulatorCore
from vk_emulator.errors import VKError

log = logging.getLogger("vk_emulator")


class Emulator:
    """A local VK API emulator running an aiohttp server on loopback.

    `state` is the in-process world (`EmulatorCore`): the same operations as the control API
    (`add_user`, `allow`, `deny`, `add_chat`, `set_community`, `say`, `press`, `sent_items`,
    `set_faults`, `set_limits`, `set_clock`, `reset`, `stats`, `clock`), usable without HTTP.
    """

    def __init__(
        self,
        token: str = "t",
        group_id: int = 1,
        *,
        strict: bool = True,
        validate: bool | None = None,
        rps: int | None = 20,
        seed: int | None = None,
        schema_dir: str | None = None,
    ) -> None:
        self.state = EmulatorCore(
            token,
            group_id,
            strict=strict,
            validate=validate,
            rps=rps,
            seed=seed,
            schema_dir=schema_dir,
        )
        self.app = self._build_app()
        self._server = LoopbackServer(self.app)

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def token(self) -> str:
        return self.state.token

    @property
    def group_id(self) -> int:
        return self.state.group_id

    @property
    def base_url(self) -> str:
        return self.state.base_url

    @property
    def api_url(self) -> str:
        return f"{self.state.base_url}/method/"

    @property
    def host(self) -> str:
        return self._server.host

    @property
    def port(self) -> int:
        return self._server.port

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Start serving; with port 0 a free port is chosen (see `base_url`)."""
        self.state.base_url = await self._server.start(host, port)

    async def stop(self) -> None:
        """Release held long polls and waits, then stop the server."""
        self.state.shutdown()
        await self._server.stop()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def control(self) -> EmulatorControl:
        """A control-API client for this emulator (close it, or use `async with`)."""
        return EmulatorControl(self.base_url)

    def seed_users(self, users: list[dict[str, Any]]) -> None:
        """Create people as `POST /_emu/users` would."""
        self.state.seed_users(users)

    # -- app ----------------------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=256 * 1024 * 1024)
        add = app.router.add_route
        add("*", "/method/{name}", self._method)
        add("*", "/lp", self._long_poll)
        add("POST", "/upload/doc", self._upload_doc)
        add("POST", "/upload/photo", self._upload_photo)
        add("GET", "/doc/{ref}", self._download_doc)
        add("GET", "/photo/{ref}", self._download_photo)
        add("GET", "/_emu/users", self._control(lambda r, d: self.state.list_users()))
        add("POST", "/_emu/users", self._control(lambda r, d: self.state.add_user(d)))
        add(
            "POST",
            "/_emu/users/{id}/allow",
            self._control(lambda r, d: self.state.allow(path_int(r, "id"))),
        )
        add(
            "POST",
            "/_emu/users/{id}/deny",
            self._control(lambda r, d: self.state.deny(path_int(r, "id"))),
        )
        add("GET", "/_emu/chats", self._control(lambda r, d: self.state.list_chats()))
        add("POST", "/_emu/chats", self._control(lambda r, d: self.state.add_chat(d)))
        add("GET", "/_emu/community", self._control(lambda r, d: self.state.community.as_dict()))
        add("POST", "/_emu/community", self._control(lambda r, d: self.state.set_community(d)))
        add("POST", "/_emu/say", self._control(lambda r, d: self.state.say(d)))
        add("POST", "/_emu/press", self._control(lambda r, d: self.state.press(d)))
        add("GET", "/_emu/sent", self._sent)
        add(
            "GET",
            "/_emu/snackbars",
            self._control(lambda r, d: self.state.snackbar_items(query_int(r, "user_id"))),
        )
        add("GET", "/_emu/stats", self._control(lambda r, d: self.state.stats.as_dict()))
        add("GET", "/_emu/faults", self._control(lambda r, d: self.state.faults.as_dict()))
        add("POST", "/_emu/faults", self._control(lambda r, d: self.state.set_faults(d)))
        add("GET", "/_emu/limits", self._control(lambda r, d: self.state.limits.as_dict()))
        add("POST", "/_emu/limits", self._control(lambda r, d: self.state.set_limits(d)))
        add("GET", "/_emu/clock", self._control(lambda r, d: self.state.clock.as_dict()))
        add("POST", "/_emu/clock", self._control(lambda r, d: self.state.set_clock(d)))
        add("POST", "/_emu/reset", self._control(lambda r, d: self.state.reset()))
        add("GET", "/_emu/longpoll", self._poller)
        add(
            "GET",
            "/_emu/health",
            self._control(
                lambda r, d: {"ok": True, "schema_violations": list(self.state.schema_violations)}
            ),
        )
        return app

    # -- /method ------------------------------------------------------------------------------

    async def _method(self, request: web.Request) -> web.StreamResponse:
        state = self.state
        method = request.match_info["name"]
        raw: dict[str, str] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, str):
                    raw[key] = value
        token = raw.get("access_token")
        if token is None:
            auth = request.headers.get("Authorization", "")
            if auth[:7].lower() == "bearer ":
                token = auth[7:].strip()
        faults = state.faults
        drop = False
        if faults.active():
            dice = await roll(
                state.rng,
                faults.delay_ms,
                faults.http_500_rate,
                faults.drop_rate,
                errors=[(str(code), rate) for code, rate in faults.error_rate.items()],
            )
            if dice.fail_500:
                state.stats.requests[method] = state.stats.requests.get(method, 0) + 1
                return web.Response(status=500, text="Internal Server Error")
            if dice.error is not None:
                state.stats.requests[method] = state.stats.requests.get(method, 0) + 1
                return json_response(state.error_body(VKError(int(dice.error)), method, raw))
            drop = dice.drop
        try:
            body = state.handle(method, raw, token)
        except SchemaViolation as violation:
            log.error("schema violation: %s", violation)
            return json_response(violation.body(), status=500)
        if drop:
            # The request has taken effect; the client never learns it.
            transport = request.transport
            if transport is not None:
                transport.abort()
            raise asyncio.CancelledError
        return json_response(body)

    # -- long poll ----------------------------------------------------------------------------

    async def _long_poll(self, request: web.Request) -> web.StreamResponse:
        params: dict[str, str] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, str):
                    params.setdefault(key, value)
        if params.get("act") != "a_check":
            return json_response({"failed": 2})
        try:
            wait = float(params.get("wait", "25"))
        except ValueError:
            wait = 25.0
        body = await self.state.long_poll(params.get("key", ""), params.get("ts", ""), wait)
        return json_response(body)

    # -- uploads and downloads ----------------------------------------------------------------

    async def _read_file(self, request: web.Request, field: str | None) -> tuple[str, bytes] | None:
        if not request.content_type.startswith("multipart/"):
            return None
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                return None
            if not isinstance(part, BodyPartReader):
                continue
            if part.filename is None and field is None:
                continue
            if field is not None and part.name != field:
                await part.release()
                continue
            data = bytes(await part.read(decode=False))
            return part.filename or "file", data

    def _upload_peer(self, request: web.Request) -> int | None:
        peer = request.query.get("peer_id", "")
        return int(peer) if peer.lstrip("-").isdigit() else None

    async def _upload_doc(self, request: web.Request) -> web.StreamResponse:
        found = await self._read_file(request, "file")
        if found is None:
            return json_response({"error": "file is missing (multipart field 'file')"})
        filename, data = found
        if filename.lower().endswith((".mp3", ".exe")):
            return json_response({"error": "file type is not allowed"})
        token = self.state.accept_upload("doc", filename, data, self._upload_peer(request))
        return json_response({"file": f"{token}|{filename}"})

    async def _upload_photo(self, request: web.Request) -> web.StreamResponse:
        found = await self._read_file(request, None)
        if found is None:
            return json_response({"error": "photo is missing (one multipart file part)"})
        filename, data = found
        token = self.state.accept_upload("photo", filename, data, self._upload_peer(request))
        return json_response(self.state.photo_upload_answer(token))

    async def _download_doc(self, request: web.Request) -> web.StreamResponse:
        key = _parse_ref(request.match_info["ref"])
        doc = self.state.docs.get(key) if key else None
        if doc is None or request.query.get("hash") != doc.access_key:
            return web.Response(status=404, text="not found")
        return web.Response(
            body=doc.data,
            content_type="application/octet-stream",
            headers={"Content-Disposition": f'attachment; filename="{doc.title}"'},
        )

    async def _download_photo(self, request: web.Request) -> web.StreamResponse:
        key = _parse_ref(request.match_info["ref"].removesuffix(".jpg"))
        photo = self.state.photos.get(key) if key else None
        if photo is None:
            return web.Response(status=404, text="not found")
        return web.Response(body=photo.data, content_type="image/jpeg")

    # -- control ------------------------------------------------------------------------------

    def _control(self, action: Any) -> Any:
        return control_handler(action)

    async def _poller(self, request: web.Request) -> web.StreamResponse:
        try:
            wait = float(request.query.get("wait", "0"))
        except ValueError:
            return control_error("wait must be a number")
        listening = await self.state.wait_poller(wait) if wait > 0 else self.state.lp_holding > 0
        return json_response(
            {"listening": listening, "holding": self.state.lp_holding, "ts": str(self.state.lp_ts)}
        )

    async def _sent(self, request: web.Request) -> web.StreamResponse:
        try:
            peer_id = query_opt_int(request, "peer_id")
            after = query_opt_int(request, "after")
            min_count = query_opt_int(request, "min_count") or 1
            wait = float(request.query.get("wait", "0"))
        except (ControlError, ValueError) as error:
            return control_error(str(error))
        if wait > 0:
            items = await self.state.wait_sent(peer_id, after, min_count, wait)
        else:
            items = self.state.sent_items(peer_id, after)
        return json_response({"items": items})


def _parse_ref(ref: str) -> tuple[int, int] | None:
    owner, _, item = ref.partition("_")
    try:
        return int(owner), int(item)
    except ValueError:
        return None
