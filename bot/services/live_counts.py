"""Live counts: in group chats the bot reads, messages of bound roster people per period.

Only a count is kept (never the text, never anyone else's id). The imported weekly
table stays the official figure; this shows the current period before it arrives.
"""

from __future__ import annotations

import datetime as dt

from bot.config import Settings
from bot.domain.models import Period
from bot.messaging.events import Messenger
from bot.ports import Clock, LiveCountsStore, SystemClock

CHAT_PEER_START = 2_000_000_000


class LiveCountsService:
    """`contracts.LiveCounts`, fed by the group-chat messages the bot receives."""

    def __init__(self, repo: LiveCountsStore, settings: Settings, *, clock: Clock | None = None) -> None:
        self._repo = repo
        self._settings = settings
        self._clock = clock or SystemClock()

    def _periods(self, at: dt.datetime) -> dict[str, str]:
        """Each school's current period start: the week turns at midnight in its own zone."""
        return {s.id: Period.containing(at.astimezone(s.tz).date()).key for s in self._settings.schools}

    async def note_chat_message(self, peer_id: int, from_id: int, date: dt.datetime | None = None, *,
                                messenger: Messenger = Messenger.VK) -> int:
        """Count one group-chat message (`date`: when it was written); returns the people counted.

        Private messages, community messages and strangers count nothing. A MAX message counts for the
        person bound to that MAX account (MAX group chat ids are negative).
        """
        if from_id <= 0:
            return 0
        if messenger is Messenger.VK and peer_id < CHAT_PEER_START:
            return 0
        if messenger is Messenger.MAX and peer_id >= 0:
            return 0
        at = self._clock.now() if date is None else date
        if at.tzinfo is None:  # VK's dates are UTC
            at = at.replace(tzinfo=dt.UTC)
        return await self._repo.count_message(from_id, self._periods(at), max_account=messenger is Messenger.MAX)

    async def messages(self, person_id: int, period: Period) -> int | None:
        """Messages the bot saw the person write in the period; None if it saw none."""
        return await self._repo.messages(person_id, period)

    async def for_org(self, org_id: str, period: Period) -> dict[int, int]:
        """person id → messages seen in the period, for one school."""
        return await self._repo.for_org(org_id, period)
