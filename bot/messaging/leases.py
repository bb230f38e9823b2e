"""Claimed outbox rows kept under this worker's lease while it sends them (several workers on PostgreSQL).

A page of rows is claimed for `lease` seconds; sending it at a token's share of the rate (MAX: 30 requests/s
shared by every worker, slower still after a 429) may take longer. While a pass runs, `HeldRows.keep` renews the
lease of the rows not yet finished every third of the lease, in one statement. Rows the renewal no longer finds
ours (the lease ran out while, say, the database did not answer, and another worker took them) are `lost`: this
worker leaves them to that worker. The last word is the database's: a MAX row is marked 'sending' only while
its claim holds (`storage.claims.OutboxClaims.fence`), so a late renewal cannot make two workers post it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Protocol

from bot.domain.russian import count

log = logging.getLogger(__name__)

# A page is sized to what the token's share of the rate sends within this part of the lease.
PAGE_SHARE_OF_LEASE = 0.5


class RenewingClaims(Protocol):
    """What the heartbeat needs of `storage.claims.OutboxClaims`."""

    lease: float

    async def renew(self, row_ids: Sequence[int]) -> set[int]: ...


def page_for(rps: float, lease: float, most: int) -> int:
    """How many rows to claim at once: what `rps` sends within half the lease, at most `most`, at least 1."""
    return max(1, min(most, int(rps * lease * PAGE_SHARE_OF_LEASE)))


class HeldRows:
    """The rows one pass claimed: which are still to be sent, and which another worker took from us."""

    def __init__(self, claims: RenewingClaims, row_ids: Iterable[int], *,
                 sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> None:
        self._claims = claims
        self._sleep = sleep
        self.unsent: set[int] = set(row_ids)
        self.lost: set[int] = set()

    def done(self, row_id: int) -> None:
        """The row is finished (or left for the next pass): no need to hold it longer."""
        self.unsent.discard(row_id)

    def holds(self, row_id: int) -> bool:
        return row_id not in self.lost

    async def renew(self) -> None:
        """Extend the lease of the unsent rows; those no longer ours are lost to this pass."""
        asked = set(self.unsent)
        if not asked:
            return
        kept = await self._claims.renew(sorted(asked))
        taken = (asked - kept) & self.unsent
        if taken:
            log.warning("срок захвата истёк: %s забрал другой процесс, их отправит он", count(len(taken), "сообщение", "accs"))
            self.lost |= taken
            self.unsent -= taken

    async def keep(self) -> None:
        """Renew every third of the lease until cancelled; a failed renewal is tried again at the next beat."""
        while True:
            await self._sleep(self._claims.lease / 3)
            try:
                await self.renew()
            except Exception as exc:  # the database did not answer: the fence still stops a late post
                log.warning("не удалось продлить захват сообщений: %s", exc)


@asynccontextmanager
async def holding(claims: RenewingClaims, row_ids: Iterable[int], *,
                  sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> AsyncIterator[HeldRows]:
    """The rows held, their lease renewed in the background while the block runs."""
    held = HeldRows(claims, row_ids, sleep=sleep)
    beat = asyncio.create_task(held.keep())
    try:
        yield held
    finally:
        beat.cancel()
        await asyncio.gather(beat, return_exceptions=True)
