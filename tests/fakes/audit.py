"""An in-memory audit log (`bot.stores.faq.AuditTrail`, `bot.ports.AuditLog`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.messaging.events import Identity
from tests.fakes.transactions import FakeTx, check_open


@dataclass(frozen=True)
class Written:
    """One audit entry and the transaction it was written in (None: its own)."""

    action: str
    outcome: str
    org_id: str | None
    target: str | None
    details: dict[str, Any]
    tx: FakeTx | None
    actor: Identity | None = None


class FakeAudit:
    def __init__(self) -> None:
        self.entries: list[Written] = []

    async def write(self, *, org_id: str | None, action: str, outcome: str, actor_vk_id: int | None = None,
                    actor: Identity | None = None, target: str | None = None, actor_person_id: int | None = None,
                    details: dict[str, Any] | None = None) -> None:
        self.entries.append(Written(action, outcome, org_id, target, details or {}, None, actor))

    async def write_in(self, tx: Any, *, org_id: str | None, action: str, outcome: str,
                       actor_vk_id: int | None = None, actor: Identity | None = None, target: str | None = None,
                       actor_person_id: int | None = None, details: dict[str, Any] | None = None) -> None:
        check_open(tx)
        self.entries.append(Written(action, outcome, org_id, target, details or {}, tx, actor))

    def actions(self) -> list[str]:
        return [e.action for e in self.entries]
