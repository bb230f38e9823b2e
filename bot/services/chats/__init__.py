"""Chats moved off foreign messengers: each person confirms each expected chat in a short
dialog; the bot checks a chat where it can (a code posted in it); the school sees progress.

Dialog steps return a `Screen` (text + keyboard) so the handler only sends it. The dialog
lives in the dialog-state store (`StateStore`, feature «chats»): a restart continues where the
person was.
"""

from __future__ import annotations

from bot.services.chats.check import CodeCheck
from bot.services.chats.deputy import DeputyChats
from bot.services.chats.model import (
    CANCEL,
    TO_LIST,
    ChatItem,
    ChatsRefused,
    MigrationReport,
    PersonChats,
    Screen,
)

__all__ = ["CANCEL", "TO_LIST", "ChatItem", "ChatsRefused", "ChatsService", "MigrationReport", "PersonChats",
           "Screen"]


class ChatsService(CodeCheck, DeputyChats):
    """The chats migration for the chat, the CLI, reminders, the summary and «Мой статус»."""
