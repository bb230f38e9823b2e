"""The one outbound sender: interactive replies now, bulk sends through the outbox, files.

Bulk sends are stored first (INSERT OR IGNORE by idempotency key), then delivered
25 per `execute` with a random_id derived from the key, and each row is marked as
VK answers. A send killed at any point delivers the rest on `resume()` (or on the
same `send_bulk` again): rows VK confirmed are never sent again, and rows whose
answer was lost are re-sent with the same random_id, which VK drops as a duplicate.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from vkbottle import API
from vkbottle.exception_factory import VKAPIError
from vkbottle.tools import DocMessagesUploader, PhotoMessageUploader

from bot.config import Settings
from bot.domain.ui import Keyboard
from bot.messaging.delivery import OutboxSender
from bot.metrics import NULL_METRICS, Metrics
from bot.ports import Clock, Delivery, OutMessage, SystemClock
from bot.ratelimit import Priority, priority
from bot.vk.keyboard import render_keyboard
from bot.vk.replies import ReplyBatcher
from bot.vk.rules import (
    NETWORK_ERROR,
    UNREACHABLE_CODES,
    CallResult,
    DeliveryError,
    Outcome,
    backoff,
    batches,
    call_code,
    chunk_key,
    classify,
    execute_code,
    group_of,
    parse_execute,
    random_id_for,
    send_params,
    split_text,
)
from bot.vk.runtime import current_event
from storage.outbox import NewOutboxMessage, OutboxRepo, OutboxRow, SendResult

log = logging.getLogger(__name__)

CHAT_PEER_START = 2_000_000_000
# What a send can fail with: VK's refusal, or (with a plain vkbottle API) the network.
_SEND_ERRORS = (VKAPIError, aiohttp.ClientError, TimeoutError, OSError)


@dataclass
class _Batch:
    rows: list[OutboxRow]
    code: str
    tag: str


def _reply_key() -> str:
    """The idempotency key of a reply: stable across a replay of the event it answers."""
    event = current_event.get()
    return event.next_reply_key() if event is not None else f"reply:{uuid.uuid4().hex}"


def _error_of(exc: BaseException) -> tuple[int, str]:
    if isinstance(exc, VKAPIError):
        return int(exc.code), str(exc.error_msg)
    return NETWORK_ERROR, str(exc) or type(exc).__name__


def _failure(exc: BaseException) -> CallResult:
    code, text = _error_of(exc)
    return CallResult(ok=False, error_code=code, error=text)


class VkOutbound(OutboxSender[NewOutboxMessage, OutboxRow]):
    """`bot.ports.Outbound` over VK: replies, bulk sends through the outbox, edits, files.

    `concurrency` execute requests may be in flight at once (the rate limiter still
    spaces them); a row is tried at most `max_attempts` times before it is 'failed'.
    """

    _outbox: OutboxRepo
    # Rows claimed at a time when workers share the outbox: ten executes, so that at the end of a wave
    # no worker sits on a long page while the others have nothing left.
    claim_page = 250

    def __init__(self, api: API, outbox: OutboxRepo, settings: Settings,
                 clock: Clock | None = None, *, concurrency: int = 4, max_attempts: int = 5,
                 retry_base: float = 0.5, page_size: int = 1000, reply_rounds: int = 3,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 metrics: Metrics = NULL_METRICS) -> None:
        self._api = api
        self.metrics = metrics
        self._outbox = outbox
        self._settings = settings
        self._clock = clock or SystemClock()
        self._concurrency = concurrency
        self.max_attempts = max_attempts
        self._retry_base = retry_base
        self._page_size = page_size
        self._sleep = sleep
        self._init_outbox()
        self.reply_rounds = reply_rounds
        self._batch_seq = itertools.count(1)
        # Batch tags name this process's run, so tags from before a crash stay distinguishable.
        self._run_id = uuid.uuid4().hex[:8]
        # Replies waiting for the same rate slot go together (bot.vk.replies); late-bound, as tests swap the API.
        self._replies = ReplyBatcher(lambda method, params: self._api.request(method, params), _failure,
                                     errors=_SEND_ERRORS)

    # -- interactive ---------------------------------------------------------------------------

    async def reply(self, message: OutMessage) -> Delivery:
        """Send now, ahead of any bulk send; a long text goes as several messages.

        Returns the Delivery of the last message (the one that carries the keyboard),
        or of the first one that failed.
        """
        keyboard = render_keyboard(message.keyboard) if message.keyboard is not None else None
        chunks = split_text(message.text)
        attachment = ",".join(message.attachments) or None
        delivery: Delivery | None = None
        key = message.idem_key or _reply_key()
        for index, text in enumerate(chunks, 1):
            last = index == len(chunks)
            random_id = random_id_for(chunk_key(key, index, len(chunks)))
            params = send_params(message.peer_id, random_id, text,
                                 keyboard=keyboard if last else None,
                                 attachment=attachment if last else None,
                                 intent=message.intent, peer_ids=True)
            delivery = await self._send_one(message, params)
            if not delivery.ok:
                break
        assert delivery is not None  # split_text always gives at least one chunk
        return delivery

    async def _send_one(self, message: OutMessage, params: dict[str, Any]) -> Delivery:
        # The API retries a few times; an answer to a person is worth a few rounds more.
        # The random_id stays the same, so a round after a lost answer cannot deliver twice.
        for round_no in range(1, self.reply_rounds + 1):
            result = await self._replies.send(params)
            if result.ok or classify(result.error_code) is not Outcome.RETRY:
                break
            if round_no < self.reply_rounds:
                log.warning("ответ не отправлен (ошибка %s); пробую ещё раз", result.error_code)
                await self._sleep(backoff(round_no, self._retry_base))
        if result.error_code in UNREACHABLE_CODES:
            await self._outbox.mark_user(message.peer_id, result.error_code, bot=self.bot)
        if result.ok:
            self.metrics.sent("vk")
        else:
            self.metrics.failed("vk")
        return Delivery(peer_id=message.peer_id, ok=result.ok, message_id=result.message_id,
                        conversation_message_id=result.cmid, error_code=result.error_code,
                        error=result.error, person_id=message.person_id)

    async def edit(self, peer_id: int, conversation_message_id: int, text: str,
                   keyboard: Keyboard | None = None) -> None:
        """Edit a message the bot sent, by its conversation_message_id."""
        params: dict[str, Any] = {"peer_id": peer_id,
                                  "conversation_message_id": conversation_message_id,
                                  "message": text}
        if keyboard is not None:
            params["keyboard"] = render_keyboard(keyboard)
        with priority(Priority.INTERACTIVE):
            try:
                await self._api.request("messages.edit", params)
            except _SEND_ERRORS as exc:
                raise DeliveryError(*_error_of(exc)) from exc

    async def answer_callback(self, event_id: str, user_id: int, peer_id: int,
                              text: str | None = None) -> None:
        """Answer a callback button press with a snackbar (or just stop the spinner)."""
        params: dict[str, Any] = {"event_id": event_id, "user_id": user_id, "peer_id": peer_id}
        if text:
            params["event_data"] = json.dumps({"type": "show_snackbar", "text": text[:90]},
                                              ensure_ascii=False)
        with priority(Priority.INTERACTIVE):
            try:
                await self._api.request("messages.sendMessageEventAnswer", params)
            except _SEND_ERRORS as exc:
                # An expired event (over 60 s) is not worth failing the handler for.
                code, _ = _error_of(exc)
                log.warning("ответ на нажатие кнопки не отправлен (ошибка ВКонтакте %s)", code)

    async def upload_document(self, peer_id: int, data: bytes, filename: str, *, org_id: str | None = None) -> str:
        """Upload a document for `peer_id`; returns the attachment string."""
        with priority(Priority.INTERACTIVE):
            try:
                return await DocMessagesUploader(self._api).upload(data, peer_id=peer_id, title=filename)
            except _SEND_ERRORS as exc:
                raise DeliveryError(*_error_of(exc)) from exc

    async def upload_photo(self, peer_id: int, data: bytes, filename: str, *, org_id: str | None = None) -> str:
        """Upload a picture for `peer_id`; returns the attachment string."""
        uploader = PhotoMessageUploader(self._api, attachment_name=filename)
        with priority(Priority.INTERACTIVE):
            try:
                return await uploader.upload(data, peer_id=peer_id)
            except _SEND_ERRORS as exc:
                raise DeliveryError(*_error_of(exc)) from exc

    # -- bulk ----------------------------------------------------------------------------------

    def _intent(self, message: OutMessage) -> str | None:
        if message.intent is not None:
            return message.intent
        for school in self._settings.schools:
            if school.id == message.org_id:
                return school.intent
        return None

    def _all_rows(self, messages: Sequence[OutMessage]) -> list[list[NewOutboxMessage]]:
        """Each message's outbox rows. A wave's messages share a keyboard and a school's intent:
        each distinct keyboard is checked and written out once (by identity: `messages` holds
        them all alive meanwhile), each school's intent looked up once."""
        keyboards: dict[int, str] = {}
        intents: dict[tuple[str | None, str | None], str | None] = {}
        return [self._rows(m, keyboards, intents) for m in messages]

    def _rows(self, message: OutMessage, keyboards: dict[int, str] | None = None,
              intents: dict[tuple[str | None, str | None], str | None] | None = None) -> list[NewOutboxMessage]:
        key = message.idem_key or f"{message.org_id or '-'}:{message.kind}:adhoc:{uuid.uuid4().hex}"
        keyboard = None
        if message.keyboard is not None:
            keyboard = keyboards.get(id(message.keyboard)) if keyboards is not None else None
            if keyboard is None:
                render_keyboard(message.keyboard)  # KeyboardError now, before anything is stored
                keyboard = message.keyboard.model_dump_json()
                if keyboards is not None:
                    keyboards[id(message.keyboard)] = keyboard
        if intents is None:
            intent = self._intent(message)
        elif (message.intent, message.org_id) in intents:
            intent = intents[(message.intent, message.org_id)]
        else:
            intent = intents[(message.intent, message.org_id)] = self._intent(message)
        attachment = ",".join(message.attachments) or None
        chunks = split_text(message.text)
        rows = []
        for index, text in enumerate(chunks, 1):
            last = index == len(chunks)
            ckey = chunk_key(key, index, len(chunks))
            rows.append(NewOutboxMessage(
                idem_key=ckey, peer_id=message.peer_id, messenger="vk", bot=self.bot, random_id=random_id_for(ckey),
                message=text,
                keyboard=keyboard if last else None, attachment=attachment if last else None,
                intent=intent, org_id=message.org_id, kind=message.kind,
                person_id=message.person_id, priority=int(Priority.BULK),
            ))
        return rows

    @staticmethod
    def _delivery(message: OutMessage, rows: Sequence[OutboxRow | None]) -> Delivery:
        for row in rows:
            if row is None or row.status == "pending":
                return Delivery(peer_id=message.peer_id, ok=False, error="not delivered yet",
                                person_id=message.person_id)
            if row.status != "sent":
                return Delivery(peer_id=message.peer_id, ok=False, error_code=row.error_code,
                                error=row.error_msg, person_id=message.person_id)
        first = rows[0]
        assert first is not None
        return Delivery(peer_id=message.peer_id, ok=True, message_id=first.message_id,
                        conversation_message_id=first.cmid, person_id=message.person_id)

    async def resume(self) -> int:
        """Deliver whatever the outbox holds pending (called at start); returns how many."""
        before = (await self._outbox.counts("vk", bots=self.bots)).get("pending", 0)
        if before:
            log.info("resuming %d pending outbox messages", before)
            await self._drain()
        return before

    async def _pass(self) -> bool:
        """One pass over the pending rows; True if some are still pending afterwards."""
        queue: asyncio.Queue[_Batch | None] = asyncio.Queue(maxsize=self._concurrency * 2)
        retry_left = False

        async def worker() -> None:
            nonlocal retry_left
            while (batch := await queue.get()) is not None:
                if await self._deliver(batch):
                    retry_left = True

        async def producer() -> None:
            after = 0
            # A wave's rows carry a handful of distinct keyboards: each is laid out once per pass
            # (per row it cost a pydantic parse and a layout, stalling the loop the limiter runs on).
            keyboards: dict[str, str] = {}
            while page := await self._page(after):
                after, rows = page
                if not rows:
                    continue
                codes = [call_code("messages.send", self._params(r, keyboards)) for r in rows]
                groups = [group_of(r.idem_key) for r in rows]
                for span in batches([len(c) + 1 for c in codes], groups=groups):
                    tag = f"{self._run_id}-{next(self._batch_seq)}"
                    await queue.put(_Batch([rows[i] for i in span],
                                           execute_code([codes[i] for i in span]), tag))
            for _ in range(self._concurrency):
                await queue.put(None)

        # A failing worker cancels the producer and the others (no one blocks on a full queue).
        with priority(Priority.BULK):
            async with asyncio.TaskGroup() as group:
                group.create_task(producer())
                for _ in range(self._concurrency):
                    group.create_task(worker())
        return retry_left

    async def _page(self, after: int) -> tuple[int, list[OutboxRow]] | None:
        """The next page of pending rows after id `after` (claimed, when workers share the outbox), and
        where the page after it starts; None when there is nothing more. A page never cuts a long message:
        chunks of one left at its end (or, claimed, at its start while earlier ones are unsent) wait."""
        size = self._page_size if self.claims is None else min(self._page_size, self.claim_page)
        if self.claims is None:
            rows = await self._outbox.pending(after_id=after, limit=size, bots=self.bots)
        else:
            rows = await self.claims.claim("vk", after_id=after, limit=size, bots=self.bots)
        if not rows:
            return None
        last = group_of(rows[-1].idem_key)
        keep = len(rows)
        if len(rows) == size and last != rows[-1].idem_key:
            while keep > 0 and group_of(rows[keep - 1].idem_key) == last:
                keep -= 1
            if keep == 0:
                keep = len(rows)  # one message longer than a page: it goes as it is
        start = 0
        if self.claims is not None and group_of(rows[0].idem_key) != rows[0].idem_key:
            start = await self._cut_head(rows)
        await self._give_back([r.id for r in rows[:start] + rows[keep:]])
        return rows[max(start, keep) - 1].id, rows[start:keep]

    async def _cut_head(self, rows: Sequence[OutboxRow]) -> int:
        """How many rows at the page's start are later chunks of a message whose earlier chunks are unsent
        (another worker holds them and sends the whole message in order)."""
        head = group_of(rows[0].idem_key)
        count = 0
        while count < len(rows) and group_of(rows[count].idem_key) == head:
            count += 1
        _, _, first = rows[0].idem_key.rpartition("#")
        earlier = [f"{head}#{i}" for i in range(1, int(first))]
        stored = await self._outbox.by_keys(earlier)
        return count if any(r.status == "pending" for r in stored.values()) else 0

    async def _give_back(self, row_ids: Sequence[int]) -> None:
        if self.claims is not None and row_ids:
            await self.claims.release(row_ids)

    @staticmethod
    def _params(row: OutboxRow, keyboards: dict[str, str] | None = None) -> dict[str, Any]:
        # The neutral keyboard is laid out for VK now; a row stored before 0018 kept VK's own JSON.
        keyboard = row.legacy_keyboard
        if row.keyboard:
            keyboard = keyboards.get(row.keyboard) if keyboards is not None else None
            if keyboard is None:
                keyboard = render_keyboard(Keyboard.model_validate_json(row.keyboard))
                if keyboards is not None and len(keyboards) < 1000:
                    keyboards[row.keyboard] = keyboard
        return send_params(row.peer_id, row.random_id or random_id_for(row.idem_key), row.message,
                           keyboard=keyboard, attachment=row.attachment, intent=row.intent,
                           peer_ids=row.peer_id >= CHAT_PEER_START)

    async def _deliver(self, batch: _Batch) -> bool:
        """Send one batch and record each result; True if some rows stay pending."""
        await self._outbox.start_batch([r.id for r in batch.rows], batch.tag)
        try:
            body = await self._api.request("execute", {"code": batch.code})
        except _SEND_ERRORS as exc:
            code, text = _error_of(exc)
            log.warning("пачка сообщений %s не отправлена (ошибка %s)", batch.tag, code)
            results = [CallResult(ok=False, error_code=code, error=text)] * len(batch.rows)
        else:
            results = parse_execute(body, len(batch.rows))
        records = [self._result(row, res) for row, res in zip(batch.rows, results, strict=True)]
        await self._outbox.record(records, bot=self.bot)
        sent = sum(1 for r in records if r.status == "sent")
        given_up = sum(1 for r in records if r.status in ("failed", "unreachable"))
        if sent:
            self.metrics.sent("vk", sent)
        if given_up:
            self.metrics.failed("vk", given_up)
        await self._report(batch.rows, records)
        return any(r.status == "pending" for r in records)

    def _result(self, row: OutboxRow, result: CallResult) -> SendResult:
        outcome = Outcome.SENT if result.ok else classify(result.error_code)
        if outcome is Outcome.RETRY and row.attempts + 1 >= self.max_attempts:
            outcome = Outcome.FAILED
        status = {Outcome.SENT: "sent", Outcome.RETRY: "pending",
                  Outcome.UNREACHABLE: "unreachable", Outcome.FAILED: "failed"}[outcome]
        return SendResult(row_id=row.id, peer_id=row.peer_id, status=status,
                          message_id=result.message_id, cmid=result.cmid,
                          error_code=result.error_code, error_msg=result.error)

    async def _report(self, rows: Sequence[OutboxRow], records: Sequence[SendResult]) -> None:
        finished = [row.idem_key for row, rec in zip(rows, records, strict=True)
                    if rec.status != "pending"]
        await self._finished(finished)
