"""What imports ask of storage (storage/ implements it; a fake in tests)."""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel

from bot.messaging.events import Identity


class ImportConfirmation(BaseModel):
    """One held import: whose (an account on a messenger), which file (and where to fetch it again),
    what it would change."""

    id: int
    org_id: str | None
    actor: Identity
    kind: str
    file_name: str
    source: str
    size: int
    preview: dict[str, Any]
    status: str


class HeldImports(Protocol):
    """Imports held for their person's confirmation (storage.confirmations.ConfirmationRepo).

    A held import belongs to one account on one messenger: only that account closes it.
    """

    async def hold(self, *, org_id: str | None, actor: Identity, kind: str, file_name: str, source: str,
                   size: int, preview: dict[str, Any]) -> int:
        """Keep an import for confirmation; the account's earlier open one is superseded. Returns its id."""
        ...

    async def get(self, confirmation_id: int) -> ImportConfirmation | None:
        """One held import (any status)."""
        ...

    async def close(self, confirmation_id: int, actor: Identity, status: str) -> bool:
        """Close `actor`'s open held import ('applied', 'cancelled', 'superseded'); False if it was not open."""
        ...
