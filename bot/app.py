"""The composition root: settings → database → repositories → services → VK → handlers.

This is the one module that knows every part. Nothing here runs at import time:
`build_app()` assembles an `App`, `App.run()` polls VK until stopped.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, fields
from typing import Any

from vkbottle import Bot, ErrorHandler

from bot.composition import Channels, build_services
from bot.config import Settings
from bot.deps import Deps
from bot.domain.models import CONFIG_NAMES, Organization, Role
from bot.max.bridge import MaxBridge, group
from bot.max.client import UNREACHABLE_TEXT, MaxClient
from bot.max.members import MaxMembers, Rights
from bot.max.messenger import MaxMessenger
from bot.max.outbound import MaxOutbound
from bot.max.polling import MaxPoller
from bot.max.reach import MaxReach
from bot.max.webhook import MaxWebhook, subscribe
from bot.messaging.delivery import RoutedOutbound
from bot.messaging.events import Identity, Messenger, Reply
from bot.messaging.middlewares import PersonMiddleware
from bot.messaging.router import Dispatcher, Router
from bot.metrics import NULL_METRICS, Metrics
from bot.ops.cluster import max_role
from bot.ports import (
    Clock,
    Community,
    MessengerPort,
    NotAdmin,
    OutMessage,
    PortFailure,
    SystemClock,
)
from bot.ratelimit import Backoff
from bot.scheduler import Scheduler
from bot.services.fairness import BUSY_NOTICE, FairShare
from bot.services.imports import vk_screen_name_resolver
from bot.vk.api import RateLimitedAPI, make_api, network_reason
from bot.vk.bridge import VkBridge
from bot.vk.members import VkMembers
from bot.vk.messenger import VkMessenger
from bot.vk.outbound import VkOutbound
from bot.vk.reach import VkReach
from bot.vk.runtime import InboxPoller, current_event
from storage.backend import open_database
from storage.max_chats import MaxChatsRepo
from storage.max_users import MaxUsersRepo
from storage.outbox import OutboxRepo
from storage.people import PeopleRepo
from storage.runtime import InboxRepo
from storage.sql import Database

log = logging.getLogger(__name__)

# Why a MAX account cannot be written to, as the update that said so.
STOP_REASONS = {"bot_stopped": "остановил бота", "dialog_removed": "удалил диалог с ботом"}

HANDLER_FAILED = ("Что-то пошло не так, и я не смог ответить. Попробуйте ещё раз чуть позже; "
                  "если не получится — напишите заместителю директора.")


def handler_data(deps: Deps, messenger: MessengerPort, bot_id: int = 0) -> dict[str, Any]:
    """What neutral handlers may declare by name: the messenger port, `bot_id` (this bot's id in
    that messenger, the second part of a `StateKey`), `deps` and every wired service (the dialog-state
    store among them, as `dialogs`)."""
    services = {f.name: getattr(deps, f.name) for f in fields(deps) if getattr(deps, f.name) is not None}
    return {**services, "deps": deps, "messenger": messenger, "bot_id": bot_id}


def build_dispatcher(deps: Deps, feature_routers: list[Router]) -> Dispatcher:
    """The neutral dispatcher: the person looked up once per event, then the features in order."""

    dispatcher = Dispatcher()
    dispatcher.middleware(PersonMiddleware(deps.access.whois))
    dispatcher.include_routers(*feature_routers)
    return dispatcher


async def _sync_config_people(settings: Settings, people: PeopleRepo) -> None:
    """The organizations and the people the config names (deputies, directors, district)."""
    await people.sync_organizations(
        Organization(id=s.id, name=s.name, timezone=s.timezone, inn=s.inn) for s in settings.schools)
    for school in settings.schools:
        if school.director_vk_id:
            await people.ensure_config_person(school.id, school.director_vk_id, Role.DIRECTOR,
                                              CONFIG_NAMES[Role.DIRECTOR])
        for vk_id in school.deputy_vk_ids:
            await people.ensure_config_person(school.id, vk_id, Role.DEPUTY, CONFIG_NAMES[Role.DEPUTY])
    bound = settings.district.officials
    for vk_id in [*settings.district.official_vk_ids, *(i for entry in bound for i in entry.vk_ids)]:
        await people.ensure_config_person(None, vk_id, Role.DISTRICT, CONFIG_NAMES[Role.DISTRICT])
    for school in settings.schools:
        if school.director_max_id:
            await people.ensure_config_max_person(school.id, school.director_max_id, Role.DIRECTOR,
                                                  CONFIG_NAMES[Role.DIRECTOR])
        for max_id in school.deputy_max_ids:
            await people.ensure_config_max_person(school.id, max_id, Role.DEPUTY, CONFIG_NAMES[Role.DEPUTY])
    for max_id in [*settings.district.official_max_ids, *(i for entry in bound for i in entry.max_ids)]:
        await people.ensure_config_max_person(None, max_id, Role.DISTRICT, CONFIG_NAMES[Role.DISTRICT])


@dataclass
class MaxSending:
    """What sends to MAX: the client, the messenger port and the outbox's MAX sender (built with the services)."""

    client: MaxClient
    users: MaxUsersRepo
    messenger: MaxMessenger
    outbound: MaxOutbound


