"""The check in a group chat: a code posted in the new chat marks the confirmation checked."""

from __future__ import annotations

import logging

from bot.domain import chats as rules
from bot.messaging.events import ChatKind, ChatRef, Identity, Messenger, Reply
from bot.ports import MessengerPort, OutMessage, PortFailure
from bot.services.chats.reading import ChatsReader

log = logging.getLogger(__name__)


class CodeCheck(ChatsReader):
    """Codes seen in group chats, and the members the bot may count there."""

    async def has_open_code(self, text: str) -> bool:
        """Does a chat message carry a code that is waiting to be seen?"""
        codes = rules.codes_in(text)
        if not codes:
            return False
        return bool(await self._chats.open_codes(codes))

    async def code_seen(self, peer_id: int, from_id: int, text: str, *,
                        messenger: MessengerPort | None = None) -> bool:
        """A code in a group chat: link the chat, count its members where the bot may, tell the owner.

        With `messenger` (a chat outside VK) the replies go through it, to the owner's account there.
        """
        codes = rules.codes_in(text)
        found = await self._chats.open_codes(codes)
        if not found:
            return False
        conf = found[0]
        where = messenger.messenger if messenger is not None else Messenger.VK
        members = await self._count_members(peer_id, where)
        chat = ChatRef(messenger=where, chat_id=peer_id, kind=ChatKind.GROUP)
        marked, owner = await self._chats.mark_checked(conf, chat, members,
                                                       Identity(messenger=where, external_id=from_id))
        if not marked:
            return False  # checked by a parallel message meanwhile
        counted = (f"Участников в чате: {members}." if members is not None else
                   "Участников бот посчитать не смог: для этого его нужно сделать администратором чата.")
        if messenger is not None and where is not Messenger.VK:
            await messenger.send(Reply(chat=chat, text="Код принят, спасибо! Чат отмечен как перенесённый."))
            account = owner.max_id if owner is not None and where is Messenger.MAX else None
            if account:
                await messenger.send(Reply(
                    chat=ChatRef.dialog_with(Identity(messenger=where, external_id=account)),
                    text=f"Бот увидел код в новом чате: «{conf.title}» отмечен как проверенный. {counted}"))
            return True
        if self._outbound is not None:
            await self._outbound.reply(OutMessage(peer_id=peer_id, text="Код принят, спасибо! Чат отмечен как перенесённый."))
            if owner is not None and owner.vk_id:
                await self._outbound.reply(OutMessage(
                    peer_id=owner.vk_id, person_id=owner.id,
                    text=f"Бот увидел код в новом чате: «{conf.title}» отмечен как проверенный. {counted}"))
        return True

    async def _count_members(self, peer_id: int, messenger: Messenger = Messenger.VK) -> int | None:
        """People in the chat, where the messenger lets the bot see them (only as an admin)."""
        port = self._members if messenger is Messenger.VK else self._members_by.get(messenger)
        if port is None:
            return None
        chat = ChatRef(messenger=messenger, chat_id=peer_id, kind=ChatKind.GROUP)
        try:
            return len(await port.members(chat))
        except PortFailure as exc:  # not an admin, or any failure: the check stands without a count
            log.info("участников чата %s посчитать не удалось: %s", peer_id, exc.kind.value)
            return None


