"""Group chats the bot reads: count messages of bound roster people (no text is kept).

A neutral handler: it runs on any messenger the router is fed from.
"""

from __future__ import annotations

from bot.domain.models import Person
from bot.messaging.events import MessageIn
from bot.messaging.filters import InGroup
from bot.messaging.router import Router
from bot.services.live_counts import LiveCountsService
from bot.services.privacy import PrivacyService

router = Router("live_counts")


# A watcher (blocking=False): other features still get the same chat message (e.g. confirmation codes).
@router.message(InGroup(), blocking=False)
async def on_chat_message(event: MessageIn, person: Person | None = None,
                          live_counts: LiveCountsService | None = None,
                          privacy: PrivacyService | None = None) -> None:
    """Count the message for its author if they are on a school's roster."""
    # A service message (someone joined, the title changed) is not a message written.
    if live_counts is None or event.service:
        return
    # Where consent is required, a person who has not given it is not counted either.
    if (privacy is not None and privacy.consent_in_use and person is not None
            and await privacy.needs_consent(event.sender, person.org_id)):
        return
    await live_counts.note_chat_message(event.chat.chat_id, event.sender.external_id, event.at,
                                        messenger=event.chat.messenger)
