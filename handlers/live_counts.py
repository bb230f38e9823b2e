"""Group chats the bot reads: count messages of bound roster people (no text is kept).

A neutral handler: it runs on any messenger the router is fed from.
"""

from __future__ import annotations

from bot.messaging.events import MessageIn
from bot.messaging.filters import InGroup
from bot.messaging.router import Router
from bot.services.live_counts import LiveCountsService

router = Router("live_counts")


# A watcher (blocking=False): other features still get the same chat message (e.g. confirmation codes).
@router.message(InGroup(), blocking=False)
async def on_chat_message(event: MessageIn, live_counts: LiveCountsService | None = None) -> None:
    """Count the message for its author if they are on a school's roster."""
    # A service message (someone joined, the title changed) is not a message written.
    if live_counts is not None and not event.service:
        await live_counts.note_chat_message(event.chat.chat_id, event.sender.external_id, event.at)
