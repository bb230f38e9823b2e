"""The further VK communities of a deployment ([[vk.communities]] after the first): each its own API with its
own token and rate budget, its own Long Poll and outbox sender, on the one neutral dispatcher.

A person's event carries the community that got it (its group id is the handlers' `bot_id`) and the answer
goes out through the same community; what services send to a school's people goes through the community the
school names (`RoutedOutbound.attach_bot`). The first community is assembled by `bot.app` as before.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from vkbottle import Bot, ErrorHandler

from bot.config import Settings
from bot.config_bots import VkCommunity
from bot.deps import Deps
from bot.messaging.delivery import MessengerPorts, RoutedOutbound
from bot.messaging.events import Messenger
from bot.messaging.router import Dispatcher
from bot.metrics import NULL_METRICS, Metrics
from bot.ports import Clock, Community, MessengerPort, OutMessage
from bot.services.fairness import BUSY_NOTICE, FairShare
from bot.vk.api import RateLimitedAPI, make_api
from bot.vk.bridge import VkBridge
from bot.vk.members import VkMembers
from bot.vk.messenger import VkMessenger
from bot.vk.outbound import VkOutbound
from bot.vk.reach import VkReach
from bot.vk.runtime import InboxPoller, current_event
from storage.outbox import OutboxRepo
from storage.runtime import InboxRepo
from storage.sql import Database

log = logging.getLogger(__name__)

HANDLER_FAILED = ("Что-то пошло не так, и я не смог ответить. Попробуйте ещё раз чуть позже; "
                  "если не получится — напишите заместителю директора.")


def error_handler_for(reply: Callable[[OutMessage], Awaitable[Any]]) -> ErrorHandler:
    """vkbottle's handler of a failed feature: logged, and the person still gets an answer through `reply`
    (the outbound of the community the event came to)."""
    error_handler = ErrorHandler()

    @error_handler.register_undefined_error_handler
    async def log_error(exc: Exception) -> None:
        log.error("ошибка в обработчике сообщения", exc_info=exc)
        event = current_event.get()
        if event is not None and event.user_id:
            # The person gets an answer even from a failed handler (with its stable random_id).
            try:
                await reply(OutMessage(peer_id=event.user_id, text=HANDLER_FAILED))
            except Exception:
                log.warning("не удалось сообщить человеку об ошибке обработчика", exc_info=True)

    return error_handler


def vk_poller(settings: Settings, db: Database, api: RateLimitedAPI, bot: Bot, outbound: VkOutbound, *,
              prefix: str = "", **extra: Any) -> InboxPoller:
    """The Long Poll of one community into the inbox and its events into `bot`; button presses are answered,
    and a throttled person is asked to wait, through the community's own `outbound`."""

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
    return InboxPoller(call=call, inbox=InboxRepo(db), handle=handle, answer_callback=answer_callback,
                       group_id=settings.vk.group_id, wait=settings.vk.wait,
                       fairness=FairShare(fair.burst, fair.interval_s) if fair.enabled else None,
                       notify=busy_notice, prefix=prefix, **extra)


@dataclass
class VkCommunityRuntime:
    """One further VK community: its API, outbox sender and Long Poll."""

    name: str
    api: RateLimitedAPI
    outbound: VkOutbound
    poller: InboxPoller
    messenger: VkMessenger

    async def close(self, *, drain: bool) -> None:
        """Finish (or abandon, as a crash would) the events in hand, then close the API's connections."""
        self.poller.stop()
        if drain:
            await self.poller.drain()
        else:
            self.poller.abandon()
        await self.api.http_client.close()


def further_vk_sender(settings: Settings, community: VkCommunity, db: Database, delivery: RoutedOutbound, *,
                      clock: Clock | None = None, metrics: Metrics = NULL_METRICS) -> tuple[RateLimitedAPI, VkOutbound]:
    """A further community's API (its token and rate budget) and outbox sender, attached to `delivery`: the
    schools that name it are written to through it (the running bot, and `remind`)."""
    view = settings.for_bot(vk=community)
    api = make_api(view)
    api.limiter.on_wait = lambda seconds: metrics.rate_limit_wait("vk", seconds)
    outbound = VkOutbound(api, OutboxRepo(db), view, clock, metrics=metrics)
    outbound.serve_as(community.name, first=False)
    delivery.attach_vk_bot(community.name, outbound)
    return api, outbound


def build_vk_community(settings: Settings, community: VkCommunity, db: Database, dispatcher: Dispatcher,
                       delivery: RoutedOutbound, handler_data: Callable[[MessengerPort, int], dict[str, Any]], *,
                       clock: Clock, metrics: Metrics = NULL_METRICS) -> VkCommunityRuntime:
    """A further community on the deployment's dispatcher, answering in its own dialogs."""
    view = settings.for_bot(vk=community)
    api, outbound = further_vk_sender(settings, community, db, delivery, clock=clock, metrics=metrics)
    messenger = VkMessenger(outbound)
    poller: InboxPoller
    # The community id may be learnt only when polling starts (groups.getById): read it per event.
    bridge = VkBridge(dispatcher, lambda: handler_data(messenger, poller.group_id))
    bot = Bot(api=api, error_handler=error_handler_for(outbound.reply), labeler=bridge.labeler())
    poller = vk_poller(view, db, api, bot, outbound, prefix=f"vk.{community.name}:")
    return VkCommunityRuntime(name=community.name, api=api, outbound=outbound, poller=poller, messenger=messenger)


def wire_community(deps: Deps, runtime: VkCommunityRuntime) -> None:
    """The services talk to the schools that name a further community through its own ports: its dialogs,
    its checks of who allowed its messages (and its link), and the members of the chats it is in."""
    if isinstance(deps.messengers, MessengerPorts):
        deps.messengers.attach_bot(Messenger.VK, runtime.name, runtime.messenger)
    deps.reachability.use_probe(Messenger.VK, VkReach(runtime.poller.call, Community(runtime.poller.group_id)),
                                bot=runtime.name)
    deps.chats.use_members(Messenger.VK, VkMembers(runtime.poller.call), bot=runtime.name)
