"""The check in a group chat: a code posted in the new chat marks the confirmation checked."""

from __future__ import annotations

import logging

from bot.domain import chats as rules
from bot.messaging.events import ChatKind, ChatRef, Identity, Messenger, Reply
from bot.ports import MessengerPort, OutMessage, PortFailure
from bot.services.chats.reading import ChatsReader

log = logging.getLogger(__name__)

ACCEPTED = "Код принят, спасибо! Чат отмечен как перенесённый."


class CodeCheck(ChatsReader):
    """Codes seen in group chats, and the members the bot may count there."""

    async def has_open_code(self, text: str) -> bool:
        """Does a chat message carry a code that is waiting to be seen?"""
        codes = rules.codes_in(text)
        if not codes:
            return False
        return bool(await self._chats.open_codes(codes))

    async def code_seen(self, peer_id: int, from_id: int, text: str, *,
                        messenger: MessengerPort | None = None, bot: str | None = None) -> bool:
        """A code in a group chat: link the chat, count its members where the bot may, tell the owner.

        `messenger` is the port of the bot that saw the code (`bot` its name among several): it answers in
        the chat and counts its members, since it is the one in it. The owner is told in their dialog with
        their school's bot. Without `messenger` (the CLI, tests) the chat is VK's and the first bot answers.
        """
        codes = rules.codes_in(text)
        found = await self._chats.open_codes(codes)
        if not found:
            return False
        conf = found[0]
        where = messenger.messenger if messenger is not None else Messenger.VK
        members = await self._count_members(peer_id, where, bot)
        chat = ChatRef(messenger=where, chat_id=peer_id, kind=ChatKind.GROUP)
        marked, owner = await self._chats.mark_checked(conf, chat, members,
                                                       Identity(messenger=where, external_id=from_id))
        if not marked:
            return False  # checked by a parallel message meanwhile
        counted = (f"Участников в чате: {members}." if members is not None else
                   "Участников бот посчитать не смог: для этого его нужно сделать администратором чата.")
        if messenger is not None:
            await messenger.send(Reply(chat=chat, text=ACCEPTED))
        elif self._outbound is not None:
            await self._outbound.reply(OutMessage(peer_id=peer_id, text=ACCEPTED))
        account = None if owner is None else owner.max_id if where is Messenger.MAX else owner.vk_id
        if owner is not None and account and self._outbound is not None:
            await self._outbound.reply(OutMessage(
                peer_id=account, messenger=where, org_id=owner.org_id, person_id=owner.id,
                text=f"Бот увидел код в новом чате: «{conf.title}» отмечен как проверенный. {counted}"))
        return True

    async def _count_members(self, peer_id: int, messenger: Messenger = Messenger.VK,
                             bot: str | None = None) -> int | None:
        """People in the chat, where the messenger lets the bot see them (only as an admin), asked through
        the bot `bot` that is in the chat (the messenger's default bot when it has no port of its own)."""
        port = self._members_named.get((messenger, bot)) if bot is not None else None
        if port is None:
            port = self._members if messenger is Messenger.VK else self._members_by.get(messenger)
        if port is None:
            return None
        chat = ChatRef(messenger=messenger, chat_id=peer_id, kind=ChatKind.GROUP)
        try:
            return len(await port.members(chat))
        except PortFailure as exc:  # not an admin, or any failure: the check stands without a count
            log.info("участников чата %s посчитать не удалось: %s", peer_id, exc.kind.value)
            return None
