"""The MAX side of the outbox: bulk messages delivered exactly once although MAX has no `random_id`.

MAX takes every POST /messages as a new message, so a send whose answer was lost (a timeout, a
dropped connection, a crash) may or may not have been delivered. The protocol:

1. Before the POST the row is committed as 'sending' with the fingerprint of what is posted.
2. A clear answer finishes it: 200 → 'sent' with the message's `mid`; 403 → 'unreachable'
   («человек не запускал бота или остановил его»: recorded, reported, never tried again);
   429 or an attachment not ready → back to 'pending' (MAX surely did not take it; a 429 also
   pauses the shared budget); another 4xx → 'failed'.
3. Anything uncertain (no answer, a 5xx) leaves the row 'sending'. Before such a row is posted
   again — in the next pass, or after a restart — the bot reads its chat's recent messages
   (GET /messages) and looks for one of its own with the row's fingerprint whose `mid` no other
   row has claimed. Found: the row is 'sent' with that mid. Not found: it is posted again.

Bulk sends go at bulk priority, so interactive replies (`reply`, the handlers' `MaxMessenger`)
take the shared budget's slots first.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot.domain.ui import Keyboard
from bot.max.client import UNREACHABLE_TEXT, AttachmentNotReady, MaxApiError, MaxClient
from bot.max.keyboard import attachment as keyboard_attachment
from bot.max.messenger import MaxMessenger
from bot.messaging.delivery import OutboxSender
from bot.messaging.events import ChatKind, ChatRef, Messenger, Reply
from bot.messaging.leases import HeldRows, holding, page_for
from bot.messaging.text import split_text
from bot.metrics import NULL_METRICS, Metrics
from bot.ports import (
    MAX_DENIED,
    Delivery,
    FailureKind,
    OutMessage,
    PersonUnreachable,
    RateLimited,
    RetryLater,
)
from bot.ratelimit import Priority
from storage.outbox import NewOutboxMessage, OutboxRepo, OutboxRow

log = logging.getLogger(__name__)

MAX_TEXT = 4000
# How many of a chat's latest messages are read to find a send whose answer was lost (MAX: ≤ 100).
RECENT = 100
Unreachable = Callable[[int], Awaitable[None]]


def fingerprint(text: str | None, attachments: Sequence[dict[str, Any]] | None) -> str:
    """What identifies a posted message among a chat's messages: its text and its attachments' kinds."""
    kinds = sorted(str(a.get("type")) for a in attachments or [] if isinstance(a, dict))
    raw = json.dumps([text or "", kinds], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


def _kind(handle: str) -> str | None:
    """An uploaded attachment's type ('image', 'file', …) from its handle."""
    try:
        found = json.loads(handle)
    except ValueError:
        return None
    return str(found.get("type")) if isinstance(found, dict) else None


def chat_of(peer_id: int) -> ChatRef:
    """A MAX target as a chat: a person's dialog by their user id, a group chat by its negative id."""
    kind = ChatKind.GROUP if peer_id < 0 else ChatKind.DIALOG
    return ChatRef(messenger=Messenger.MAX, chat_id=peer_id, kind=kind)


def _target(peer_id: int) -> dict[str, int]:
    return {"chat_id": peer_id} if peer_id < 0 else {"user_id": peer_id}


