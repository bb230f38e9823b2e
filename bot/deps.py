"""The services a handler may use, built once by the composition root (bot/app.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.config import Settings
from bot.messaging.events import Messenger
from bot.messaging.state import StateStore
from bot.ports import Clock, MessengerPort, Outbound
from bot.services.access import AccessService
from bot.services.identity import IdentityService
from bot.services.my_status import MyStatusService
from bot.services.privacy import PrivacyService
from storage.audit import AuditRepo
from storage.people import PeopleRepo
from storage.sql import Database


@dataclass
class Deps:
    """Everything handlers get injected (declare a `deps: Deps` parameter)."""

    settings: Settings
    db: Database
    clock: Clock
    outbound: Outbound
    people: PeopleRepo
    audit: AuditRepo
    access: AccessService
    identity: IdentityService
    my_status: MyStatusService
    privacy: PrivacyService
    # The one dialog-state store (storage.conversation_state): steps keyed by StateKey, with expiry.
    dialogs: StateStore
    group_id: int = 0
    # Each messenger's port, added as its adapter is built (VK with the services, MAX by build_max).
    messengers: dict[Messenger, MessengerPort] = field(default_factory=dict)
    # --- feature services (set by the composition root; None while a feature is off) ---
    # Typed through bot/contracts.py where another feature reads them.
    faq: Any = None
    imports: Any = None
    reminders: Any = None  # also a contracts.ReminderLog
    broadcasts: Any = None
    reachability: Any = None  # also a contracts.Reachability
    live_counts: Any = None  # also a contracts.LiveCounts
    chats: Any = None  # also a contracts.ChatsProgress
    summary: Any = None  # also a contracts.WeeklySummary
    scheduler: Any = None
    invites: Any = None  # bot.services.invites.InviteService (personal MAX links)
    extras: dict[str, Any] = field(default_factory=dict)
