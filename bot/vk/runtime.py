"""The hardened long-poll transport: inbox first, in order per user, exactly once.

vkbottle's own poller saves `ts` before handlers finish, drops what arrived while
the bot was down (`skip_old_events=True`) and runs every update as a free task.
Here every update is stored in the inbox together with the new `ts` in one
transaction, then handled one at a time per user; after a crash the pending
inbox rows are handled first. A replayed event_id is ignored.

With `fairness` set, private messages pass a per-sender token bucket first
(`bot.services.fairness`): a sender who writes faster than their share is held, their
held events collapse to the latest message and button press, and they get one notice.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from vkbottle.exception_factory import VKAPIError

from bot.ratelimit import Backoff
from bot.services.fairness import BUSY_SNACKBAR, COALESCED, FairShare, HeldEvents, is_patient
from bot.vk.api import network_reason
from bot.vk.rules import RETRY_CODES
from storage.db import StorageError
from storage.runtime import InboxEvent, InboxRepo

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[None]]
ApiCall = Callable[[str, dict[str, Any]], Awaitable[Any]]
CALLBACK_DEADLINE_S = 50.0
HANDLER_TIMEOUT_S = 120.0
MAX_ATTEMPTS = 3
# What VK's Long Poll sends that no feature handles: the echo of every message the community sends (a reminder
# wave echoes each of its messages) and typing. Kept as done on arrival: handing each to the handlers cost two
# more writes per sent message. A feature that comes to read one of them takes it out of this set.
SETTLED_EVENTS = frozenset({"message_reply", "message_typing_state"})


@dataclass
class CallbackState:
    """Whether the handler of a callback press answered it (VK wants an answer within 60 s)."""

    answered: bool = False
    snackbar: str | None = None


current_callback: contextvars.ContextVar[CallbackState | None] = contextvars.ContextVar(
    "current_callback", default=None)


@dataclass
class HandledEvent:
    """The inbox event being handled, so that its replies get stable random_ids.

    A crash after a reply went out but before the event was marked handled makes the
    event run again; its n-th reply then carries the same random_id as the first time,
    and VK drops it as a duplicate instead of answering the question twice.
    """

    event_id: str
    replies: int = 0
    # The handler has returned (only the poller's bookkeeping is left).
    finished: bool = False
    # The person to tell when the handler fails (0 in group chats: the bot stays quiet there).
    user_id: int = 0

    def next_reply_key(self) -> str:
        self.replies += 1
        return f"reply:{self.event_id}:{self.replies}"


current_event: contextvars.ContextVar[HandledEvent | None] = contextvars.ContextVar(
    "current_event", default=None)


def order_key(update: dict[str, Any]) -> str:
    """One user's events are handled one at a time, in the order VK sent them."""
    obj = update.get("object") or {}
    message = obj.get("message") if isinstance(obj, dict) else None
    if isinstance(message, dict) and message.get("from_id"):
        return f"user:{message['from_id']}"
    for key in ("user_id", "from_id"):
        if isinstance(obj, dict) and obj.get(key):
            return f"user:{obj[key]}"
    return "misc"


def is_button(update: dict[str, Any]) -> bool:
    """A button press: a callback, or a text button (a message with a payload)."""
    if update.get("type") == "message_event":
        return True
    obj = update.get("object") or {}
    message = obj.get("message") if isinstance(obj, dict) else None
    return isinstance(message, dict) and bool(message.get("payload"))


def private_user(update: dict[str, Any]) -> int:
    """The user of a private message or of a button press in a private chat; 0 otherwise."""
    obj = update.get("object") or {}
    if not isinstance(obj, dict):
        return 0
    message = obj.get("message")
    source = message if isinstance(message, dict) else obj
    peer, user = source.get("peer_id"), source.get("from_id") or source.get("user_id")
    if isinstance(user, int) and user > 0 and peer == user:
        return user
    return 0