def build_max_sending(settings: Settings, db: Database, *, api_url: str | None = None,
                      sleep: Callable[[float], Any] | None = None, metrics: Metrics = NULL_METRICS) -> MaxSending:
    """The MAX client and senders; a 403 to a send is recorded («человек не запускал бота…») and not retried."""
    client = MaxClient(settings.max_token, api_url or settings.max.api_url)
    users = MaxUsersRepo(db)
    wait = sleep or asyncio.sleep

    async def unreachable(user_id: int) -> None:
        await users.mark(user_id, False, UNREACHABLE_TEXT)

    async def unreachable_identity(identity: Identity) -> None:
        await unreachable(identity.external_id)

    client.budget.on_wait = lambda seconds: metrics.rate_limit_wait("max", seconds)
    messenger = MaxMessenger(client, on_unreachable=unreachable_identity, sleep=wait, metrics=metrics)
    outbound = MaxOutbound(client, OutboxRepo(db), messenger, on_unreachable=unreachable, sleep=wait,
                           metrics=metrics)
    return MaxSending(client=client, users=users, messenger=messenger, outbound=outbound)


@dataclass
class MaxRuntime:
    """The bot in MAX: its client, messenger port, bridge and long-poll loop (one per App)."""

    client: MaxClient
    messenger: MaxMessenger
    bridge: MaxBridge
    poller: MaxPoller
    users: MaxUsersRepo
    outbound: MaxOutbound | None = None
    chats: MaxChatsRepo | None = None
    members: MaxMembers | None = None
    # Several workers: each listens on the webhook port (SO_REUSEPORT) and claims the updates it handles.
    shared_webhook: bool = False
    _bot_name: str | None = None

    async def handle(self, update: dict[str, Any]) -> None:
        """One update: what it says about reaching the person and about the bot's chats is kept, then the
        features get it."""
        kind = update.get("update_type")
        user = update.get("user")
        user_id = user.get("user_id") if isinstance(user, dict) else None
        if isinstance(user_id, int) and kind in ("bot_started", "bot_stopped", "dialog_removed"):
            await self.users.mark(user_id, kind == "bot_started", STOP_REASONS.get(str(kind)))
        if self.outbound is not None:
            dialog = dialog_of(update)
            if dialog is not None:
                await self.outbound.remember_dialog(*dialog)
        chat_id = update.get("chat_id")
        if isinstance(chat_id, int) and chat_id < 0 and self.chats is not None:
            if kind == "bot_removed":
                await self.chats.removed(chat_id)
            elif kind in ("bot_added", "bot_admin_permissions_changed"):
                await self.learn_chat(chat_id, announce=True)
        await self.bridge.handle(update)

    async def learn_chat(self, chat_id: int, *, announce: bool) -> Rights | None:
        """Remember a group chat (MAX lists none) with the bot's rights there; where the bot cannot read it,
        say in the chat what to change."""
        assert self.chats is not None and self.members is not None
        await self.chats.added(chat_id)
        rights: Rights | None
        try:
            rights = await self.members.rights(chat_id)
        except PortFailure as exc:
            log.warning("не удалось узнать права бота в чате MAX %s: %s", chat_id, exc)
            rights = Rights(is_admin=False, reads_all=False) if isinstance(exc, NotAdmin) else None
        if rights is None:
            return None
        await self.chats.rights(chat_id, rights.is_admin, rights.reads_all)
        if announce and rights.problem is not None:
            await self.messenger.send(Reply(chat=group(chat_id), text=rights.problem))
        return rights

    async def serve(self, settings: Settings) -> None:
        """Polling, or (webhook mode) subscribe the public URL and serve the local endpoint."""
        conf = settings.max
        if conf.mode == "polling":
            await self.poller.run()
            return
        secret = conf.webhook_secret.get_secret_value()
        hook = MaxWebhook(self.poller.inbox, secret, conf.webhook_path, self.poller.drain_inbox)
        await hook.start(conf.webhook_host, conf.webhook_port, shared=self.shared_webhook)
        try:
            await subscribe(self.client, conf.public_url, secret)
            await hook.handle_forever()
        finally:
            await hook.stop()

    async def bot_name(self) -> str | None:
        """The bot's MAX name (GET /me `username`, asked once), for personal links; None while MAX is unreachable."""
        if self._bot_name is None:
            try:
                me = await self.client.call("GET", "/me")
            except PortFailure as exc:
                log.warning("не удалось узнать имя бота в MAX: %s", exc)
                return None
            name = me.get("username")
            self._bot_name = name if isinstance(name, str) and name else None
        return self._bot_name

    async def unreachable(self, identity: Identity) -> None:
        """MAX answered 403 to a send: recorded, and not retried."""
        await self.users.mark(identity.external_id, False, UNREACHABLE_TEXT)

    async def close(self) -> None:
        self.poller.stop()
        await self.client.close()


