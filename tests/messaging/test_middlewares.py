"""The person lookups of one event: someone on the roster of several schools is the chosen school's person."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.models import Person, Role
from bot.messaging.events import Identity, Messenger
from bot.messaging.middlewares import PersonLookups, PersonMiddleware

ACCOUNT = Identity(messenger=Messenger.VK, external_id=5)
DEPUTY_A = Person(id=1, org_id="a", full_name="Иванова Анна Петровна", role=Role.DEPUTY, vk_id=5)
TEACHER_B = Person(id=2, org_id="b", full_name="Иванова Анна Петровна", role=Role.TEACHER, vk_id=5)


def lookups(people: Sequence[Person], chosen: str | None, asked: list[Identity]) -> PersonLookups:
    async def resolve(identity: Identity) -> Sequence[Person]:
        return people

    async def prefer(identity: Identity, schools: frozenset[str]) -> str | None:
        asked.append(identity)
        return chosen

    return PersonLookups(resolve, prefer)


async def test_the_chosen_school_wins_over_a_higher_role_elsewhere() -> None:
    """A deputy in school A who chose school B (where they teach) is B's teacher, B's person listed first."""
    asked: list[Identity] = []
    found = lookups([DEPUTY_A, TEACHER_B], "b", asked)
    assert await found.person(ACCOUNT) == TEACHER_B
    assert [p.id for p in await found.people(ACCOUNT)] == [2, 1]
    assert await found.chosen(ACCOUNT) == "b" and await found.schools(ACCOUNT) == {"a", "b"}
    assert asked == [ACCOUNT]  # asked once per event


async def test_no_choice_keeps_the_most_privileged_and_one_school_is_never_asked() -> None:
    """Without a choice the highest role wins as before; someone in one school costs no question."""
    asked: list[Identity] = []
    assert await lookups([TEACHER_B, DEPUTY_A], None, asked).person(ACCOUNT) == DEPUTY_A
    assert await lookups([TEACHER_B], "a", asked).person(ACCOUNT) == TEACHER_B
    assert asked == [ACCOUNT]


async def test_the_middleware_asks_for_the_choice_in_the_bot_the_event_came_to() -> None:
    """The preference is read with the event's bot (its id and name) and the person's schools."""
    seen: list[tuple[Identity, int, str, frozenset[str]]] = []

    async def resolve(identity: Identity) -> Sequence[Person]:
        return [DEPUTY_A, TEACHER_B]

    async def prefer(identity: Identity, bot_id: int, bot: str, schools: frozenset[str]) -> str | None:
        seen.append((identity, bot_id, bot, schools))
        return "b"

    class Event:
        sender = ACCOUNT

    data: dict[str, object] = {"bot_id": 12, "bot": "south"}

    async def following(event: object, data: dict[str, object]) -> bool:
        return True

    await PersonMiddleware(resolve, prefer)(following, Event(), data)
    assert data["person"] == TEACHER_B and seen == [(ACCOUNT, 12, "south", frozenset({"a", "b"}))]
