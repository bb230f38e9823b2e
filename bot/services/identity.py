"""Identification: an unknown account (VK or MAX) names itself, the deputy approves the binding."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.config import Settings
from bot.config_bots import SINGLE_BOT
from bot.domain.models import Person, Role
from bot.domain.names import initials_match, name_key
from bot.domain.records import BindingRequest
from bot.messaging.events import Identity, Messenger
from bot.ports import BindingRequests, PeopleStore

MAX_CANDIDATES = 5
# token_sort_ratio at or above this is a typo of the same name, not another person.
FUZZY_MIN = 85


@dataclass(frozen=True)
class Candidate:
    person: Person
    score: float


def find_candidates(typed: str, roster: list[Person]) -> list[Candidate]:
    """Roster people a typed name can mean: exact (ё/е, case), initials, then typos."""
    key = name_key(typed)
    if len(key.replace(".", "").replace(" ", "")) < 3:
        return []
    exact = [Candidate(p, 100.0) for p in roster if name_key(p.full_name) == key]
    if exact:
        return exact[:MAX_CANDIDATES]
    initials = [Candidate(p, 95.0) for p in roster if initials_match(key, p.full_name)]
    if initials:
        return initials[:MAX_CANDIDATES]
    scored = [Candidate(p, fuzz.token_sort_ratio(key, name_key(p.full_name))) for p in roster]
    fuzzy = sorted((c for c in scored if c.score >= FUZZY_MIN), key=lambda c: -c.score)
    return fuzzy[:MAX_CANDIDATES]


class IdentityService:
    """Finds roster candidates and records binding requests and decisions."""

    def __init__(self, people: PeopleStore, repo: BindingRequests, settings: Settings) -> None:
        self._people = people
        self._repo = repo
        self._settings = settings

    async def candidates(self, typed: str, messenger: Messenger = Messenger.VK) -> list[Candidate]:
        """Candidates across every school of this deployment who have no account in `messenger` yet."""
        roster: list[Person] = []
        for school in self._settings.schools:
            roster.extend(p for p in await self._people.in_org(school.id) if account_of(p, messenger) is None)
        return find_candidates(typed, roster)

    async def request(self, who: int | Identity, typed: str, person: Person) -> BindingRequest:
        """Ask the school's deputy to bind this account to `person`."""
        account = _identity(who)
        return await self._repo.create_request(account.external_id, person.org_id, typed, person.id,
                                               account.messenger.value)

    async def pending(self, who: int | Identity) -> BindingRequest | None:
        account = _identity(who)
        return await self._repo.pending_for(account.external_id, account.messenger.value)

    async def get(self, request_id: int) -> BindingRequest | None:
        return await self._repo.get(request_id)

    async def decide(self, request_id: int, approve: bool, decided_by: int | Identity) -> BindingRequest | None:
        """Apply a deputy's decision; None if the request is no longer pending."""
        actor = _identity(decided_by)
        request = await self._repo.get(request_id)
        if request is None or request.status != "pending":
            return None
        if not await self._repo.decide(request_id, approve, actor.external_id, request.org_id,
                                       decided_by_vk=actor.messenger is Messenger.VK):
            return None
        return request.model_copy(update={"status": "approved" if approve else "rejected"})

    async def deputies(self, org_id: str | None, messenger: Messenger = Messenger.VK) -> list[Person]:
        """The deputies of a school who can be asked (bound to an account in `messenger`)."""
        if org_id is None:
            return []
        return [p for p in await self._people.in_org(org_id)
                if p.role is Role.DEPUTY and account_of(p, messenger)]

    async def note_user(self, who: int | Identity, *, wrote: bool, bot: str = SINGLE_BOT) -> None:
        """Remember a VK account that wrote to community `bot` (MAX accounts are kept by the MAX adapter)."""
        account = _identity(who)
        if account.messenger is Messenger.VK:
            await self._repo.note_user(account.external_id, wrote=wrote, bot=bot)


def account_of(person: Person, messenger: Messenger) -> int | None:
    """The person's account id in `messenger` (None: not bound there)."""
    return person.max_id if messenger is Messenger.MAX else person.vk_id


def _identity(who: int | Identity) -> Identity:
    """A bare int is a VK id (the callers written before MAX)."""
    return who if isinstance(who, Identity) else Identity(messenger=Messenger.VK, external_id=who)