def dialog_of(update: dict[str, Any]) -> tuple[int, int] | None:
    """(user id, dialog chat id) when an update names a person's dialog with the bot."""
    if update.get("update_type") == "bot_started":
        user, chat_id = update.get("user"), update.get("chat_id")
        if isinstance(user, dict) and isinstance(user.get("user_id"), int) and isinstance(chat_id, int):
            return int(user["user_id"]), chat_id
        return None
    message = update.get("message")
    if update.get("update_type") == "message_created" and isinstance(message, dict):
        recipient, sender = message.get("recipient") or {}, message.get("sender") or {}
        if (recipient.get("chat_type") == "dialog" and isinstance(recipient.get("chat_id"), int)
                and isinstance(sender.get("user_id"), int) and not sender.get("is_bot")):
            return int(sender["user_id"]), int(recipient["chat_id"])
    return None


def build_max(settings: Settings, db: Database, deps: Deps, dispatcher: Dispatcher, *,
              api_url: str | None = None, sleep: Callable[[float], Any] | None = None,
              sending: MaxSending | None = None) -> MaxRuntime:
    """The MAX side of the bot on the same services and the same neutral dispatcher as VK's."""
    sending = sending or build_max_sending(settings, db, api_url=api_url, sleep=sleep)
    client, users, messenger = sending.client, sending.users, sending.messenger
    runtime: MaxRuntime
    wait = sleep or asyncio.sleep
    deps.messengers[Messenger.MAX] = messenger
    # One MAX bot per database: its own user id is not asked for (GET /me), so its steps are keyed by 0.
    data = handler_data(deps, messenger)
    bridge = MaxBridge(dispatcher, lambda: data, remember=messenger.remember)

    async def handle(update: dict[str, Any]) -> None:
        await runtime.handle(update)

    poller = MaxPoller(client, InboxRepo(db), handle, sleep=wait)
    members = MaxMembers(client)
    runtime = MaxRuntime(client=client, messenger=messenger, bridge=bridge, poller=poller, users=users,
                         outbound=sending.outbound, chats=MaxChatsRepo(db), members=members)
    deps.chats.use_members(Messenger.MAX, members)
    deps.reachability.use_probe(Messenger.MAX, MaxReach(users.can_write, runtime.bot_name))
    deps.invites.bot_name = runtime.bot_name
    return runtime


