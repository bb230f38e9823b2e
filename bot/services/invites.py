"""Personal deep links into MAX: the deputy issues them (one person or the whole school), a
teacher opens one and is identified with one tap (`bot_started` with the token as payload)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from pydantic import BaseModel, ConfigDict

from bot.domain.invites import VALID_FOR, InviteOutcome, Redeemed, deep_link, is_token, new_token
from bot.domain.models import Person, Role
from bot.invite_sheets import InviteRow, links_pdf, links_xlsx
from bot.ports import Clock, InviteStore, PeopleStore

# The bot's MAX name (GET /me `username`), or None while MAX cannot be asked.
BotName = Callable[[], Awaitable[str | None]]
SCHOOL_ROLES = (Role.TEACHER, Role.STAFF, Role.DEPUTY, Role.DIRECTOR)
NO_BOT_NAME = ("не удалось узнать имя бота в MAX (оно нужно для ссылок): проверьте токен MAX "
               "и доступность MAX, затем повторите")


class InviteError(Exception):
    """Links cannot be made now; `text` says why in Russian."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class InviteLink(BaseModel):
    """A link issued for a person."""

    model_config = ConfigDict(frozen=True)

    person: Person
    url: str
    token: str
    until: str


class InviteService:
    """Issues single-use links valid 14 days and redeems them."""

    def __init__(self, store: InviteStore, people: PeopleStore, clock: Clock, bot_name: BotName | None = None) -> None:
        self._store = store
        self._people = people
        self._clock = clock
        # Set by the composition root once MAX runs (GET /me); a CLI passes its own.
        self.bot_name: BotName = bot_name or _unknown

    async def issue(self, people: Sequence[Person], org_id: str | None, issued_by: int | None) -> list[InviteLink]:
        """One fresh link per person (their earlier unused links stop working)."""
        name = await self.bot_name()
        if not name:
            raise InviteError(NO_BOT_NAME)
        now = self._clock.now()
        expires = now + VALID_FOR
        tokens = [(new_token(), p.id) for p in people]
        await self._store.issue(tokens, org_id, issued_by, now, expires)
        until = expires.strftime("%d.%m.%Y")
        return [InviteLink(person=p, url=deep_link(name, token), token=token, until=until)
                for (token, _), p in zip(tokens, people, strict=True)]

    async def school_people(self, org_id: str, *, unbound_only: bool = True) -> list[Person]:
        """The school's active staff (by default those not yet bound to MAX)."""
        people = [p for p in await self._people.in_org(org_id) if p.role in SCHOOL_ROLES]
        return [p for p in people if p.max_id is None] if unbound_only else people

    async def redeem(self, payload: str | None, max_id: int) -> Redeemed | None:
        """Opening a link: None when the payload is not a token at all (a plain Start)."""
        if not is_token(payload):
            return None
        assert payload is not None
        return await self._store.redeem(payload, max_id, self._clock.now())


async def _unknown() -> str | None:
    return None


def rows(links: Sequence[InviteLink]) -> list[InviteRow]:
    """The links as printable rows."""
    return [InviteRow(name=link.person.full_name, role=link.person.role.label,
                      classes=", ".join(link.person.classes), link=link.url, until=link.until) for link in links]


async def sheets(links: Sequence[InviteLink], school: str) -> tuple[bytes, bytes]:
    """The xlsx table and the PDF cards, drawn off the event loop."""
    table = rows(links)
    return await asyncio.gather(asyncio.to_thread(links_xlsx, table, school),
                                asyncio.to_thread(links_pdf, table, school))


BOUND_TEXT = ("{greeting}Готово: я узнал вас — {name}. Теперь я буду присылать вам напоминания "
              "и отвечать на вопросы о Сферуме. Кнопки внизу — всё, что я умею.")


def is_bound(result: Redeemed) -> bool:
    return result.outcome in (InviteOutcome.BOUND, InviteOutcome.ALREADY)
