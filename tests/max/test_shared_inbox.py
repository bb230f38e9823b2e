"""Two workers drain one MAX inbox on a real PostgreSQL (webhook mode: any worker stores an update)."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.max.polling import MaxPoller, event_id, order_key
from storage.claims import InboxClaims
from storage.pg import PgDatabase
from storage.runtime import InboxRepo


def _update(user: int, n: int) -> dict[str, Any]:
    return {"update_type": "message_created", "timestamp": 1_000 + n,
            "message": {"sender": {"user_id": user}, "recipient": {"chat_type": "dialog", "chat_id": user},
                        "body": {"mid": f"m{user}-{n}", "text": str(n)}}}


async def test_each_update_is_handled_once_and_each_persons_in_order(pools: list[PgDatabase]) -> None:
    """Five people × eight updates stored, two workers drain at once (handlers yield between awaits):
    forty updates handled, none twice, and each person's in the order they came."""
    handled: list[tuple[str, int, int]] = []
    pollers = []
    for name, db in zip(("w1", "w2"), pools, strict=True):
        async def handle(update: dict[str, Any], name: str = name) -> None:
            await asyncio.sleep(0)  # another worker's turn in the middle of a handler
            message = update["message"]
            handled.append((name, message["sender"]["user_id"], int(message["body"]["text"])))

        poller = MaxPoller(None, InboxRepo(db), handle)  # type: ignore[arg-type]  # no client: only the inbox
        poller.claims = InboxClaims(db, name)
        pollers.append(poller)
    updates = [_update(user, n) for n in range(8) for user in range(1, 6)]
    await InboxRepo(pools[0]).store([(event_id(u), "message_created", order_key(u), u) for u in updates], None)
    await asyncio.gather(*(p.drain_inbox() for p in pollers), *(p.drain_inbox() for p in pollers))
    assert len(handled) == 40 and len({(u, n) for _, u, n in handled}) == 40
    for user in range(1, 6):
        assert [n for _, u, n in handled if u == user] == list(range(8))
    assert await InboxRepo(pools[1]).pending(prefix="max:") == []