@dataclass
class App:
    """A running bot: its services, its vkbottle Bot and its poller."""

    settings: Settings
    db: Database
    api: RateLimitedAPI
    bot: Bot
    deps: Deps
    poller: InboxPoller
    outbound: VkOutbound
    background: set[asyncio.Task[Any]] = field(default_factory=set)
    scheduler: Scheduler | None = None
    # How often the database file is checked for being deleted or replaced (tests pass 0).
    watch_interval: float = 10.0
    # What `sferum-bot run` exits with: 1 when the database file was replaced under the bot.
    exit_code: int = 0
    # The neutral router of the converted features (fed by the VK bridge, or by a test's adapter).
    dispatcher: Dispatcher | None = None
    messenger: VkMessenger | None = None
    # The bot in MAX, when its token is set (polled beside VK's Long Poll).
    max: MaxRuntime | None = None
    # The one Outbound of the services: each message through its target's messenger.
    delivery: RoutedOutbound | None = None
    max_sending: MaxSending | None = None
    # Several workers on PostgreSQL (bot.ops.cluster.Cluster): roles under advisory locks; None: this process alone.
    cluster: Any = None
    _closed: bool = False
    _stopping: bool = False
    _poll_task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        """Deliver what a crash left in the outbox, then poll VK until `stop()`."""
        self._spawn((self.delivery or self.outbound).resume())
        self._spawn(watch_database(self.db, self.watch_interval, self._database_replaced))
        if self.cluster is not None:
            for work in self.cluster.background(self):
                self._spawn(work)
            if self.scheduler is not None:
                self._spawn(self.cluster.scheduled(self.scheduler.start, self.scheduler.shutdown))
        elif self.scheduler is not None:
            await self.scheduler.start()
        self._poll_task = asyncio.create_task(self._poll())
        try:
            await self._poll_task
        except asyncio.CancelledError:
            if not self._stopping:
                raise

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def _poll(self) -> None:
        """VK's Long Poll when its token is set, MAX's polling when it runs; both until stopped.
        With several workers, one reads each community (and each polling MAX bot): its lock's holder."""
        loops = [self._role(f"vk:{self.poller.group_id}", self.poller.run)] if self.settings.token else []
        if self.max is not None:
            runtime = self.max

            async def serve() -> None:
                await runtime.serve(self.settings)

            polling = self.settings.max.mode == "polling"
            loops.append(self._role(max_role(self.settings.max_token), serve) if polling else serve())
        await asyncio.gather(*loops)

    def _role(self, name: str, work: Callable[[], Coroutine[Any, Any, None]]) -> Coroutine[Any, Any, None]:
        return work() if self.cluster is None else self.cluster.role(name, work)

    def _database_replaced(self) -> None:
        self.exit_code = 1
        self.stop()

    def stop(self) -> None:
        """Stop polling now (the long-poll request in flight is cancelled)."""
        self._stopping = True
        self.poller.stop()
        if self.max is not None:
            self.max.poller.stop()
        if self._poll_task is not None:
            self._poll_task.cancel()

    async def close(self, *, drain: bool = True) -> None:
        """Finish handling (or abandon it, as a crash would), then close everything."""
        if self._closed:
            return
        self._closed = True
        self.stop()
        if self._poll_task is not None:
            await asyncio.gather(self._poll_task, return_exceptions=True)
        if drain:
            await self.poller.drain()
        else:
            self.poller.abandon()
            await asyncio.gather(*self.poller._tasks, return_exceptions=True)
        if self.scheduler is not None:
            await self.scheduler.shutdown()
        for task in list(self.background):
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        await self.api.http_client.close()
        if self.max is not None:
            await self.max.close()
        await self.db.close()


async def watch_database(db: Database, interval: float, on_replaced: Callable[[], None]) -> None:
    """Every `interval` s check the database file: deleted is written back, replaced calls `on_replaced`."""
    while True:
        await asyncio.sleep(interval)
        try:
            outcome = await db.check_file()
        except Exception as exc:
            log.warning("не получилось проверить файл базы данных %s: %s", db.path, exc)
            log.debug("database file check failed", exc_info=True)
            continue
        if outcome == "replaced":
            on_replaced()
            return


