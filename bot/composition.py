"""The composition root of the services: settings, database and messenger ports in, `Deps` out.

`build_services` is the one place that builds repositories and services and wires the features
to each other. `sferum-bot run` (through `bot.app.build_app`), the demo, every CLI command that
reads or changes data and the tests call it; what differs between them is only `Channels`: the
ports to the messengers (the running bot's, or `Channels.offline()` for a command that sends nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.config import Settings
from bot.config_bots import school_bots
from bot.deps import Deps
from bot.messaging.events import Messenger
from bot.ports import (
    Clock,
    Community,
    Delivery,
    MembersPort,
    MessengerPort,
    Outbound,
    OutMessage,
    PortFailure,
    ReachPort,
    SystemClock,
)
from bot.services.access import AccessService
from bot.services.broadcasts import BroadcastService
from bot.services.chats import ChatsService
from bot.services.faq import FaqService
from bot.services.identity import IdentityService
from bot.services.imports import ImportService, ScreenNameResolver
from bot.services.invites import InviteService
from bot.services.live_counts import LiveCountsService
from bot.services.my_status import MyStatusService
from bot.services.privacy import PrivacyService
from bot.services.reachability import ReachabilityService
from bot.services.reminder_templates import ReminderTemplates
from bot.services.reminders import Links, ReminderService
from bot.services.school_choice import SchoolChoiceService
from bot.services.summary import SummaryService
from bot.stores.faq import FaqStores
from bot.stores.privacy import PrivacyStores
from bot.stores.reminders import ReminderStores
from storage.audit import AuditRepo
from storage.broadcasts import BroadcastRepo
from storage.chats import ChatsSql
from storage.consents import ConsentRepo
from storage.conversation_state import ConversationStateRepo
from storage.faq import FaqRepo
from storage.identity import IdentityRepo
from storage.imports import ImportsSql
from storage.invites import InvitesRepo
from storage.live_counts import LiveCountsRepo
from storage.people import PeopleRepo
from storage.privacy import PrivacyRepo
from storage.reach import ReachRepo
from storage.reminders import ReminderRepo
from storage.sql import Database
from storage.stats import StatsRepo
from storage.summary import SummaryRepo
from storage.templates import TemplateFiles

OFFLINE_TEXT = "команда работает без мессенджера и ничего не отправляет"


class Spawn(Protocol):
    """Runs a long use case (a broadcast) beside the handlers."""

    def __call__(self, coro: Coroutine[Any, Any, Any], /) -> None: ...


class OfflineOutbound:
    """The `Outbound` of a command that sends nothing: any attempt to send is refused."""

    async def reply(self, message: OutMessage) -> Delivery:
        raise PortFailure(OFFLINE_TEXT)

    async def send_bulk(self, messages: Any, *, on_progress: Any = None) -> list[Delivery]:
        raise PortFailure(OFFLINE_TEXT)

    async def enqueue_in(self, conn: Any, messages: Any) -> None:
        raise PortFailure(OFFLINE_TEXT)

    async def edit(self, peer_id: int, conversation_message_id: int, text: str, keyboard: Any = None, *,
                   bot: str | None = None) -> None:
        raise PortFailure(OFFLINE_TEXT)

    async def upload_document(self, peer_id: int, data: bytes, filename: str, *, org_id: str | None = None) -> str:
        raise PortFailure(OFFLINE_TEXT)

    async def upload_photo(self, peer_id: int, data: bytes, filename: str, *, org_id: str | None = None) -> str:
        raise PortFailure(OFFLINE_TEXT)

    async def answer_callback(self, event_id: str, user_id: int, peer_id: int, text: str | None = None, *,
                              bot: str | None = None) -> None:
        raise PortFailure(OFFLINE_TEXT)


@dataclass(frozen=True)
class Channels:
    """What the services need of the messengers.

    `outbound` sends; `members`, `reach` and `resolve_screen_name` are the capabilities a messenger
    may lack (None: the chats check goes without a member count, reachability keeps what it knows,
    imports leave screen names unresolved). `community` is the VK community the bot runs as;
    `messengers` the port of each messenger that runs (a broadcast's progress and report go through the
    deputy's; the composition root adds MAX's when it starts).
    """

    outbound: Outbound
    members: MembersPort | None = None
    reach: ReachPort | None = None
    resolve_screen_name: ScreenNameResolver | None = None
    community: Community = field(default_factory=Community)
    messengers: dict[Messenger, MessengerPort] = field(default_factory=dict)
    # The bot that writes to a school's people in a messenger (`Settings.bot_of` of the whole deployment:
    # the settings services get may be the first bot's view of it). None: the settings' own.
    bot_of: Callable[[str, str | None], str] | None = None

    @classmethod
    def offline(cls, settings: Settings, *, resolve_screen_name: ScreenNameResolver | None = None) -> Channels:
        """For a command-line run that reads and changes data but never writes to anyone."""
        return cls(outbound=OfflineOutbound(), resolve_screen_name=resolve_screen_name,
                   community=Community(settings.vk.group_id))


def reminder_templates(settings: Settings) -> ReminderTemplates:
    """The reminder texts of every school (the only service that needs no database)."""
    return ReminderTemplates(settings, TemplateFiles(settings.storage.data_dir))


def faq_stores(db: Database) -> FaqStores:
    """The FAQ's questions, entries and audit over `db`."""
    return FaqStores(questions=FaqRepo(db), audit=AuditRepo(db), transactions=db)


