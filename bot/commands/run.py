"""`sferum-bot run`: the bot itself, until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from typing import Any

from bot.commands._common import EXIT_CONFIG, fail, open_db, settings_from
from bot.config import Settings
from bot.logs import setup_logging
from bot.metrics import NULL_METRICS

# How often a standby worker tries to take over a role (tests shorten the 5 s so takeover is quick).
ROLE_RETRY_ENV = "SFERUM_ROLE_RETRY_S"
LEASE_ENV = "SFERUM_OUTBOX_LEASE_S"


def _run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    from bot.services.faq import check_knowledge_files

    problem = check_knowledge_files(settings)
    if problem is not None:
        fail(problem, EXIT_CONFIG)
    if not settings.token and not settings.max_token:
        fail("не задан ни ключ доступа сообщества ВКонтакте, ни ключ бота MAX: укажите [vk] token "
             "(или SFERUM_VK__TOKEN) и/или [max] token (или SFERUM_MAX__TOKEN) в файле настроек, "
             "в окружении или в файле --env-file", EXIT_CONFIG)
    if args.workers > 1 and not getattr(settings.storage, "url", ""):
        fail(f"несколько обработчиков (--workers {args.workers}) работают только с PostgreSQL, а эта база — файл "
             "SQLite: запустите один процесс (sferum-bot run) или переведите бота на PostgreSQL "
             "([storage] url)", EXIT_CONFIG)
    setup_logging(settings.logging)
    if settings.storage.postgres_url:
        # Workers share a PostgreSQL database: no file lock; N of them run under one parent.
        if args.workers > 1:
            from bot.ops.supervisor import supervise

            return supervise(args.argv, args.workers, settings.metrics.port if settings.metrics.on else None)
        return asyncio.run(_serve(settings))
    from storage.bootstrap import prepare_folder
    from storage.db import translate
    from storage.lock import AlreadyRunning, RunLock

    path = settings.storage.database_path
    prepare_folder(path)
    try:
        lock = RunLock.acquire(path.parent)
    except AlreadyRunning as exc:
        fail(str(exc))
    except OSError as exc:
        raise (translate(exc, path, settings.backup.dir) or exc) from None
    try:
        return asyncio.run(_serve(settings))
    finally:
        lock.release()


async def _serve(settings: Settings) -> int:
    """Open (or create) the database, then run the bot on it until a signal; the exit code."""
    db = await open_db(settings, create=True)
    try:
        # Imported after the database opened: a storage problem is reported without loading vkbottle.
        from bot.app import run_until_signal
        from bot.imports.worker import shutdown_worker, warm_worker
    except BaseException:
        await db.close()
        raise
    try:
        ops = await start_ops(settings, db)
    except BaseException:
        await db.close()
        raise
    try:
        registration = await register_worker(db)
    except BaseException:
        if ops is not None:
            await ops.stop()
        await db.close()
        raise
    beating = asyncio.create_task(registration.beat_forever())

    async def leave() -> None:
        """Stop beating and leave the registry while the database is still open."""
        beating.cancel()
        await asyncio.gather(beating, return_exceptions=True)
        await registration.deregister()

    cluster = join_cluster(settings, db, registration.id)

    def built(app: Any) -> None:
        if ops is not None:
            attach(ops, app)
        if cluster is not None:
            cluster.attach(app)

    warm_worker()  # the file reader's process starts now, not when the first file comes
    try:
        return await run_until_signal(settings, db=db, metrics=NULL_METRICS if ops is None else ops.metrics,
                                      on_built=built, on_stop=leave)
    finally:
        beating.cancel()
        await asyncio.gather(beating, return_exceptions=True)
        shutdown_worker()
        if ops is not None:
            await ops.stop()


def join_cluster(settings: Settings, db: Any, worker_id: str) -> Any:
    """On PostgreSQL, this process as one of the deployment's workers (None on SQLite: it works alone).

    SFERUM_ROLE_RETRY_S changes how often a standby tries a role's lock (5 s by default), SFERUM_OUTBOX_LEASE_S
    how long a claim on outbox rows holds (60 s)."""
    url = settings.storage.postgres_url
    if not url:
        return None
    from bot.ops.cluster import Cluster
    from bot.ops.leader import RETRY
    from storage.workers import WorkersRepo

    return Cluster(url=url, worker_id=worker_id, workers=WorkersRepo(db), retry=_seconds(ROLE_RETRY_ENV, RETRY),
                   lease=_seconds(LEASE_ENV, Cluster.lease))


def _seconds(name: str, default: float) -> float:
    """A positive number of seconds from the environment variable `name` (else `default`)."""
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


async def register_worker(db: Any) -> Any:
    """This process in the workers registry (a heartbeat every 5 s follows)."""
    from bot.ops.workers import Registration
    from storage.workers import WorkersRepo

    registration = Registration(WorkersRepo(db))
    await registration.register()
    return registration


async def start_ops(settings: Settings, db: Any) -> Any:
    """The /healthz, /readyz and /metrics endpoint on [metrics] host:port (None when switched off)."""
    if not settings.metrics.on:
        return None
    from bot.ops.prometheus import PrometheusMetrics
    from bot.ops.server import OpsServer, OpsServerError, Readiness
    from storage.ops import OpsRepo

    store = OpsRepo(db)
    server = OpsServer(settings.metrics.host, settings.metrics.port, Readiness(store), PrometheusMetrics(), store)
    try:
        await server.start()
    except OpsServerError as exc:
        # Monitoring must not keep the bot from answering people: said loudly, and the bot runs without it.
        logging.getLogger(__name__).error("%s; бот работает без мониторинга", exc)
        return None
    return server


def attach(ops: Any, app: Any) -> None:
    """The assembled bot's token checks become part of /readyz."""
    from bot.app import token_checks
    from bot.ops.server import TokenCheck

    ops.readiness.tokens = [TokenCheck(label, verify) for label, verify in token_checks(app).items()]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser],
             common: argparse.ArgumentParser) -> None:
    """Add the `run` subcommand."""
    parser = sub.add_parser("run", parents=[common], help="запустить бота",
                            description="Запускает бота: ВКонтакте и (или) MAX — у какого мессенджера задан ключ, "
                                        "напоминания, рассылки.")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="сколько обработчиков запустить (больше одного — только с PostgreSQL)")
    parser.set_defaults(func=_run)