async def build_app(settings: Settings, *, api_url: str | None = None, clock: Clock | None = None,
                    backoff: Backoff | None = None, db: Database | None = None,
                    max_api_url: str | None = None, max_sleep: Callable[[float], Any] | None = None,
                    metrics: Metrics = NULL_METRICS) -> App:
    """Assemble the bot from settings; `api_url` points it at another VK (the emulator), `max_api_url`
    at another MAX; MAX runs when its token is set (`max_sleep`: its waits, for tests on a virtual clock).

    `db` is a database the caller opened (else it is opened here); it is closed if assembling fails.
    """
    db = db or await open_database(settings.storage.database_path, settings.storage.postgres_url,
                                   backups=settings.backup.dir)
    try:
        app = await _assemble(settings, db, api_url=api_url, clock=clock, backoff=backoff,
                              max_api_url=max_api_url, max_sleep=max_sleep, metrics=metrics)
        if app.max_sending is not None and app.dispatcher is not None:
            app.max = build_max(settings, db, app.deps, app.dispatcher, api_url=max_api_url, sleep=max_sleep,
                                sending=app.max_sending)
        return app
    except BaseException:
        await db.close()
        raise


async def _assemble(settings: Settings, db: Database, *, api_url: str | None, clock: Clock | None,
                    backoff: Backoff | None, max_api_url: str | None = None,
                    max_sleep: Callable[[float], Any] | None = None, metrics: Metrics = NULL_METRICS) -> App:
    clock = clock or SystemClock()
    await _sync_config_people(settings, PeopleRepo(db))

    api = make_api(settings, api_url)
    api.limiter.on_wait = lambda seconds: metrics.rate_limit_wait("vk", seconds)
    vk_outbound = VkOutbound(api, OutboxRepo(db), settings, clock, metrics=metrics)
    # Services send through one Outbound that hands each message to its messenger's sender.
    max_sending = (build_max_sending(settings, db, api_url=max_api_url, sleep=max_sleep, metrics=metrics)
                   if settings.max_token else None)
    outbound = RoutedOutbound(vk_outbound)
    if max_sending is not None:
        outbound.attach(Messenger.MAX, max_sending.outbound)

    async def vk_call(method: str, params: dict[str, Any]) -> Any:
        return (await api.request(method, params))["response"]

    background: set[asyncio.Task[Any]] = set()

    def spawn(coro: Coroutine[Any, Any, Any]) -> None:
        """Run a long use case (a broadcast) beside the handlers; App.close() cancels it."""
        task = asyncio.create_task(coro)
        background.add(task)
        task.add_done_callback(background.discard)

    community = Community(settings.vk.group_id)
    vk_messenger = VkMessenger(vk_outbound)
    messengers: dict[Messenger, MessengerPort] = {Messenger.VK: vk_messenger}
    if max_sending is not None:
        messengers[Messenger.MAX] = max_sending.messenger
    channels = Channels(outbound=outbound, members=VkMembers(vk_call), reach=VkReach(vk_call, community),
                        resolve_screen_name=vk_screen_name_resolver(api.request), community=community,
                        messengers=messengers)
    deps = build_services(settings, db, channels, clock=clock, spawn=spawn)
    deps.imports.metrics = metrics  # import durations on /metrics
    # Broadcasts a stopped process left half sent are finished (nobody gets one twice).
    spawn(deps.broadcasts.resume_all())
    scheduler = Scheduler(deps)

    error_handler = ErrorHandler()

    @error_handler.register_undefined_error_handler
    async def log_error(exc: Exception) -> None:
        log.error("ошибка в обработчике сообщения", exc_info=exc)
        event = current_event.get()
        if event is not None and event.user_id:
            # The person gets an answer even from a failed handler (with its stable random_id).
            try:
                await outbound.reply(OutMessage(peer_id=event.user_id, text=HANDLER_FAILED))
            except Exception:
                log.warning("не удалось сообщить человеку об ошибке обработчика", exc_info=True)

    from handlers import routers

    messenger = vk_messenger
    dispatcher = build_dispatcher(deps, routers())
    data = handler_data(deps, messenger)
    # The community id may be learnt only when polling starts (groups.getById): read it per event.
    bridge = VkBridge(dispatcher, lambda: {**data, "bot_id": deps.group_id})
    # One labeler feeds the dispatcher. No feature uses vkbottle's per-peer states (dialog steps are in
    # conversation_state), so its default dispenser stays empty and costs no query per message.
    bot = Bot(api=api, error_handler=error_handler, labeler=bridge.labeler())

    async def call(method: str, params: dict[str, Any]) -> Any:
        return (await api.request(method, params))["response"]

    async def handle(update: dict[str, Any]) -> None:
        await bot.process_event(update)

    async def answer_callback(obj: dict[str, Any], text: str | None) -> None:
        await outbound.answer_callback(str(obj.get("event_id")), int(obj.get("user_id", 0)),
                                       int(obj.get("peer_id", 0)), text)

    async def busy_notice(user_id: int, event_id: str) -> None:
        # Keyed by the event that was held, so a replay after a crash cannot send it twice.
        await outbound.reply(OutMessage(peer_id=user_id, text=BUSY_NOTICE, idem_key=f"busy:{event_id}"))

    fair = settings.fairness
    poller = InboxPoller(call=call, inbox=InboxRepo(db), handle=handle, answer_callback=answer_callback,
                         group_id=settings.vk.group_id, wait=settings.vk.wait,
                         backoff=backoff or Backoff(),
                         fairness=FairShare(fair.burst, fair.interval_s) if fair.enabled else None,
                         notify=busy_notice)
    app = App(settings=settings, db=db, api=api, bot=bot, deps=deps, poller=poller, outbound=vk_outbound,
              background=background, scheduler=scheduler, dispatcher=dispatcher, messenger=messenger,
              delivery=outbound, max_sending=max_sending)
    if not settings.vk.group_id and settings.token:
        poller.group_id = await _group_id(call, poller.backoff, poller.sleep)
        community.group_id = poller.group_id
    return app


