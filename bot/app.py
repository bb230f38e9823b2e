"""The composition root: settings → database → repositories → services → VK → handlers.

This is the one module that knows every part. Nothing here runs at import time:
`build_app()` assembles an `App`, `App.run()` polls VK until stopped.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import zlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, fields
from functools import partial
from typing import Any

from vkbottle import Bot

from bot.composition import Channels, build_services
from bot.config import Settings
from bot.config_bots import SINGLE_BOT, MaxBot, VkCommunity, known_as
from bot.deps import Deps
from bot.live_schools import SCHOOLS_INTERVAL, refresh_schools, sync_config_people, watch_schools
from bot.max.bridge import MaxBridge, dialog_of, group
from bot.max.client import UNREACHABLE_TEXT, MaxClient
from bot.max.members import MaxMembers, Rights
from bot.max.messenger import MaxMessenger
from bot.max.outbound import MaxOutbound
from bot.max.polling import PREFIX, MaxPoller
from bot.max.reach import MaxReach
from bot.max.webhook import MaxWebhook, subscribe
from bot.messaging.delivery import MessengerPorts, RoutedOutbound
from bot.messaging.events import Identity, Messenger, Reply
from bot.messaging.middlewares import PersonMiddleware
from bot.messaging.router import Dispatcher, Router
from bot.metrics import NULL_METRICS, Metrics
from bot.missing_bots import warn_missing_bots
from bot.ops.cluster import Cluster, max_role
from bot.ports import (
    Clock,
    Community,
    MessengerPort,
    NotAdmin,
    PortFailure,
    SystemClock,
)
from bot.ratelimit import Backoff
from bot.scheduler import Scheduler
from bot.services.imports import vk_screen_name_resolver
from bot.vk.api import RateLimitedAPI, make_api
from bot.vk.bridge import VkBridge
from bot.vk.communities import (
    VkCommunityRuntime,
    build_vk_community,
    error_handler_for,
    vk_poller,
    wire_community,
)
from bot.vk.members import VkMembers
from bot.vk.messenger import VkMessenger
from bot.vk.outbound import VkOutbound
from bot.vk.reach import VkReach
from bot.vk.runtime import InboxPoller, group_id_of
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


def handler_data(deps: Deps, messenger: MessengerPort, bot_id: int = 0, bot: str = SINGLE_BOT) -> dict[str, Any]:
    """What neutral handlers may declare by name: the messenger port, `bot_id` (this bot's id in
    that messenger, the second part of a `StateKey`), `bot` (its name among the deployment's bots), `deps`
    and every wired service (the dialog-state store among them, as `dialogs`)."""
    services = {f.name: getattr(deps, f.name) for f in fields(deps) if getattr(deps, f.name) is not None}
    return {**services, "deps": deps, "messenger": messenger, "bot_id": bot_id, "bot": bot}


def build_dispatcher(deps: Deps, feature_routers: list[Router]) -> Dispatcher:
    """The neutral dispatcher: the person looked up once per event, then the features in order."""

    dispatcher = Dispatcher()
    dispatcher.middleware(PersonMiddleware(deps.access.whois, prefer=deps.school_choice.chosen))
    dispatcher.include_routers(*feature_routers)
    return dispatcher


@dataclass
class MaxSending:
    """What sends to MAX: the client, the messenger port and the outbox's MAX sender (built with the services)."""

    client: MaxClient
    users: MaxUsersRepo
    messenger: MaxMessenger
    outbound: MaxOutbound


def build_max_sending(settings: Settings, db: Database, *, api_url: str | None = None,
                      sleep: Callable[[float], Any] | None = None, metrics: Metrics = NULL_METRICS,
                      bots: tuple[str, ...] = (SINGLE_BOT,)) -> MaxSending:
    """The MAX client and senders of the bot named `bots[0]` (`known_as`); a 403 to a send is recorded for
    that bot («человек не запускал бота…») and not retried."""
    client = MaxClient(settings.max_token, api_url or settings.max.api_url)
    users = MaxUsersRepo(db, bots)
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
    # The settings as this bot sees them (its mode and webhook): a further bot of [[max.bots]] serves by them.
    settings: Settings | None = None
    name: str = SINGLE_BOT
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
        dialog = dialog_of(update)
        if dialog is not None and kind == "message_created" and await self.users.can_write(dialog[0]) is not True:
            # Someone writing in their dialog has the bot started (MAX starts it on the first message),
            # even if the bot never saw bot_started: it was pressed before this bot kept its records.
            await self.users.mark(dialog[0], True)
        if self.outbound is not None and dialog is not None:
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
        hook = MaxWebhook(self.poller.inbox, secret, conf.webhook_path, self.poller.drain_inbox,
                          prefix=self.poller.prefix)
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


def build_max(settings: Settings, db: Database, deps: Deps, dispatcher: Dispatcher, *,
              api_url: str | None = None, sleep: Callable[[float], Any] | None = None,
              sending: MaxSending | None = None, further: str | None = None) -> MaxRuntime:
    """The MAX side of the bot on the same services and the same neutral dispatcher as VK's; `further` names
    a further bot of [[max.bots]] (`settings` as it sees them), which answers in its own dialogs and sends
    its schools' mail, while the services' MAX port stays the first bot's."""
    sending = sending or build_max_sending(settings, db, api_url=api_url, sleep=sleep)
    client, users, messenger = sending.client, sending.users, sending.messenger
    runtime: MaxRuntime
    wait = sleep or asyncio.sleep
    # The bot's own user id is not asked for (GET /me): the first bot's steps are keyed by 0, a further
    # bot's by a number its name gives.
    data = handler_data(deps, messenger, zlib.crc32(further.encode()) if further else 0, users.bot)
    bridge = MaxBridge(dispatcher, lambda: data, remember=messenger.remember)

    async def handle(update: dict[str, Any]) -> None:
        await runtime.handle(update)

    poller = MaxPoller(client, InboxRepo(db), handle, sleep=wait, prefix=f"max.{further}:" if further else PREFIX)
    members = MaxMembers(client)
    runtime = MaxRuntime(client=client, messenger=messenger, bridge=bridge, poller=poller, users=users,
                         outbound=sending.outbound, chats=MaxChatsRepo(db), members=members, settings=settings,
                         name=further or SINGLE_BOT)
    deps.chats.use_members(Messenger.MAX, members, bot=further)
    deps.reachability.use_probe(Messenger.MAX, MaxReach(users.can_write, runtime.bot_name), bot=further)
    if further is not None:
        return runtime
    deps.messengers[Messenger.MAX] = messenger
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
    # How often the schools of `import-schools` are read again (a running bot sees a new table within it).
    schools_interval: float = SCHOOLS_INTERVAL
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
    # The further VK communities ([[vk.communities]] after the first), each polled beside the first.
    communities: list[VkCommunityRuntime] = field(default_factory=list)
    # The further MAX bots ([[max.bots]] after the first).
    max_bots: list[MaxRuntime] = field(default_factory=list)
    # The whole deployment's settings (every bot), when `settings` is its first bots' view (`build_app`).
    deployment: Settings | None = None
    # Several workers on PostgreSQL (bot.ops.cluster.Cluster): roles under advisory locks; None: this process alone.
    cluster: Cluster | None = None
    _closed: bool = False
    _stopping: bool = False
    _poll_task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        """Deliver what a crash left in the outbox, then poll VK until `stop()`."""
        self._spawn((self.delivery or self.outbound).resume())
        self._spawn(watch_database(self.db, self.watch_interval, self._database_replaced))
        await self.refresh_schools()
        warn_missing_bots(self.deployment or self.settings)  # their mail is held, not sent through another bot
        self._spawn(watch_schools(self.schools_interval, self.refresh_schools))
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
        loops += [self._role(f"vk:{c.poller.group_id}", c.poller.run) for c in self.communities]
        for runtime in ([self.max] if self.max is not None else []) + self.max_bots:
            loops.append(self._max_loop(runtime, runtime.settings or self.settings))
        await asyncio.gather(*loops)

    def _max_loop(self, runtime: MaxRuntime, settings: Settings) -> Coroutine[Any, Any, None]:
        """A MAX bot's updates: a webhook in every worker (the inbox dedupes), polling in one only."""
        async def serve() -> None:
            await runtime.serve(settings)

        polling = settings.max.mode == "polling"
        return self._role(max_role(settings.max_token), serve) if polling else serve()

    def _role(self, name: str, work: Callable[[], Coroutine[Any, Any, None]]) -> Coroutine[Any, Any, None]:
        return work() if self.cluster is None else self.cluster.role(name, work)

    async def refresh_schools(self) -> bool:
        """Take the schools `import-schools` stored, as they are now (True when they changed)."""
        return await refresh_schools(self.settings, self.db, self.scheduler.refresh_schools if self.scheduler else None)

    def _database_replaced(self) -> None:
        self.exit_code = 1
        self.stop()

    def stop(self) -> None:
        """Stop polling now (the long-poll request in flight is cancelled)."""
        self._stopping = True
        self.poller.stop()
        for community in self.communities:
            community.poller.stop()
        if self.max is not None:
            self.max.poller.stop()
        for runtime in self.max_bots:
            runtime.poller.stop()
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
        max_pollers = ([self.max.poller] if self.max is not None else []) + [r.poller for r in self.max_bots]
        if drain:
            await self.poller.drain()
            for max_poller in max_pollers:
                await max_poller.settle()
        else:
            self.poller.abandon()
            await asyncio.gather(*self.poller._tasks, return_exceptions=True)
            for max_poller in max_pollers:
                await max_poller.abandon()
        for community in self.communities:
            await community.close(drain=drain)
        if self.scheduler is not None:
            await self.scheduler.shutdown()
        for task in list(self.background):
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        await self.api.http_client.close()
        if self.max is not None:
            await self.max.close()
        for runtime in self.max_bots:
            await runtime.close()
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
    # The first VK community and MAX bot are assembled as the single form's; further ones beside them.
    first = settings.first_bots()
    try:
        app = await _assemble(first, db, api_url=api_url, clock=clock, backoff=backoff,
                              max_api_url=max_api_url, max_sleep=max_sleep, metrics=metrics, bot_of=settings.bot_of)
        app.deployment = settings
        if app.max_sending is not None and app.dispatcher is not None:
            app.max = build_max(first, db, app.deps, app.dispatcher, api_url=max_api_url, sleep=max_sleep,
                                sending=app.max_sending)
        for max_bot in settings.max.running()[1:]:
            app.max_bots.append(_further_max_bot(app, settings, max_bot, max_sleep, metrics))
        for community in settings.vk.running()[1:]:
            app.communities.append(await _further_community(app, settings, community, clock, metrics))
        return app
    except BaseException:
        await db.close()
        raise


def further_max_sending(settings: Settings, max_bot: MaxBot, db: Database, delivery: RoutedOutbound, *,
                        sleep: Callable[[float], Any] | None = None, metrics: Metrics = NULL_METRICS) -> MaxSending:
    """A further MAX bot's client and senders, attached to `delivery` for the schools that name it."""
    sending = build_max_sending(settings.for_bot(max_bot=max_bot), db, sleep=sleep, metrics=metrics,
                                bots=(max_bot.name,))
    sending.outbound.serve_as(max_bot.name, first=False)
    delivery.attach_bot(Messenger.MAX, max_bot.name, sending.outbound)
    return sending


def _further_max_bot(app: App, settings: Settings, max_bot: MaxBot, sleep: Callable[[float], Any] | None,
                     metrics: Metrics) -> MaxRuntime:
    assert app.dispatcher is not None and app.delivery is not None
    sending = further_max_sending(settings, max_bot, app.db, app.delivery, sleep=sleep, metrics=metrics)
    if isinstance(app.deps.messengers, MessengerPorts):
        app.deps.messengers.attach_bot(Messenger.MAX, max_bot.name, sending.messenger)
    return build_max(settings.for_bot(max_bot=max_bot), app.db, app.deps, app.dispatcher, sleep=sleep,
                     sending=sending, further=max_bot.name)


async def _further_community(app: App, settings: Settings, community: VkCommunity, clock: Clock | None,
                             metrics: Metrics) -> VkCommunityRuntime:
    assert app.dispatcher is not None
    deps = app.deps
    runtime = build_vk_community(settings, community, app.db, app.dispatcher, app.delivery or RoutedOutbound(
        app.outbound), lambda messenger, bot_id: handler_data(deps, messenger, bot_id, community.name),
        clock=clock or SystemClock(), metrics=metrics)
    if not runtime.poller.group_id:
        runtime.poller.group_id = await group_id_of(runtime.poller.call, runtime.poller.backoff, runtime.poller.sleep)
    wire_community(deps, runtime)
    return runtime


async def _assemble(settings: Settings, db: Database, *, api_url: str | None, clock: Clock | None,
                    backoff: Backoff | None, max_api_url: str | None = None,
                    max_sleep: Callable[[float], Any] | None = None, metrics: Metrics = NULL_METRICS,
                    bot_of: Callable[[str, str | None], str] | None = None) -> App:
    clock = clock or SystemClock()
    await sync_config_people(settings, PeopleRepo(db))

    api = make_api(settings, api_url)
    api.limiter.on_wait = lambda seconds: metrics.rate_limit_wait("vk", seconds)
    vk_outbound = VkOutbound(api, OutboxRepo(db), settings, clock, metrics=metrics)
    # Services send through one Outbound that hands each message to its messenger's sender.
    names = bot_of or settings.bot_of
    max_sending = (build_max_sending(settings, db, api_url=max_api_url, sleep=max_sleep, metrics=metrics,
                                     bots=known_as(names("max", None), names("max", None)))
                   if settings.max_token else None)
    outbound = RoutedOutbound(vk_outbound, bot_of=bot_of)
    if bot_of is not None:
        vk_outbound.serve_as(bot_of("vk", None), first=True)
    if max_sending is not None:
        outbound.attach(Messenger.MAX, max_sending.outbound)
        if bot_of is not None:
            max_sending.outbound.serve_as(bot_of("max", None), first=True)

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
    messengers = MessengerPorts({Messenger.VK: vk_messenger}, bot_of=bot_of)
    if max_sending is not None:
        messengers[Messenger.MAX] = max_sending.messenger
    channels = Channels(outbound=outbound, members=VkMembers(vk_call), reach=VkReach(vk_call, community),
                        resolve_screen_name=vk_screen_name_resolver(api.request), community=community,
                        messengers=messengers, bot_of=names)
    deps = build_services(settings, db, channels, clock=clock, spawn=spawn)
    deps.imports.metrics = metrics  # import durations on /metrics
    # Broadcasts a stopped process left half sent are finished (nobody gets one twice).
    spawn(deps.broadcasts.resume_all())
    spawn(deps.faq.warm())
    scheduler = Scheduler(deps)

    from handlers import routers

    messenger = vk_messenger
    dispatcher = build_dispatcher(deps, routers())
    data = handler_data(deps, messenger, bot=names("vk", None))
    # The community id may be learnt only when polling starts (groups.getById): read it per event.
    bridge = VkBridge(dispatcher, lambda: {**data, "bot_id": deps.group_id})
    # One labeler feeds the dispatcher. No feature uses vkbottle's per-peer states (dialog steps are in
    # conversation_state), so its default dispenser stays empty and costs no query per message.
    bot = Bot(api=api, error_handler=error_handler_for(outbound.reply), labeler=bridge.labeler())
    poller = vk_poller(settings, db, api, bot, vk_outbound, backoff=backoff or Backoff())
    app = App(settings=settings, db=db, api=api, bot=bot, deps=deps, poller=poller, outbound=vk_outbound,
              background=background, scheduler=scheduler, dispatcher=dispatcher, messenger=messenger,
              delivery=outbound, max_sending=max_sending)
    if not settings.vk.group_id and settings.token:
        poller.group_id = await group_id_of(poller.call, poller.backoff, poller.sleep)
        community.group_id = poller.group_id
    return app


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
    # Each further community and bot has a token of its own: each is checked.
    for community in app.communities:
        checks[f"ВКонтакте «{community.name}»"] = partial(community.api.request, "groups.getById", {})
    for runtime in app.max_bots:
        checks[f"MAX «{runtime.name}»"] = partial(runtime.client.call, "GET", "/me")
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
