"""Fair handling of incoming private messages: one person's flood must not slow everyone.

Each sender has a token bucket: `burst` messages are handled at once, then one every
`interval` seconds. What a sender sends faster than that is held, not handled, and the
held events collapse (`HeldEvents`): only the latest button press and the latest typed
message stay, in the order they came; the ones they replace are dropped, since the person
has already moved on. So the last meaningful thing a throttled person did (a button
press, a dialog answer) is always handled, in order, once the sender's turn comes.
The first time a sender is held, they get one notice (`BUSY_NOTICE`); it is not repeated
until they have been calm long enough to fill their bucket again.

Only impatient events spend the bucket: a person who waits for the bot's answer before
writing again (nothing of theirs is waiting, or the one being handled has already been
answered) sets their own pace and is never held, however long the dialog. A flood does
not wait for answers, so its events queue up behind each other and meet the bucket.

Group chat messages are never throttled: the bot does not answer them, and live counts
must see every one of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

BUSY_NOTICE = ("Вы пишете очень часто, и я не успеваю отвечать на каждое сообщение. Подождите немного: "
               "через несколько секунд я отвечу на последнее.")
# The snackbar on a button press that was replaced by a later one (VK allows 90 characters).
BUSY_SNACKBAR = "Подождите немного: отвечу на последнее нажатие"
# The inbox's note on an event that was collapsed into a later one.
COALESCED = "coalesced"

T = TypeVar("T")


def is_patient(queued: int, answered: bool) -> bool:
    """An event from someone who waited: none of theirs is queued, or only the one already answered."""
    return queued == 0 or (queued == 1 and answered)


@dataclass(frozen=True)
class Verdict:
    """What to do with a sender's new event: handle it now, and whether to send the notice."""

    admit: bool
    notify: bool = False


@dataclass
class _Bucket:
    tokens: float
    updated: float
    noticed: bool = False


class FairShare:
    """Token buckets per sender; `clock` is injectable (tests run on virtual time)."""

    def __init__(self, burst: int, interval: float, clock: Callable[[], float] = time.monotonic,
                 max_senders: int = 10_000) -> None:
        if burst < 1 or interval <= 0:
            raise ValueError("burst must be at least 1 and interval positive")
        self.burst = burst
        self.interval = interval
        self._clock = clock
        self._max_senders = max_senders
        self._buckets: dict[str, _Bucket] = {}

    def _bucket(self, key: str) -> _Bucket:
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_senders:
                self._forget_calm(now)
            bucket = self._buckets[key] = _Bucket(tokens=float(self.burst), updated=now)
            return bucket
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) / self.interval)
        bucket.updated = now
        if bucket.tokens >= self.burst:
            # Calm for a whole bucket's worth: the next throttling is a new episode.
            bucket.noticed = False
        return bucket

    def _forget_calm(self, now: float) -> None:
        """Drop senders whose bucket has refilled (they are the same as new ones)."""
        full = self.burst * self.interval
        for key in [k for k, b in self._buckets.items() if now - b.updated + b.tokens * self.interval >= full]:
            del self._buckets[key]

    def admit(self, key: str) -> Verdict:
        """Take a token for a new event if there is one; else hold it (notice once per episode)."""
        bucket = self._bucket(key)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return Verdict(admit=True)
        notify = not bucket.noticed
        bucket.noticed = True
        return Verdict(admit=False, notify=notify)

    def ready_in(self, key: str) -> float:
        """Seconds until the sender has a token again (0: now)."""
        bucket = self._bucket(key)
        return max(0.0, (1.0 - bucket.tokens) * self.interval)

    def take(self, key: str) -> bool:
        """Take a token for the sender's held events; False if it is not there yet."""
        bucket = self._bucket(key)
        if bucket.tokens >= 1.0 - 1e-9:
            bucket.tokens = max(0.0, bucket.tokens - 1.0)
            return True
        return False


@dataclass
class HeldEvents(Generic[T]):
    """One sender's held events, collapsed to the latest button press and the latest message."""

    _items: list[tuple[T, bool]] = field(default_factory=list)

    def add(self, item: T, button: bool) -> list[T]:
        """Hold `item`; returns the held events it replaces (same kind, older)."""
        dropped = [held for held, is_button in self._items if is_button == button]
        self._items = [(held, is_button) for held, is_button in self._items if is_button != button]
        self._items.append((item, button))
        return dropped

    def release(self) -> list[T]:
        """Every held event, in the order they came; the holder is empty afterwards."""
        items = [item for item, _ in self._items]
        self._items = []
        return items

    def __len__(self) -> int:
        return len(self._items)
