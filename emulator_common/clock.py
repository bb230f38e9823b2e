"""The emulators' controllable clock (shared by the VK and MAX emulators)."""

from __future__ import annotations

import time


class Clock:
    """Wall time plus an offset; a frozen clock moves only when advanced."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._frozen_at: float | None = None

    def now(self) -> float:
        """Current emulator time in Unix seconds."""
        if self._frozen_at is not None:
            return self._frozen_at
        return time.time() + self._offset

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def freeze(self, frozen: bool) -> None:
        """Freeze at the current emulator time, or let it run on from where it stands."""
        if frozen and self._frozen_at is None:
            self._frozen_at = self.now()
        elif not frozen and self._frozen_at is not None:
            # Keep continuity: the running clock resumes from the frozen value.
            self._offset = self._frozen_at - time.time()
            self._frozen_at = None

    def advance(self, seconds: float) -> None:
        """Move the clock forward (frozen or not)."""
        if self._frozen_at is not None:
            self._frozen_at += seconds
        else:
            self._offset += seconds

    def reset(self) -> None:
        self._offset = 0.0
        self._frozen_at = None

    def as_dict(self) -> dict[str, float | bool]:
        return {"now": self.now(), "frozen": self.frozen}