def privacy_stores(db: Database) -> PrivacyStores:
    """Personal data, consents, audit and backups over `db`."""
    return PrivacyStores(data=PrivacyRepo(db), consents=ConsentRepo(db), audit=AuditRepo(db), backups=db)


def reminder_stores(db: Database, settings: Settings) -> ReminderStores:
    """The reminder log, roster, statistics and the schools' template files over `db`."""
    return ReminderStores(log=ReminderRepo(db), people=PeopleRepo(db), stats=StatsRepo(db),
                          template_files=TemplateFiles(settings.storage.data_dir), transactions=db)


def build_services(settings: Settings, db: Database, channels: Channels, *, clock: Clock | None = None,
                   spawn: Spawn | None = None) -> Deps:
    """Every repository and service over `db`, each feature wired to the others it reads.

    Nothing is sent or read here. `spawn` runs broadcasts in the background (the running bot);
    without it a broadcast runs to the end in the call that starts it.
    """
    clock = clock or SystemClock()
    outbound = channels.outbound
    dialogs = ConversationStateRepo(db, clock.now)
    people = PeopleRepo(db)
    audit = AuditRepo(db)
    access = AccessService(people, audit, settings)
    my_status = MyStatusService(clock)
    chats = ChatsService(ChatsSql(db), settings, outbound=outbound, members=channels.members,
                         community=channels.community, clock=clock, dialogs=dialogs,
                         bot_id=channels.community.group_id)
    bot_of = channels.bot_of or settings.bot_of
    reachability = ReachabilityService(ReachRepo(db), probe=channels.reach,
                                       bots=lambda messenger, org_id: school_bots(bot_of, messenger.value, org_id))
    live_counts = LiveCountsService(LiveCountsRepo(db), settings, clock=clock)
    templates = reminder_templates(settings)
    reminders = ReminderService(reminder_stores(db, settings), settings, outbound, clock,
                                links=Links(chats=chats, reachability=reachability, live_counts=live_counts))
    faq = FaqService(faq_stores(db), settings, outbound, people, access, my_status=my_status.render, clock=clock)
    deps = Deps(
        settings=settings, db=db, clock=clock, outbound=outbound, community=channels.community,
        people=people, audit=audit, dialogs=dialogs, messengers=channels.messengers, access=access,
        identity=IdentityService(people, IdentityRepo(db), settings), my_status=my_status,
        privacy=PrivacyService(privacy_stores(db), settings, clock),
        faq=faq,
        imports=ImportService(ImportsSql(db), settings, clock=clock, resolve_screen_name=channels.resolve_screen_name),
        chats=chats, reachability=reachability, live_counts=live_counts,
        broadcasts=BroadcastService(BroadcastRepo(db), StatsRepo(db), settings, outbound, reachability,
                                    messengers=channels.messengers, chats=chats, spawn=spawn),
        reminders=reminders, reminder_templates=templates,
        summary=SummaryService(SummaryRepo(db), settings, clock=clock, outbound=outbound, people=people, chats=chats,
                               reminders=reminders, reachability=reachability,
                               messengers=channels.messengers),
        # Personal MAX links: the bot's MAX name comes from GET /me once MAX runs (bot.app.build_max).
        invites=InviteService(InvitesRepo(db), people, clock),
        school_choice=SchoolChoiceService(dialogs, settings, bot_of),
    )
    # «Мой статус» shows a section of each feature that has one, in this order.
    for section in (faq.status_section, chats.status_section, reminders.status_section):
        my_status.register(section)
    return deps
