"""Group chats the bot reads: count messages of bound roster people (no text is kept)."""

from __future__ import annotations

from vkbottle.bot import BotLabeler, Message

from bot.deps import Deps
from bot.services.live_counts import LiveCountsService

labeler = BotLabeler()


# Not blocking: other features still get the same chat message (e.g. confirmation codes).
@labeler.chat_message(blocking=False)
async def on_chat_message(message: Message, deps: Deps) -> None:
    """Count the message for its author if they are on a school's roster."""
    service = deps.live_counts
    # A service message (someone joined, the title changed) is not a message written.
    if not isinstance(service, LiveCountsService) or message.action is not None:
        return
    if deps.privacy.consent_in_use:
        # Where consent is required, a person who has not given it is not counted either.
        person = await deps.access.person(message.from_id)
        if person is not None and await deps.privacy.needs_consent(message.from_id, person.org_id):
            return
    await service.note_chat_message(message.peer_id, message.from_id, message.date)
