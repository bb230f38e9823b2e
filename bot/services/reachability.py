"""Reaching people: who the community cannot write to yet, and the invitation that fixes it.

A messenger lets the bot write only to people who wrote to it or allowed its messages.
What the bot knows comes from sends (VK's 901/902/943/944), from «started» / «stopped»
events and from checks made through the `ReachPort` (VK's execute batches live in
`bot/vk/reach.py`).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import segno
from pydantic import BaseModel, ConfigDict

from bot.config_bots import SINGLE_BOT
from bot.contracts import UnreachablePerson
from bot.domain.reach import VK_REFUSALS
from bot.domain.records import MaxReachRow, ReachRow
from bot.domain.russian import by_gender
from bot.messaging.events import Messenger
from bot.ports import ReachPort, ReachStore

NO_PAGE = "нет страницы ВКонтакте в списке: пусть напишет боту, чтобы представиться"
REASONS = {code: refusal.listed for code, refusal in VK_REFUSALS.items()}
# One refresh checks at most this many people (an execute each 25).
MAX_CHECKS = 2000

INVITATION = (
    "Коллеги, у нашей школы есть бот-помощник по Сферуму: он напоминает о еженедельных показателях "
    "и отвечает на вопросы. Чтобы он мог вам писать, откройте ссылку {link} (или наведите камеру "
    "телефона на QR-код) и отправьте боту любое сообщение, например «Начать». Бот спросит фамилию, "
    "имя и отчество, чтобы найти вас в списке сотрудников."
)


def reason_for(code: int | None, name: str | None = None) -> str:
    """Why the bot cannot write to someone, in Russian (None: no VK page bound).

    With the person's `name` the verbs agree with their gender («не писала», «запретил»);
    without it, or when the gender is unclear, both forms stay («запретил(а)»).
    """
    if code is None:
        return NO_PAGE
    text = REASONS.get(code, f"ВКонтакте не доставил сообщение (ошибка {code})")
    return by_gender(name, text.replace("(а)", ""), text.replace("(а)", "а"), text) if name else text


class ReachSummary(BaseModel):
    """How many of a set of people the bot can reach, and who it cannot."""

    model_config = ConfigDict(frozen=True)

    total: int
    unreachable: list[UnreachablePerson]


class RefreshResult(BaseModel):
    """What one isMessagesFromGroupAllowed pass found."""

    model_config = ConfigDict(frozen=True)

    checked: int = 0
    allowed: int = 0
    refused: int = 0
    failed: int = 0


class Invitation(BaseModel):
    """A ready invitation for staff: text with the community link, and a QR code of it."""

    model_config = ConfigDict(frozen=True)

    text: str
    link: str
    qr_png: bytes


def _unreachable(row: ReachRow) -> UnreachablePerson:
    code = None if row.vk_id is None else row.code
    return UnreachablePerson(person_id=row.person_id, name=row.full_name, vk_id=row.vk_id, code=code,
                             reason=reason_for(code, row.full_name))


def qr_png(text: str) -> bytes:
    """A PNG QR code of `text`, big enough to scan from a phone screen."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


# MAX has no counterpart of VK's checks: said where a deputy would look for them.
MAX_NO_CHECK = ("В MAX нет проверки «можно ли писать» (как isMessagesFromGroupAllowed во ВКонтакте), нет "
                "«намерений» рассылки и коротких имён страниц: бот знает только, кто нажал «Начать» в диалоге "
                "с ним, кто остановил бота или удалил диалог, и кому MAX не доставил сообщение.")
MAX_NO_ACCOUNT = "нет аккаунта MAX в списке: выдайте персональную ссылку («ссылка MAX» и ФИО)"
MAX_NOT_STARTED = "не нажал(а) «Начать» в диалоге с ботом в MAX (или остановил(а) бота)"
MAX_STOPPED = "остановил(а) бота или удалил(а) диалог в MAX"


def max_reason(row: MaxReachRow) -> str | None:
    """Why the bot cannot write to a person in MAX (None: it can)."""
    if row.max_id is None:
        return MAX_NO_ACCOUNT
    if row.can_write:
        return None
    text = MAX_STOPPED if row.reason in ("остановил бота", "удалил диалог с ботом") else MAX_NOT_STARTED
    return by_gender(row.full_name, text.replace("(а)", ""), text.replace("(а)", "а"), text)


# The bot names whose records count for a school in a messenger (bot.config_bots.school_bots over the
# settings): the first is the school's bot.
SchoolBots = Callable[[Messenger, str | None], tuple[str, ...]]


def _single(messenger: Messenger, org_id: str | None) -> tuple[str, ...]:
    return (SINGLE_BOT,)