@dataclass
class _Server:
    server: str
    key: str
    ts: str


@dataclass
class InboxPoller:
    """Bots Long Poll into the inbox, and the inbox into the handlers."""

    call: ApiCall
    inbox: InboxRepo
    handle: Handler
    answer_callback: Callable[[dict[str, Any], str | None], Awaitable[None]]
    group_id: int
    wait: int = 25
    backoff: Backoff = field(default_factory=Backoff)
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    received: asyncio.Event = field(default_factory=asyncio.Event)
    # Per-sender shares of private messages (None: every event is handled as it comes).
    fairness: FairShare | None = None
    # Sends the one «please wait» notice to a throttled person: (user_id, event_id).
    notify: Callable[[int, str], Awaitable[None]] | None = None
    # A further community's events and Long Poll position are kept apart under its prefix (`vk.<name>:`).
    prefix: str = ""
    # Event types kept as done on arrival, never handed to the handlers (no feature reads them).
    settled: frozenset[str] = SETTLED_EVENTS
    # Several workers: whether this worker still reads this community (`bot.ops.leader.still_holding`), asked
    # before a fetched batch is stored; None: it alone reads it.
    still_ours: Callable[[], Awaitable[bool]] | None = None
    _tails: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _held: dict[str, HeldEvents[InboxEvent]] = field(default_factory=dict)
    _skipped: list[int] = field(default_factory=list)
    # Per sender: events chained and not finished, and the one being handled now.
    _queued: dict[str, int] = field(default_factory=dict)
    _active: dict[str, HandledEvent] = field(default_factory=dict)
    coalesced: int = 0
    _stopping: bool = False
    _session: aiohttp.ClientSession | None = None

    async def run(self) -> None:
        """Replay what a crash left in the inbox, then poll until stopped."""
        for event in await self.inbox.pending(prefix=self.prefix or None):
            self._dispatch(event)
        try:
            await self._poll_forever()
        finally:
            if self._session is not None:
                await self._session.close()

    def stop(self) -> None:
        self._stopping = True

    async def drain(self) -> None:
        """Wait for every dispatched event to be handled (and the collapsed ones marked)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._skipped:
            await self.inbox.skip(self._take_skipped(), COALESCED)

    def abandon(self) -> None:
        """Drop in-flight handlers without finishing them (what a crash does)."""
        for task in list(self._tasks):
            task.cancel()

    async def _server(self, ts: str | None) -> _Server:
        while True:
            try:
                raw = await self.call("groups.getLongPollServer", {"group_id": self.group_id})
                self.backoff.reset()
                return _Server(server=raw["server"], key=raw["key"], ts=ts or str(raw["ts"]))
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                delay = self.backoff.next_delay()
                log.warning("ВКонтакте недоступен: %s; повтор через %.1f с", network_reason(exc), delay)
                await self.sleep(delay)
            except VKAPIError as exc:
                # «Too many requests» or «internal error» past the API's own retries: wait, not die.
                if exc.code not in RETRY_CODES:
                    raise
                delay = self.backoff.next_delay()
                log.warning("ВКонтакте вернул ошибку %s на groups.getLongPollServer; повтор через %.1f с", exc.code, delay)
                await self.sleep(delay)

    async def _check(self, server: _Server) -> dict[str, Any]:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        params = {"act": "a_check", "key": server.key, "ts": server.ts, "wait": str(self.wait)}
        timeout = aiohttp.ClientTimeout(total=self.wait + 10)
        async with self._session.post(server.server, params=params, timeout=timeout) as resp:
            body: dict[str, Any] = await resp.json(content_type=None)
            return body

    async def _poll_forever(self) -> None:
        ts_key = f"{self.prefix}longpoll_ts"
        stored_ts = await self.inbox.get_value(ts_key)
        server = await self._server(stored_ts)
        refused_ts: str | None = None  # the position VK last answered failed=1 to
        while not self._stopping:
            try:
                body = await self._check(server)
            except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
                delay = self.backoff.next_delay()
                log.warning("Long Poll прервался: %s; переподключение через %.1f с", network_reason(exc), delay)
                await self.sleep(delay)
                server = await self._server(server.ts)
                continue
            self.backoff.reset()
            failed = body.get("failed")
            if failed == 1:
                # Jumping to VK's new ts skips whatever came after ours: ask once more from our
                # own position, and give it up only when VK refuses it a second time.
                if refused_ts != server.ts:
                    refused_ts = server.ts
                    log.warning("Long Poll: failed=1, запрашиваю события снова с ts %s", server.ts)
                    continue
                log.warning("Long Poll: failed=1 дважды, история потеряна; часть событий могла быть пропущена")
                server.ts = str(body.get("ts", server.ts))
                continue
            refused_ts = None
            if failed == 2:
                server = await self._server(server.ts)
                continue
            if failed == 3:
                # A new key, but our old position: if VK no longer has it, failed=1 says so.
                log.warning("Long Poll: failed=3, переподключение с ts %s", server.ts)
                server = await self._server(server.ts)
                continue
            updates = body.get("updates") or []
            new_ts = str(body.get("ts", server.ts))
            events = [
                (self.prefix + str(u.get("event_id") or f"{new_ts}:{i}"), str(u.get("type", "")), order_key(u), u)
                for i, u in enumerate(updates)
            ]
            if self.still_ours is not None and not await self.still_ours():
                # The lock was lost while waiting: the new holder reads from the stored ts (nothing is lost).
                log.warning("ВКонтакте: другой процесс теперь читает события сообщества; этот перестал")
                return
            skipped = self._take_skipped()
            try:
                stored = (await self.inbox.store(events, new_ts, skipped, COALESCED, ts_key=ts_key,
                                                 settled=self.settled) if skipped
                          else await self.inbox.store(events, new_ts, ts_key=ts_key, settled=self.settled))
            except StorageError:
                # A full or read-only disk (the database logged it in Russian): VK keeps these
                # events, so ask again from the same ts until the write goes through.
                self._skipped[:0] = skipped
                await self.sleep(self.backoff.next_delay())
                continue
            except BaseException:
                self._skipped[:0] = skipped
                raise
            for event in stored:
                self._dispatch(event)
            server.ts = new_ts
            if updates:
                self.received.set()

    def _dispatch(self, event: InboxEvent) -> None:
        key = event.order_key
        user = private_user(event.body)
        if self.fairness is None or not user:
            self._chain(key, self._run_after, event)
            return
        held = self._held.get(key)
        if held is not None:
            # The sender is waiting for their turn: later events wait too (order is kept).
            self._drop(held.add(event, is_button(event.body)))
            return
        active = self._active.get(key)
        if is_patient(self._queued.get(key, 0), active is not None and (active.replies > 0 or active.finished)):
            # Someone who waits for each answer sets their own pace: never held.
            self._chain(key, self._run_after, event)
            return
        verdict = self.fairness.admit(key)
        if verdict.admit:
            self._chain(key, self._run_after, event)
            return
        held = self._held[key] = HeldEvents()
        held.add(event, is_button(event.body))
        if verdict.notify and self.notify is not None:
            self._chain(key, self._notice_after, event)
        self._track(asyncio.create_task(self._release(key, self.fairness)))

    def _chain(self, key: str, step: Callable[[asyncio.Task[None] | None, InboxEvent], Coroutine[Any, Any, None]],
               event: InboxEvent) -> None:
        """Run `step` for the event after everything already queued for the same key."""
        previous = self._tails.get(key)
        task: asyncio.Task[None] = asyncio.create_task(step(previous, event))
        self._tails[key] = task
        self._track(task)
        task.add_done_callback(self._done(key))
        if step == self._run_after:
            self._queued[key] = self._queued.get(key, 0) + 1
            task.add_done_callback(self._unqueue(key))

    def _unqueue(self, key: str) -> Callable[[asyncio.Task[None]], None]:
        def callback(task: asyncio.Task[None]) -> None:
            left = self._queued.get(key, 1) - 1
            if left > 0:
                self._queued[key] = left
            else:
                self._queued.pop(key, None)
                self._active.pop(key, None)
        return callback

    def _track(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _release(self, key: str, share: FairShare) -> None:
        """Wait for the sender's next token, then hand their held events to the handlers."""
        while not share.take(key):
            await self.sleep(max(share.ready_in(key), 0.01))
        held = self._held.pop(key, None)
        for event in held.release() if held is not None else []:
            self._chain(key, self._run_after, event)

    def _drop(self, events: list[InboxEvent]) -> None:
        """Events collapsed into a later one: not handled, a button press gets a snackbar."""
        for event in events:
            self.coalesced += 1
            if event.event_type == "message_event":
                self._track(asyncio.create_task(self._busy_snackbar(event)))
            # Marked done with the next long-poll answer's write (or at drain): a flood costs no
            # write of its own. Until then they stay pending, and a crash only collapses them again.
            self._skipped.append(event.id)

    async def _busy_snackbar(self, event: InboxEvent) -> None:
        try:
            await self.answer_callback(event.body.get("object") or {}, BUSY_SNACKBAR)
        except Exception:
            log.warning("не удалось ответить на нажатие кнопки %s", event.event_id)
            log.debug("подробности", exc_info=True)

    def _take_skipped(self) -> list[int]:
        ids, self._skipped = self._skipped, []
        return ids

    async def _notice_after(self, previous: asyncio.Task[None] | None, event: InboxEvent) -> None:
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)
        assert self.notify is not None
        try:
            await self.notify(private_user(event.body), event.event_id)
        except Exception:
            log.warning("не удалось отправить просьбу подождать (событие %s)", event.event_id)
            log.debug("подробности", exc_info=True)

    def _done(self, key: str) -> Callable[[asyncio.Task[None]], None]:
        def callback(task: asyncio.Task[None]) -> None:
            if self._tails.get(key) is task:
                del self._tails[key]
        return callback

    async def _run_after(self, previous: asyncio.Task[None] | None, event: InboxEvent) -> None:
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)
        if event.attempts >= MAX_ATTEMPTS:
            log.error("событие %s не обработано за %d попыток; пропущено", event.event_id, event.attempts)
            await self.inbox.finish(event.id, "too many attempts")
            return
        await self.inbox.start(event.id)
        is_callback = event.event_type == "message_event"
        state = CallbackState() if is_callback else None
        token = current_callback.set(state)
        handled = HandledEvent(event.event_id, user_id=private_user(event.body))
        self._active[event.order_key] = handled
        event_token = current_event.set(handled)
        error: str | None = None
        try:
            timeout = CALLBACK_DEADLINE_S if is_callback else HANDLER_TIMEOUT_S
            await asyncio.wait_for(self.handle(event.body), timeout)
        except TimeoutError:
            error = "timeout"
            log.error("событие %s: обработчик не уложился во время", event.event_id)
        except Exception as exc:
            error = type(exc).__name__
            log.exception("событие %s: ошибка в обработчике", event.event_id)
        finally:
            current_event.reset(event_token)
            current_callback.reset(token)
            handled.finished = True
        if state is not None and not state.answered:
            try:
                await self.answer_callback(event.body.get("object") or {}, state.snackbar)
            except Exception:
                log.warning("не удалось ответить на нажатие кнопки (событие %s)", event.event_id, exc_info=True)
        await self.inbox.finish(event.id, error)


async def group_id_of(call: Any, backoff: Backoff, sleep: Any) -> int:
    """The community's id from its token, retrying while VK is unreachable."""
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