async def _group_id(call: Any, backoff: Backoff, sleep: Any) -> int:
    """The community's id from its token, retrying while VK is unreachable."""
    import aiohttp

    while True:
        try:
            found = await call("groups.getById", {})
            backoff.reset()
            groups = found["groups"] if isinstance(found, dict) else found
            return int(groups[0]["id"])
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            delay = backoff.next_delay()
            log.warning("ВКонтакте недоступен: %s; повтор через %.1f с", network_reason(exc), delay)
            await sleep(delay)


def token_checks(app: App) -> dict[str, Callable[[], Coroutine[Any, Any, Any]]]:
    """One call per running messenger that fails unless its token is accepted (for /readyz)."""
    checks: dict[str, Callable[[], Coroutine[Any, Any, Any]]] = {}
    if app.settings.token:
        async def vk() -> Any:
            return await app.api.request("groups.getById", {})

        checks["ВКонтакте"] = vk
    if app.max is not None:
        client = app.max.client

        async def max_me() -> Any:
            return await client.call("GET", "/me")

        checks["MAX"] = max_me
    return checks


async def run_until_signal(settings: Settings, *, db: Database | None = None, metrics: Metrics = NULL_METRICS,
                           on_built: Callable[[App], None] | None = None,
                           on_stop: Callable[[], Coroutine[Any, Any, None]] | None = None) -> int:
    """`sferum-bot run`: build, poll, and stop cleanly on SIGTERM or SIGINT; the exit code.

    `on_built` is told the assembled app (the operations endpoint takes its token checks from it);
    `on_stop` runs after polling ended, while the database is still open (the worker deregisters)."""
    app = await build_app(settings, db=db, metrics=metrics)
    if on_built is not None:
        on_built(app)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, app.stop)
    if settings.token:
        log.info("sferum-bot started for community %s", app.poller.group_id)
    if app.max is not None:
        log.info("sferum-bot started in MAX (%s)", settings.max.mode)
    try:
        await app.run()
    finally:
        if on_stop is not None:
            try:
                await on_stop()
            except Exception:
                log.warning("не удалось завершить работу аккуратно", exc_info=True)
        await app.close()
        log.info("sferum-bot stopped")
    return app.exit_code
