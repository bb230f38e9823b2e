"""The check in a group chat: a code posted in the new chat marks the confirmation checked."""

from __future__ import annotations

import logging

from bot.domain import chats as rules
from bot.messaging.events import ChatKind, ChatRef, Messenger
from bot.ports import OutMessage, PortFailure
from bot.services.chats.reading import ChatsReader
from storage.audit import AuditRepo
from storage.chats import ChatsRepo

log = logging.getLogger(__name__)


class CodeCheck(ChatsReader):
    """Codes seen in group chats, and the members the bot may count there."""

    async def has_open_code(self, text: str) -> bool:
        """Does a chat message carry a code that is waiting to be seen?"""
        codes = rules.codes_in(text)
        if not codes:
            return False
        async with self._db.read() as conn:
            return bool(await ChatsRepo.open_codes(conn, codes))

    async def code_seen(self, peer_id: int, from_id: int, text: str) -> bool:
        """A code in a group chat: link the chat, count its members where the bot may, tell the owner."""
        codes = rules.codes_in(text)
        async with self._db.read() as conn:
            found = await ChatsRepo.open_codes(conn, codes)
        if not found:
            return False
        conf = found[0]
        members = await self._count_members(peer_id)
        async with self._db.transaction() as conn:
            still = await ChatsRepo.open_codes(conn, [conf.code or ""])
            if not still:
                return False  # checked by a parallel message meanwhile
            await ChatsRepo.mark_checked(conn, conf.id, peer_id, members)
            owner = await ChatsRepo.person_in(conn, conf.person_id)
            await AuditRepo.write_in(conn, actor_vk_id=from_id, actor_person_id=None, org_id=conf.org_id,
                                     action="chat_checked", outcome="ok", target=f"{conf.person_id}:{conf.chat_key}",
                                     details={"peer_id": peer_id, "members": members})
        if self._outbound is not None:
            counted = (f"Участников в чате: {members}." if members is not None else
                       "Участников бот посчитать не смог: для этого его нужно сделать администратором чата.")
            await self._outbound.reply(OutMessage(peer_id=peer_id, text="Код принят, спасибо! Чат отмечен как перенесённый."))
            if owner is not None and owner.vk_id:
                await self._outbound.reply(OutMessage(
                    peer_id=owner.vk_id, person_id=owner.id,
                    text=f"Бот увидел код в новом чате: «{conf.title}» отмечен как проверенный. {counted}"))
        return True

    async def _count_members(self, peer_id: int) -> int | None:
        """People in the chat, where the messenger lets the bot see them (on VK: only as an admin)."""
        if self._members is None:
            return None
        # The chats migration still keys chats by VK peer id.
        chat = ChatRef(messenger=Messenger.VK, chat_id=peer_id, kind=ChatKind.GROUP)
        try:
            return len(await self._members.members(chat))
        except PortFailure as exc:  # not an admin, or any failure: the check stands without a count
            log.info("участников чата %s посчитать не удалось: %s", peer_id, exc.kind.value)
            return None