class MaxOutbound(OutboxSender[NewOutboxMessage, OutboxRow]):
    """`bot.ports.Outbound`'s sending half over MAX: replies now, bulk messages through the outbox.

    `concurrency` chats are served at once (the budget spaces the requests); a row that MAX surely
    did not take is posted at most `max_attempts` times before it is 'failed'.
    """

    messenger = Messenger.MAX
    _outbox: OutboxRepo
    # Every 25 rows (as VK's batches) and at the end, not once a message.
    progress_every = 25
    messenger_name = Messenger.MAX.value
    unfinished = ("pending", "sending")
    # Rows claimed per pass at most when workers share the outbox (at MAX's 30 requests/s, 10 s of sending);
    # fewer when this worker's share of the rate sends fewer within half the lease (`leases.page_for`).
    claim_page = 300

    def __init__(self, client: MaxClient, outbox: OutboxRepo, messenger: MaxMessenger, *,
                 on_unreachable: Unreachable | None = None, concurrency: int = 16, max_attempts: int = 5,
                 retry_base: float = 0.5, sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 metrics: Metrics = NULL_METRICS) -> None:
        self._client = client
        self.metrics = metrics
        self._outbox = outbox
        self._messenger = messenger
        self._on_unreachable = on_unreachable
        self._concurrency = concurrency
        self.max_attempts = max_attempts
        self._retry_base = retry_base
        self._sleep = sleep
        self._init_outbox()
        self._dialogs: dict[int, int] = {}

    # -- interactive ---------------------------------------------------------------------------

    async def reply(self, message: OutMessage) -> Delivery:
        """Send now through the messenger port, ahead of bulk sends (a 403 is recorded there)."""
        sent = await self._messenger.send(Reply(chat=chat_of(message.peer_id), text=message.text,
                                                keyboard=message.keyboard, attachments=message.attachments))
        denied = sent.failure is FailureKind.UNREACHABLE
        return Delivery(peer_id=message.peer_id, ok=sent.ok, message_id=sent.message_id,
                        error_code=MAX_DENIED if denied else None,
                        error=UNREACHABLE_TEXT if denied else (str(sent.failure) if sent.failure else None),
                        person_id=message.person_id, messenger=Messenger.MAX)

    async def remember_dialog(self, user_id: int, chat_id: int) -> None:
        """MAX named the chat id of a person's dialog (bot_started, a message, a send's answer)."""
        if self._dialogs.get(user_id) != chat_id:
            await self._outbox.set_dialog(user_id, chat_id, self.bot)
            self._dialogs[user_id] = chat_id

    # -- bulk ----------------------------------------------------------------------------------

    def _rows(self, message: OutMessage) -> list[NewOutboxMessage]:
        key = message.idem_key or f"{message.org_id or '-'}:{message.kind}:adhoc:{uuid.uuid4().hex}"
        keyboard = None
        if message.keyboard is not None:
            keyboard_attachment(message.keyboard)  # a payload too long fails now, before anything is stored
            keyboard = message.keyboard.model_dump_json()
        # MAX takes a file only alone in its message: files follow as messages of their own; images
        # stay with the last piece of the text.
        files = [h for h in message.attachments if _kind(h) == "file"]
        inline = [h for h in message.attachments if _kind(h) != "file"]
        chunks = split_text(message.text, MAX_TEXT)
        rows = []

        def row(idem_key: str, text: str, *, with_keyboard: str | None = None,
                attached: Sequence[str] = ()) -> NewOutboxMessage:
            return NewOutboxMessage(
                idem_key=idem_key, peer_id=message.peer_id, messenger=Messenger.MAX.value, bot=self.bot, message=text,
                keyboard=with_keyboard, attachment=json.dumps(list(attached)) if attached else None,
                org_id=message.org_id, kind=message.kind, person_id=message.person_id, priority=int(Priority.BULK))

        if message.text or keyboard is not None or inline or not files:
            for index, text in enumerate(chunks, 1):
                last = index == len(chunks)
                rows.append(row(key if len(chunks) == 1 else f"{key}#{index}", text,
                                with_keyboard=keyboard if last else None, attached=inline if last else ()))
        rows += [row(f"{key}#file{n}", "", attached=[handle]) for n, handle in enumerate(files, 1)]
        return rows

    @staticmethod
    def _delivery(message: OutMessage, rows: Sequence[OutboxRow | None]) -> Delivery:
        base = {"peer_id": message.peer_id, "person_id": message.person_id, "messenger": Messenger.MAX}
        for row in rows:
            if row is None or row.status in ("pending", "sending"):
                return Delivery(ok=False, error="not delivered yet", **base)
            if row.status != "sent":
                return Delivery(ok=False, error_code=row.error_code, error=row.error_msg, **base)
        first = rows[0]
        assert first is not None
        return Delivery(ok=True, message_id=first.message_id, **base)

    async def resume(self) -> int:
        """Deliver what the outbox holds for MAX (called at start); returns how many rows were left."""
        counts = await self._outbox.counts(Messenger.MAX.value, bots=self.bots)
        left = counts.get("pending", 0) + counts.get("sending", 0)
        if left:
            log.info("resuming %d MAX outbox messages (%d possibly sent)", left, counts.get("sending", 0))
            await self._drain()
        return left

    async def _pass(self) -> bool:
        """One pass over the unfinished rows, one chat's rows in order; True if some are left.

        With workers sharing the outbox, one claimed page per pass, sized to what this worker's share of the
        rate sends within half the lease, and the lease renewed while the page is sent (`bot.messaging.leases`).
        """
        chats: dict[int, list[OutboxRow]] = {}
        after = 0
        while rows := await self._page(after):
            after = rows[-1].id
            for row in rows:
                chats.setdefault(row.peer_id, []).append(row)
            if self.claims is not None:
                break
        if self.claims is None:
            return await self._send_chats(chats, None)
        async with holding(self.claims, (r.id for rows in chats.values() for r in rows),
                           sleep=self.lease_sleep) as held:
            return await self._send_chats(chats, held)

    async def _send_chats(self, chats: dict[int, list[OutboxRow]], held: HeldRows | None) -> bool:
        queue: asyncio.Queue[list[OutboxRow]] = asyncio.Queue()
        for chat_rows in chats.values():
            queue.put_nowait(chat_rows)
        left = False

        async def worker() -> None:
            nonlocal left
            while not queue.empty():
                for row in queue.get_nowait():
                    if held is not None and not held.holds(row.id):
                        break  # another worker took this chat's rows from us: it sends them, in order
                    delivered = await self._deliver(row)
                    if held is not None:
                        held.done(row.id)
                    if not delivered:
                        left = True
                        break  # the chat's later rows wait, so that a long message keeps its order

        async with asyncio.TaskGroup() as group:
            for _ in range(min(self._concurrency, len(chats))):
                group.create_task(worker())
        return left

    async def _page(self, after: int) -> list[OutboxRow]:
        if self.claims is None:
            return await self._outbox.pending(after_id=after, limit=1000, messenger=Messenger.MAX.value,
                                              statuses=self.unfinished, bots=self.bots)
        size = page_for(self._client.budget.overall.rps, self.claims.lease, self.claim_page)
        rows = await self.claims.claim(Messenger.MAX.value, after_id=after, limit=size,
                                       statuses=self.unfinished, bots=self.bots)
        if not rows:
            return rows
        # A chat with an earlier unfinished row not ours (another worker's, or not yet claimed) is left to
        # whoever sends that row: one worker writes into a chat at a time, in order, within its 2 sends/s.
        first_foreign = await self.claims.held_elsewhere(Messenger.MAX.value, sorted({r.peer_id for r in rows}),
                                                         rows[-1].id, self.unfinished, self.bots)
        kept = [r for r in rows if first_foreign.get(r.peer_id, r.id + 1) > r.id]
        if len(kept) < len(rows):
            await self.claims.release([r.id for r in rows if first_foreign.get(r.peer_id, r.id + 1) < r.id])
        return kept

    def _body(self, row: OutboxRow) -> dict[str, Any]:
        attachments: list[dict[str, Any]] = []
        if row.keyboard:
            keyboard = keyboard_attachment(Keyboard.model_validate_json(row.keyboard))
            if keyboard is not None:
                attachments.append(keyboard)
        if row.attachment:
            attachments.extend(json.loads(handle) for handle in json.loads(row.attachment))
        body: dict[str, Any] = {"text": row.message or None}
        if attachments:
            body["attachments"] = attachments
        return body

    async def _deliver(self, row: OutboxRow) -> bool:
        """Finish one row if MAX lets it; True when it is finished (or finished by someone else)."""
        if row.status == "sending":
            found = await self._find(row)
            if found is None:  # the chat could not be read: look again in the next pass
                return await self._give_up(row, "не удалось проверить, дошло ли сообщение")
            if found:
                return True
            if row.attempts >= self.max_attempts:  # posted that often and never seen: stop here
                return await self._finish(row, "failed", error_msg="MAX не подтвердил доставку")
        body = self._body(row)
        held = self.claims.fence() if self.claims is not None else None
        if not await self._outbox.mark_sending(row.id, fingerprint(body.get("text"), body.get("attachments")),
                                               held=held):
            return True  # finished by another pass, or (claims) no longer ours: its new holder sends it
        try:
            answer = await self._client.call("POST", "/messages", params=_target(row.peer_id), body=body,
                                             chat=row.peer_id, priority=Priority.BULK)
        except PersonUnreachable:
            await self._outbox.finish_max(row.id, "unreachable", error_code=MAX_DENIED, error_msg=UNREACHABLE_TEXT)
            self.metrics.failed("max")
            if row.peer_id > 0 and self._on_unreachable is not None:
                await self._on_unreachable(row.peer_id)
            return await self._finished_row(row)
        except (RateLimited, AttachmentNotReady) as exc:
            # MAX surely did not take it (the 429 has paused the shared budget already).
            log.info("MAX отложил сообщение %s: %s", row.idem_key, exc)
            await self._outbox.finish_max(row.id, "pending")
            return False
        except RetryLater as exc:
            log.warning("ответ MAX на сообщение %s потерян (%s): проверю чат перед повтором", row.idem_key, exc)
            return False
        except MaxApiError as exc:
            return await self._finish(row, "failed", error_code=exc.status, error_msg=f"{exc.code}: {exc}")
        message = answer.get("message") or {}
        mid = (message.get("body") or {}).get("mid")
        seq = (message.get("body") or {}).get("seq")
        chat_id = (message.get("recipient") or {}).get("chat_id")
        if row.peer_id > 0 and isinstance(chat_id, int):
            await self.remember_dialog(row.peer_id, chat_id)
        return await self._finish(row, "sent", message_id=seq if isinstance(seq, int) else None,
                                  mid=mid if isinstance(mid, str) else None)

    async def _give_up(self, row: OutboxRow, reason: str) -> bool:
        if row.attempts >= self.max_attempts:
            return await self._finish(row, "failed", error_msg=reason)
        await self._outbox.mark_sending(row.id, row.fingerprint or "")
        return False

    async def _find(self, row: OutboxRow) -> bool | None:
        """Whether a message of the bot's with the row's fingerprint, claimed by no other row, is in the
        chat (then the row is recorded as sent with it); None when the chat could not be read."""
        chat_id = row.peer_id if row.peer_id < 0 else await self._dialog(row.peer_id)
        if chat_id is None:
            log.warning("чат MAX с %s неизвестен: сообщение %s отправляю снова без проверки", row.peer_id, row.idem_key)
            return False
        try:
            answer = await self._client.call("GET", "/messages", params={"chat_id": chat_id, "count": RECENT},
                                             priority=Priority.BULK)
        except PersonUnreachable:
            return False  # the chat is closed to the bot now: the POST will say 403
        except (RetryLater, RateLimited, MaxApiError):
            return None
        candidates: list[tuple[str, int | None]] = []
        for message in answer.get("messages") or []:
            body = message.get("body") or {}
            mid = body.get("mid")
            if not (message.get("sender") or {}).get("is_bot") or not isinstance(mid, str):
                continue
            if fingerprint(body.get("text"), body.get("attachments")) == row.fingerprint:
                seq = body.get("seq")
                candidates.append((mid, seq if isinstance(seq, int) else None))
        if not candidates:
            return False
        claimed = await self._outbox.claimed_mids([mid for mid, _ in candidates])
        for mid, seq in reversed(candidates):  # the oldest unclaimed one: the first of any repeats
            if mid not in claimed and await self._outbox.finish_max(row.id, "sent", message_id=seq, mid=mid):
                log.info("сообщение %s уже было доставлено (%s): повтора не будет", row.idem_key, mid)
                await self._finished_row(row)
                return True
        return False

    async def _dialog(self, user_id: int) -> int | None:
        chat_id = self._dialogs.get(user_id)
        if chat_id is None:
            chat_id = await self._outbox.dialog_of(user_id, self.bot)
            if chat_id is not None:
                self._dialogs[user_id] = chat_id
        return chat_id

    async def _finish(self, row: OutboxRow, status: str, **fields: Any) -> bool:
        """Record the row's final status, count it, and tell whoever waits for it; True (the row is done)."""
        await self._outbox.finish_max(row.id, status, **fields)
        if status == "sent":
            self.metrics.sent("max")
        else:
            self.metrics.failed("max")
        return await self._finished_row(row)

    async def _finished_row(self, row: OutboxRow) -> bool:
        await self._finished([row.idem_key])
        return True
