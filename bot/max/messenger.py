"""`MessengerPort` on MAX: send (files through the two-step upload), edit, answer a press.

A dialog is addressed by the person's user id (`?user_id=`), as VK addresses it by peer id, so a
reminder can reach someone by their MAX id alone; a group chat by its (negative) chat id.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from bot.downloads import fetch
from bot.max.client import AttachmentNotReady, MaxClient, ssl_context
from bot.max.keyboard import attachment
from bot.messaging import events
from bot.metrics import NULL_METRICS, Metrics
from bot.ports import FileTooLarge, PersonUnreachable, PortFailure, RateLimited, Sent

log = logging.getLogger(__name__)

# attachment.not.ready: the file is still being processed; wait 1, 2, 4, 8 s before giving up.
NOT_READY_DELAYS = (1.0, 2.0, 4.0, 8.0)
# HTTP 429 despite the budget (another process, a restart within the second): wait and send again.
RATE_LIMITED_DELAYS = (1.0, 2.0, 4.0)
KNOWN_MIDS = 4096

Unreachable = Callable[[events.Identity], Awaitable[None]]


def target(chat: events.ChatRef) -> dict[str, int]:
    """The query that addresses a chat: a dialog by the person's user id, a group by its chat id."""
    return {"chat_id": chat.chat_id} if chat.is_group else {"user_id": chat.chat_id}


class MaxMessenger:
    """Sends neutral replies to MAX; a 403 is recorded through `on_unreachable` and never retried."""

    messenger = events.Messenger.MAX

    def __init__(self, client: MaxClient, *, on_unreachable: Unreachable | None = None,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 metrics: Metrics = NULL_METRICS) -> None:
        self._client = client
        self.metrics = metrics
        self._on_unreachable = on_unreachable
        self._sleep = sleep
        # MAX message ids are strings; the ports speak of integers (the message's seq): seq → mid.
        self._mids: OrderedDict[int, str] = OrderedDict()

    def remember(self, seq: int, mid: str) -> None:
        self._mids[seq] = mid
        while len(self._mids) > KNOWN_MIDS:
            self._mids.popitem(last=False)

    async def upload(self, chat: events.ChatRef, file: events.OutFile) -> str:
        """Two steps: ask MAX for an upload URL, post the file there; the handle is the attachment JSON."""
        kind = "image" if file.image else "file"
        slot = await self._client.call("POST", "/uploads", params={"type": kind})
        url = slot.get("url")
        if not isinstance(url, str):
            raise PortFailure("MAX не дал адрес для загрузки файла")
        answer = await self._client.upload_file(url, file.name, file.data)
        token = slot.get("token") or answer.get("token")
        if kind == "image" and not token and isinstance(answer.get("photos"), dict):
            return _dumps({"type": "image", "payload": {"photos": answer["photos"]}})
        if not token:
            raise PortFailure("MAX не вернул токен загруженного файла")
        return _dumps({"type": kind, "payload": {"token": token}})

    async def download(self, file: events.FileRef, max_bytes: int) -> bytes:
        """A file someone sent: MAX gives its URL in the attachment's payload (`FileRef.ref`).

        Fetched without the bot's token (the URL is enough), trusting the Минцифры CA as the API calls do.
        """
        if file.size is not None and file.size > max_bytes:
            raise FileTooLarge(f"{file.size} байт")
        return await fetch(file.ref, max_bytes, context=ssl_context())

    async def _post(self, chat: events.ChatRef, body: dict[str, Any]) -> dict[str, Any]:
        """POST /messages, sent again while an attachment is not ready or after a 429 (a 403 never)."""
        not_ready, limited = iter(NOT_READY_DELAYS), iter(RATE_LIMITED_DELAYS)
        while True:
            try:
                return await self._client.call("POST", "/messages", params=target(chat), body=body,
                                               chat=chat.chat_id)
            except (AttachmentNotReady, RateLimited) as exc:
                delay = next(not_ready if isinstance(exc, AttachmentNotReady) else limited, None)
                if delay is None:
                    raise
            await self._sleep(delay)

    async def send(self, reply: events.Reply) -> Sent:
        """The text (with its keyboard) first, then each file as its own message (MAX wants a file alone)."""
        chat = reply.chat
        skipped: list[str] = []
        handles = list(reply.attachments)
        for file in reply.files:
            try:
                handles.append(await self.upload(chat, file))
            except PortFailure:
                log.error("не удалось загрузить файл %s для чата MAX %s", file.name, chat.chat_id)
                log.debug("подробности", exc_info=True)
                skipped.append(file.name)
        body: dict[str, Any] = {"text": reply.text or None}
        if reply.keyboard is not None:
            keyboard = attachment(reply.keyboard)
            body["attachments"] = [keyboard] if keyboard is not None else []
        message_id: int | None = None
        try:
            if reply.text or body.get("attachments"):
                message_id = self._seen(await self._post(chat, body))
            for handle in handles:
                try:
                    await self._post(chat, {"text": None, "attachments": [_loads(handle)]})
                except PortFailure as exc:
                    if isinstance(exc, PersonUnreachable):
                        raise
                    log.error("не удалось отправить файл в чат MAX %s: %s", chat.chat_id, exc)
                    skipped.append(str(_loads(handle).get("type")))
        except PortFailure as exc:
            if isinstance(exc, PersonUnreachable) and not chat.is_group and self._on_unreachable is not None:
                await self._on_unreachable(events.Identity(messenger=events.Messenger.MAX, external_id=chat.chat_id))
            log.warning("MAX не принял сообщение для чата %s: %s", chat.chat_id, exc)
            self.metrics.failed("max")
            return Sent(chat=chat, message_id=message_id, skipped=tuple(skipped), failure=exc.kind)
        self.metrics.sent("max")
        return Sent(chat=chat, message_id=message_id, skipped=tuple(skipped))

    def _seen(self, answer: dict[str, Any]) -> int | None:
        body = (answer.get("message") or {}).get("body") or {}
        seq, mid = body.get("seq"), body.get("mid")
        if isinstance(seq, int) and isinstance(mid, str):
            self.remember(seq, mid)
            return seq
        return None

    async def edit(self, edit: events.Edit) -> None:
        """PUT /messages by the mid behind the seq `send` returned (or got in the press)."""
        mid = self._mids.get(edit.message_id)
        if mid is None:
            raise PortFailure(f"сообщение {edit.message_id} неизвестно")
        body: dict[str, Any] = {"text": edit.text}
        if edit.keyboard is not None:
            keyboard = attachment(edit.keyboard)
            body["attachments"] = [keyboard] if keyboard is not None else []
        await self._client.call("PUT", "/messages", params={"message_id": mid}, body=body, chat=edit.chat.chat_id)

    async def answer(self, answer: events.CallbackAnswer) -> None:
        """POST /answers: a short notification, or (without text) just «received» as a one-space toast."""
        await self._client.call("POST", "/answers", params={"callback_id": answer.callback_id},
                                body={"notification": answer.text or " "}, chat=answer.chat.chat_id)


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _loads(handle: str) -> dict[str, Any]:
    value = json.loads(handle)
    return value if isinstance(value, dict) else {}
