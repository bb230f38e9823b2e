"""The operations endpoint of `run` (aiohttp): /healthz, /readyz and /metrics on `[metrics] host:port`.

- /healthz: 200 while the process's event loop answers.
- /readyz: 200 when the database answers, its schema is the one this code expects and each running
  messenger's token was verified; 503 with one short Russian line saying what is not ready.
- /metrics: the Prometheus text format (`bot.ops.prometheus`), queue depths read at each scrape.

Meant for the machine's own monitoring: it listens on 127.0.0.1 by default, and the reverse proxy
of the README forwards only the MAX webhook path.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from bot.ops.prometheus import CONTENT_TYPE, PrometheusMetrics

log = logging.getLogger(__name__)

# How long /readyz waits for the database before it says it does not answer.
DB_TIMEOUT_S = 5.0
# How often a token that failed its check is tried again (a probe every few seconds must not hammer the API).
TOKEN_RETRY_S = 30.0
REASON_MAX = 200


class OpsStore(Protocol):
    """What the endpoint reads from the database (`storage.ops.OpsRepo`)."""

    async def ping(self) -> None: ...

    async def schema(self) -> Any: ...

    async def queue_depth(self) -> Any: ...


class OpsServerError(Exception):
    """The endpoint could not listen; `str()` is one Russian line for the operator."""


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= REASON_MAX else text[:REASON_MAX - 1] + "…"


class TokenCheck:
    """One messenger's token: verified once by an API call, and while that fails, tried again at most
    every `retry_s` seconds (`clock` is injectable for tests)."""

    def __init__(self, label: str, verify: Callable[[], Awaitable[Any]], *, retry_s: float = TOKEN_RETRY_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.label = label
        self._verify = verify
        self._retry_s = retry_s
        self._clock = clock
        self._ok = False
        self._last: float | None = None
        self._reason = f"ключ {label} ещё не проверен"

    async def problem(self) -> str | None:
        """None once the token was accepted; else why it is not (checking again when due)."""
        if self._ok:
            return None
        now = self._clock()
        if self._last is None or now - self._last >= self._retry_s:
            self._last = now
            try:
                await self._verify()
            except Exception as exc:
                self._reason = f"ключ {self.label} не проверен: {_short(exc)}"
            else:
                self._ok = True
                return None
        return self._reason


class Readiness:
    """The checks behind /readyz; `tokens` are added once the bot is assembled."""

    def __init__(self, store: OpsStore, *, db_timeout: float = DB_TIMEOUT_S) -> None:
        self._store = store
        self._db_timeout = db_timeout
        self.tokens: list[TokenCheck] = []

    async def problem(self) -> str | None:
        """None when ready, else one short Russian line: the first thing that is not."""
        try:
            schema = await asyncio.wait_for(self._schema(), self._db_timeout)
        except TimeoutError:
            return f"база данных не отвечает дольше {self._db_timeout:g} с"
        except Exception as exc:
            return f"база данных недоступна: {_short(exc)}"
        if schema.unknown:
            return "база новее этой версии бота (" + ", ".join(schema.unknown) + "): обновите бота"
        if schema.missing:
            return "схема базы не обновлена: не применены " + ", ".join(schema.missing)
        if not self.tokens:
            return "бот запускается: ключ мессенджера ещё не проверен"
        for token in self.tokens:
            problem = await token.problem()
            if problem is not None:
                return problem
        return None

    async def _schema(self) -> Any:
        await self._store.ping()
        return await self._store.schema()


class OpsServer:
    """Serves the three paths on `host:port` (port 0: any free port, see `port` after `start`)."""

    def __init__(self, host: str, port: int, readiness: Readiness, metrics: PrometheusMetrics,
                 store: OpsStore) -> None:
        self.host = host
        self._port = port
        self.readiness = readiness
        self.metrics = metrics
        self._store = store
        self._runner: web.AppRunner | None = None
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        self._app = app

    @property
    def port(self) -> int:
        """The port it listens on (the real one when asked for port 0)."""
        if self._runner is not None:
            for address in self._runner.addresses:
                if isinstance(address, tuple) and len(address) >= 2:
                    return int(address[1])
        return self._port

    async def start(self) -> None:
        """Listen now; OpsServerError when the address cannot be taken."""
        runner = web.AppRunner(self._app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self._port).start()
        except OSError as exc:
            await runner.cleanup()
            raise OpsServerError(
                f"не получилось открыть адрес мониторинга {self.host}:{self._port} ({exc.strerror or exc}): "
                "укажите другой порт в [metrics] port (или SFERUM_METRICS__PORT) либо выключите его: "
                "[metrics] enabled = false") from None
        self._runner = runner
        log.info("мониторинг: http://%s:%s/metrics, /healthz, /readyz", self.host, self.port)

    async def stop(self) -> None:
        """Stop listening (safe to call twice)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def _readyz(self, request: web.Request) -> web.Response:
        problem = await self.readiness.problem()
        if problem is None:
            return web.Response(text="ok\n")
        return web.Response(status=503, text=problem + "\n")

    async def _metrics(self, request: web.Request) -> web.Response:
        try:
            depth = await asyncio.wait_for(self._store.queue_depth(), DB_TIMEOUT_S)
        except Exception as exc:  # the counters are still worth a scrape when the database is stuck
            log.warning("мониторинг: не удалось прочитать очереди из базы: %s", _short(exc))
        else:
            self.metrics.queues(depth.outbox, depth.inbox_pending)
        return web.Response(body=self.metrics.render(), headers={"Content-Type": CONTENT_TYPE})
