"""The MAX adapter's `MembersPort` (GET /chats/{chatId}/members, 100 a page, paged by `marker`) and the
bot's own rights in a chat (GET /chats/{chatId}/members/me)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from bot.max.client import MaxClient
from bot.messaging.events import ChatRef, Identity, Messenger
from bot.ports import NotAdmin, RetryLater

PAGE = 100
# A chat of 20,000 members is 200 pages: more means the marker does not move.
MAX_PAGES = 1000

NOT_ADMIN = ("Я не администратор этого чата, поэтому не вижу его сообщений и участников. Сделайте меня "
             "администратором с правом «Читать все сообщения»: настройки чата → Администраторы → добавить бота.")
NO_READ_ALL = ("Я администратор этого чата, но без права «Читать все сообщения», поэтому не вижу сообщений "
               "и не могу их посчитать. Включите это право: настройки чата → Администраторы → бот → "
               "«Читать все сообщения».")


class Rights(BaseModel):
    """What the bot may do in a chat."""

    model_config = ConfigDict(frozen=True)

    is_admin: bool
    reads_all: bool

    @property
    def problem(self) -> str | None:
        """What the chat's owner must change, in Russian (None: nothing)."""
        if not self.is_admin:
            return NOT_ADMIN
        return None if self.reads_all else NO_READ_ALL


class MaxMembers:
    """Who is in a MAX group chat: people only (the bot and other bots left out). 403: `NotAdmin`."""

    def __init__(self, client: MaxClient) -> None:
        self._client = client

    async def members(self, chat: ChatRef) -> list[Identity]:
        found: list[Identity] = []
        marker: int | None = None
        for _ in range(MAX_PAGES):
            answer = await self._client.call("GET", f"/chats/{chat.chat_id}/members",
                                             params={"count": PAGE, "marker": marker}, forbidden=NotAdmin)
            items = [m for m in answer.get("members") or [] if isinstance(m, dict)]
            found += [Identity(messenger=Messenger.MAX, external_id=int(m["user_id"]))
                      for m in items if isinstance(m.get("user_id"), int) and not m.get("is_bot")]
            next_marker = answer.get("marker")
            if not isinstance(next_marker, int) or not items:
                return found
            marker = next_marker
        raise RetryLater("MAX отдаёт участников чата без конца")

    async def rights(self, chat_id: int) -> Rights:
        """The bot's admin status and `read_all_messages` right in the chat."""
        me = await self._client.call("GET", f"/chats/{chat_id}/members/me", forbidden=NotAdmin)
        permissions = me.get("permissions") or []
        return Rights(is_admin=bool(me.get("is_admin")),
                      reads_all=isinstance(permissions, list) and "read_all_messages" in permissions)
