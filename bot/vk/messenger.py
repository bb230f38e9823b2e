"""The VK adapter's side of the messenger ports: neutral replies sent through the one outbound sender."""

from __future__ import annotations

import logging

from bot.downloads import fetch
from bot.messaging.events import CallbackAnswer, ChatRef, Edit, FileRef, Messenger, OutFile, Reply
from bot.messaging.layout import fit
from bot.ports import (
    FileTooLarge,
    NotAdmin,
    OutMessage,
    PersonUnreachable,
    PortFailure,
    RateLimited,
    RetryLater,
    Sent,
)
from bot.vk.keyboard import vk_limits
from bot.vk.outbound import VkOutbound
from bot.vk.rules import NETWORK_ERROR, RETRY_CODES, UNREACHABLE_CODES
from bot.vk.runtime import current_callback

log = logging.getLogger(__name__)

# VK: «access denied» / «chat not found or no access», what the bot gets where it is not an admin.
NOT_ADMIN_CODES = frozenset({15, 917})
TOO_MANY = 6


def failure_for(code: int | None, message: str = "") -> PortFailure:
    """A VK error code as a typed failure."""
    if code in UNREACHABLE_CODES:
        return PersonUnreachable(message)
    if code in NOT_ADMIN_CODES:
        return NotAdmin(message)
    if code == TOO_MANY:
        return RateLimited(message)
    if code in RETRY_CODES or code == NETWORK_ERROR:
        return RetryLater(message)
    return PortFailure(message or f"VK error {code}")


class VkMessenger:
    """`MessengerPort` on VK: replies go through `VkOutbound.reply` (idempotent on replays),
    keyboards laid out within VK's limits."""

    messenger = Messenger.VK

    def __init__(self, outbound: VkOutbound) -> None:
        self._outbound = outbound

    async def upload(self, chat: ChatRef, file: OutFile) -> str:
        """Upload a picture (as a photo) or a document for the chat; PortFailure when VK refuses."""
        if file.image:
            return await self._outbound.upload_photo(chat.chat_id, file.data, file.name)
        return await self._outbound.upload_document(chat.chat_id, file.data, file.name)

    async def download(self, file: FileRef, max_bytes: int) -> bytes:
        """A document someone sent: VK gives its URL with the message (`FileRef.ref`)."""
        if file.size is not None and file.size > max_bytes:
            raise FileTooLarge(f"{file.size} байт")
        return await fetch(file.ref, max_bytes)

    async def send(self, reply: Reply) -> Sent:
        """Upload the files, then send the text with them; a file VK refuses is left out."""
        handles, skipped = list(reply.attachments), []
        for file in reply.files:
            try:
                handles.append(await self.upload(reply.chat, file))
            except PortFailure:
                log.error("не удалось загрузить файл %s для чата %s", file.name, reply.chat.chat_id)
                log.debug("подробности", exc_info=True)
                skipped.append(file.name)
        keyboard = fit(reply.keyboard, vk_limits(reply.keyboard)) if reply.keyboard is not None else None
        delivery = await self._outbound.reply(OutMessage(peer_id=reply.chat.chat_id, text=reply.text,
                                                         keyboard=keyboard, attachments=tuple(handles)))
        failure = None if delivery.ok else failure_for(delivery.error_code).kind
        return Sent(chat=reply.chat, message_id=delivery.conversation_message_id, skipped=tuple(skipped),
                    failure=failure)

    async def edit(self, edit: Edit) -> None:
        """Edit by conversation_message_id (the id `send` returned)."""
        await self._outbound.edit(edit.chat.chat_id, edit.message_id, edit.text, edit.keyboard)

    async def answer(self, answer: CallbackAnswer) -> None:
        """Inside a press being handled the poller answers once the handler returns; else answer now."""
        state = current_callback.get()
        if state is not None:
            state.snackbar = answer.text
            return
        await self._outbound.answer_callback(answer.callback_id, answer.user.external_id,
                                             answer.chat.chat_id, answer.text)
