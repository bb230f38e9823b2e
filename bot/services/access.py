"""Who may do what: roles checked on the server, every admin action audited."""

from __future__ import annotations

from collections.abc import Iterable

from bot.config import Settings
from bot.domain.models import Person, Role, main_person
from bot.messaging.events import Identity, Messenger
from bot.messaging.middlewares import PersonLookups
from bot.ports import AuditLog, PeopleStore

DENIED_TEXT = {
    "stranger": "Я вас пока не знаю. Напишите мне в личные сообщения, чтобы представиться.",
    "role": "Это могут делать только {roles}. Если вам нужно это сделать, обратитесь к заместителю директора.",
    "chat": "Эту команду можно выполнить только в личных сообщениях с ботом.",
    "org": "Это относится к другой школе: у вас нет к ней доступа.",
}
_ROLE_PLURAL = {
    Role.DEPUTY: "заместители директора",
    Role.DIRECTOR: "директор",
    Role.DISTRICT: "сотрудники управления образования",
    Role.REGION: "сотрудники управления образования региона",
    Role.TEACHER: "учителя",
    Role.STAFF: "сотрудники",
}


class Denied(Exception):  # noqa: N818 - reads naturally: `except Denied`
    """An action refused; `text` is the polite Russian explanation for the person."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class AccessService:
    """Server-side role checks; payloads and chat context are never trusted."""

    def __init__(self, people: PeopleStore, audit: AuditLog, settings: Settings) -> None:
        self._people = people
        self._audit = audit
        self._settings = settings

    async def whois(self, vk_id: int | Identity) -> list[Person]:
        """The active roster people bound to this VK account (usually one), or to a messenger identity.

        An education official is DISTRICT when [[district.officials]] binds the account to a district,
        else REGION (the whole region)."""
        identity = vk_id if isinstance(vk_id, Identity) else Identity(messenger=Messenger.VK, external_id=vk_id)
        if identity.messenger is Messenger.MAX:
            found = await self._people.by_max_id(identity.external_id)
        else:
            found = await self._people.by_vk_id(identity.external_id)
        return [self._official(p, identity) if p.role is Role.DISTRICT else p for p in found]

    def _official(self, person: Person, identity: Identity) -> Person:
        bound = self._settings.district.bound_district(identity.messenger.value, identity.external_id)
        return person if bound is not None else person.model_copy(update={"role": Role.REGION})

    def _sees(self, person: Person, actor: Identity, org_id: str) -> bool:
        """Whether `person` may act on the school `org_id`: their own school; any school for a regional
        official; for a district official, only the schools of the district [[district.officials]] binds
        them to."""
        if person.org_id == org_id or person.role is Role.REGION:
            return True
        if person.role is not Role.DISTRICT:
            return False
        bound = self._settings.district.bound_district(actor.messenger.value, actor.external_id)
        school = next((s for s in self._settings.schools if s.id == org_id), None)
        return (bound is not None and school is not None and school.district is not None
                and school.district.strip().casefold() == bound.strip().casefold())

    async def person(self, vk_id: int | Identity) -> Person | None:
        """The main person of a VK account (or an identity): the most privileged role wins."""
        return main_person(await self.whois(vk_id))

    async def require(self, vk_id: int | Identity, action: str, roles: Iterable[Role], *,
                      org_id: str | None = None, in_chat: bool = False,
                      target: str | None = None, lookups: PersonLookups | None = None) -> Person:
        """The acting person if they hold one of `roles` (in `org_id` if given); else Denied.

        `lookups` are the event's (handlers get them from the person middleware): the people the
        middleware already found are checked instead of being looked up again.
        Both outcomes are written to the audit log.
        """
        allowed = tuple(roles)
        actor = actor_of(vk_id)
        people: list[Person] = []
        if not in_chat:  # refused in a group chat whoever asks: nobody to look up
            people = list(await lookups.people(actor)) if lookups is not None else await self.whois(actor)
        reason: str | None = None
        person: Person | None = None
        if in_chat:
            reason = "chat"
        elif not people:
            reason = "stranger"
        else:
            fitting = [p for p in people if p.role in allowed]
            if org_id is not None:
                in_org = [p for p in fitting if self._sees(p, actor, org_id)]
                if fitting and not in_org:
                    reason = "org"
                fitting = in_org
            if fitting:
                person = fitting[0]
            elif reason is None:
                reason = "role"
        await self._audit.write(
            actor=actor, actor_person_id=person.id if person else None,
            org_id=org_id or (person.org_id if person else None), action=action,
            outcome="ok" if person else "denied", target=target,
            details={} if person else {"reason": reason},
        )
        if person is None:
            roles_text = ", ".join(_ROLE_PLURAL[r] for r in allowed)
            raise Denied(DENIED_TEXT[reason or "role"].format(roles=roles_text))
        return person


def actor_of(actor: int | Identity) -> Identity:
    """The account an audit entry names: an `Identity` as it is, a bare number as a VK id (the older callers)."""
    return actor if isinstance(actor, Identity) else Identity(messenger=Messenger.VK, external_id=actor)
