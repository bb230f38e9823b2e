"""The features a command-line run can read without VK (chats, reachability, live counts).

The CLI has no running bot, but `remind --dry-run` and `summary` must see what the bot
would see: the chats not confirmed, the people it cannot reach, the counts it kept.
"""

from __future__ import annotations

from bot.config import Settings
from bot.services.chats import ChatsService
from bot.services.live_counts import LiveCountsService
from bot.services.reachability import ReachabilityService
from bot.services.reminders import Links
from storage.sql import Database


def offline_links(db: Database, settings: Settings) -> Links:
    """Chats, reachability and live counts over the database alone (no VK calls)."""
    return Links(chats=ChatsService(db, settings), reachability=ReachabilityService(db),
                 live_counts=LiveCountsService(db, settings))
