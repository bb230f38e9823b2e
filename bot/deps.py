"""The services a handler may use, built once by the composition root (`bot.composition.build_services`)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.messaging.events import Messenger
from bot.messaging.state import StateStore
from bot.ports import Clock, Community, MessengerPort, Outbound
from bot.services.access import AccessService
from bot.services.broadcasts import BroadcastService
from bot.services.chats import ChatsService
from bot.services.faq import FaqService
from bot.services.identity import IdentityService
from bot.services.imports import ImportService
from bot.services.invites import InviteService
from bot.services.live_counts import LiveCountsService
from bot.services.my_status import MyStatusService
from bot.services.privacy import PrivacyService
from bot.services.reachability import ReachabilityService
from bot.services.reminder_templates import ReminderTemplates
from bot.services.reminders import ReminderService
from bot.services.school_choice import SchoolChoiceService
from bot.services.summary import SummaryService
from storage.audit import AuditRepo
from storage.people import PeopleRepo
from storage.sql import Database


@dataclass
class Deps:
    """Everything handlers get injected (declare a `deps: Deps` parameter, or a field by its name).

    Every feature is built: what depends on the configuration (a messenger's token, the consent)
    is decided inside the services and the ports they were given, never by a field left empty.
    """

    settings: Settings
    db: Database
    clock: Clock
    outbound: Outbound
    community: Community
    people: PeopleRepo
    audit: AuditRepo
    # The one dialog-state store (storage.conversation_state): steps keyed by StateKey, with expiry.
    dialogs: StateStore
    # Each messenger's port: VK's always, MAX's when its token is set (bot.app.build_max adds it).
    messengers: dict[Messenger, MessengerPort]
    access: AccessService
    identity: IdentityService
    my_status: MyStatusService
    privacy: PrivacyService
    faq: FaqService
    imports: ImportService
    chats: ChatsService
    reachability: ReachabilityService
    live_counts: LiveCountsService
    broadcasts: BroadcastService
    reminders: ReminderService
    reminder_templates: ReminderTemplates
    summary: SummaryService
    invites: InviteService
    # Which school a person on the roster of several acts for (asked once, kept in `dialogs`).
    school_choice: SchoolChoiceService

    @property
    def group_id(self) -> int:
        """The VK community's id (0 until known): the bot's id in dialog-state keys."""
        return self.community.group_id