class ReachabilityService:
    """`contracts.Reachability` and the deputy's «Кто не подписан» use cases.

    What a bot may do is known per bot: a school's people are judged, checked and invited through the bot
    the school names (`bots`), since allowing one community's messages allows no other's."""

    def __init__(self, repo: ReachStore, *, probe: ReachPort | None = None, bots: SchoolBots | None = None) -> None:
        self._repo = repo
        self._bots = bots or _single
        # Each messenger's default bot's ReachPort, and each further bot's by name.
        self._probes: dict[Messenger, ReachPort] = {Messenger.VK: probe} if probe is not None else {}
        self._named: dict[tuple[Messenger, str], ReachPort] = {}

    def use_probe(self, messenger: Messenger, port: ReachPort, *, bot: str | None = None) -> None:
        """A messenger's `ReachPort` (MAX's, set by the composition root when it runs), or with `bot` that
        further bot's."""
        if bot is None:
            self._probes[messenger] = port
        else:
            self._named[(messenger, bot)] = port

    def _probe(self, messenger: Messenger, org_id: str | None) -> ReachPort | None:
        """The port of the bot that writes to school `org_id`'s people in `messenger`."""
        named = self._named.get((messenger, self._bots(messenger, org_id)[0]))
        return named if named is not None else self._probes.get(messenger)

    async def max_summary(self, org_id: str) -> ReachSummary:
        """Of the school's people: how many, and who the school's bot cannot write to in MAX, and why."""
        rows = await self._repo.max_people(org_id, bots=self._bots(Messenger.MAX, org_id))
        unreachable = [UnreachablePerson(person_id=r.person_id, name=r.full_name, vk_id=None, code=None,
                                         reason=reason) for r in rows if (reason := max_reason(r)) is not None]
        return ReachSummary(total=len(rows), unreachable=unreachable)

    async def max_invitation(self, org_id: str | None = None) -> Invitation | None:
        """The invitation with the MAX link of the school's bot (None while MAX cannot say the bot's name)."""
        probe = self._probe(Messenger.MAX, org_id)
        link = await probe.link() if probe is not None else None
        if not link:
            return None
        return Invitation(text=INVITATION.format(link=link).replace("отправьте боту любое сообщение, например "
                                                                    "«Начать»", "нажмите «Начать»"),
                          link=link, qr_png=qr_png(link))

    async def unreachable(self, org_id: str) -> list[UnreachablePerson]:
        """The school's people its VK community cannot write to: no VK page, or VK refused."""
        rows = await self._repo.people(org_id, bots=self._bots(Messenger.VK, org_id))
        return [_unreachable(r) for r in rows if r.unreachable]

    async def unreachable_of(self, org_ids: Sequence[str]) -> dict[str, list[UnreachablePerson]]:
        """`unreachable` of several schools at once (a regional wave): one read per VK community among them."""
        by_bots: dict[tuple[str, ...], list[str]] = {}
        for org_id in dict.fromkeys(org_ids):
            by_bots.setdefault(tuple(self._bots(Messenger.VK, org_id)), []).append(org_id)
        found: dict[str, list[UnreachablePerson]] = {}
        for bots, schools in by_bots.items():
            rows = await self._repo.people_of(schools, bots=bots)
            found.update({org_id: [_unreachable(r) for r in rows[org_id] if r.unreachable] for org_id in schools})
        return {org_id: found[org_id] for org_id in org_ids}

    async def summary(self, org_id: str, person_ids: Sequence[int] | None = None) -> ReachSummary:
        """Of the school's people (or of `person_ids`): how many, and who its VK community cannot reach."""
        rows = await self._repo.people(org_id, person_ids, bots=self._bots(Messenger.VK, org_id))
        return ReachSummary(total=len(rows), unreachable=[_unreachable(r) for r in rows if r.unreachable])

    async def allow(self, vk_id: int, *, bot: str = SINGLE_BOT) -> None:
        """A message_allow event to community `bot`."""
        await self._repo.allow(vk_id, bot=bot)

    async def deny(self, vk_id: int, *, bot: str = SINGLE_BOT) -> None:
        """A message_deny event to community `bot`."""
        await self._repo.deny(vk_id, bot=bot)

    async def refresh(self, org_id: str, *, everyone: bool = False) -> RefreshResult:
        """Ask the school's VK community about the school's bound people it does not know to reach (or everyone).

        A failed check is counted, never retried here (the next refresh asks again).
        """
        probe = self._probe(Messenger.VK, org_id)
        if probe is None:
            return RefreshResult()
        bots = self._bots(Messenger.VK, org_id)
        vk_ids = (await self._repo.to_check(org_id, everyone=everyone, bots=bots))[:MAX_CHECKS]
        found = await probe.check(vk_ids)
        answers = list(found.allowed.items())
        await self._repo.apply_checks(answers, bot=bots[0])
        allowed = sum(1 for _, ok in answers if ok)
        return RefreshResult(checked=len(answers), allowed=allowed, refused=len(answers) - allowed,
                             failed=found.failed)

    async def link(self, org_id: str | None = None) -> str:
        """The link that opens a dialog with the school's VK community ("" while there is none to ask)."""
        probe = self._probe(Messenger.VK, org_id)
        return (await probe.link() or "") if probe is not None else ""

    async def invitation(self, org_id: str) -> Invitation:
        """The text staff get to start talking to the school's bot, with the link and its QR code."""
        link = await self.link(org_id)
        return Invitation(text=INVITATION.format(link=link), link=link, qr_png=qr_png(link))
