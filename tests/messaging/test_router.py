"""The neutral router: nesting, first match wins, filters that return data, DI by signature, middlewares."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.commands import command_words, is_command_text
from bot.domain.models import Person, Role
from bot.messaging import actions
from bot.messaging.events import (
    ButtonPressed,
    ChatKind,
    ChatRef,
    Identity,
    MessageIn,
    Messenger,
    PersonStarted,
)
from bot.messaging.filters import Command, InGroup, Known, Private
from bot.messaging.middlewares import PersonMiddleware
from bot.messaging.router import Dispatcher, Router, and_f, invert_f, or_f

USER = Identity(messenger=Messenger.VK, external_id=7)
DIALOG = ChatRef(messenger=Messenger.VK, chat_id=7)
GROUP = ChatRef(messenger=Messenger.VK, chat_id=2_000_000_001, kind=ChatKind.GROUP)
ANNA = Person(id=1, org_id="s1", full_name="Иванова Анна Петровна", role=Role.DEPUTY, vk_id=7)


def message(text: str = "", chat: ChatRef = DIALOG, **kwargs: Any) -> MessageIn:
    """A message from USER."""
    return MessageIn(chat=chat, sender=USER, text=text, **kwargs)


async def test_first_match_wins_across_nested_routers() -> None:
    """Of two routers that both accept an event, only the one included first handles it."""
    root, first, second, seen = Dispatcher(), Router("first"), Router("second"), []

    @first.message(Command(actions.Summary, "сводка"))
    async def one(event: MessageIn) -> None:
        seen.append("first")

    @second.message()
    async def two(event: MessageIn) -> None:
        seen.append("second")

    root.include_routers(first, second)
    assert await root.feed(message("Сводка!"))
    assert await root.feed(message("что-то ещё"))
    assert seen == ["first", "second"]


async def test_filter_data_and_middleware_data_reach_the_handler_by_name() -> None:
    """A filter's dict and the middleware's `person` arrive as kwargs; undeclared ones are not passed."""
    root, got = Dispatcher(), {}

    async def resolve(identity: Identity) -> list[Person]:
        return [ANNA] if identity == USER else []

    middleware = PersonMiddleware(resolve)
    root.middleware(middleware)

    @root.message(Known(Role.DEPUTY), Command(actions.ChatList))
    async def handler(event: MessageIn, action: actions.ChatList, person: Person) -> None:
        got.update(action=action, person=person)

    assert await root.feed(message(payload={"cmd": "ch_list", "pg": 2}), service_bus="ignored")
    assert got == {"action": actions.ChatList(page=2), "person": ANNA}
    assert middleware.lookups == 1


async def test_unmatched_event_is_not_handled() -> None:
    """No handler accepts: feed says so (the adapter then tries the next feature)."""
    root = Dispatcher()

    @root.message(InGroup())
    async def only_groups(event: MessageIn) -> None:
        raise AssertionError("must not run")

    assert not await root.feed(message("hi"))
    assert not await root.feed(PersonStarted(chat=DIALOG, sender=USER))


async def test_watchers_see_events_and_the_search_goes_on() -> None:
    """A `blocking=False` handler runs and the first blocking handler still answers."""
    root, counter, answer = Dispatcher(), Router("counter"), Router("answer")
    seen: list[str] = []

    @counter.message(InGroup(), blocking=False)
    async def count(event: MessageIn) -> None:
        seen.append("counted")

    @answer.message()
    async def reply(event: MessageIn) -> None:
        seen.append("answered")

    root.include_routers(counter, answer)
    assert await root.feed(message("hi", chat=GROUP))
    assert seen == ["counted", "answered"]


async def test_router_level_filter_guards_every_handler() -> None:
    """`observer.filter(Private())` keeps group-chat events out of a private-only router."""
    root, private = Dispatcher(), Router("private")
    private.message.filter(Private())
    seen: list[str] = []

    @private.message()
    async def anything(event: MessageIn) -> None:
        seen.append(event.text)

    root.include_router(private)
    assert not await root.feed(message("group", chat=GROUP))
    assert await root.feed(message("dialog"))
    assert seen == ["dialog"]


async def test_composed_filters() -> None:
    """and_f merges data, or_f takes the first that passes, invert_f negates."""
    event = message("сводка")
    both = and_f(Private(), Command(actions.Summary, "сводка"))
    assert await both(event) == {"action": actions.Summary()}
    assert await or_f(InGroup(), Private())(event) is True
    assert await invert_f(InGroup())(event) is True
    assert await and_f(InGroup(), Private())(event) is False


async def test_button_payloads_are_validated() -> None:
    """A forged button payload matches no handler, so it falls through to the polite fallback."""
    root, seen = Dispatcher(), []

    @root.button(actions.BroadcastSend.filter())
    async def send(event: ButtonPressed, action: actions.BroadcastSend) -> None:
        seen.append(action.broadcast_id)

    press = {"chat": DIALOG, "sender": USER, "callback_id": "c1"}
    assert await root.feed(ButtonPressed(payload={"cmd": "bc_send", "b": 3}, **press))
    assert not await root.feed(ButtonPressed(payload={"cmd": "bc_send", "b": "3"}, **press))
    assert seen == [3]


def test_a_router_is_included_once() -> None:
    """Including a router twice in one parent, or in itself, is a wiring mistake caught at once."""
    root, child = Router("root"), Router("child")
    root.include_router(child)
    Router("another bot").include_router(child)  # a module-level router serves every bot built
    with pytest.raises(RuntimeError):
        root.include_router(child)
    with pytest.raises(RuntimeError):
        child.include_router(root)


async def test_a_middleware_may_drop_the_event() -> None:
    """An outer middleware that does not call on stops the event before any filter."""
    root = Dispatcher()

    async def drop(following: Any, event: Any, data: dict[str, Any]) -> bool:
        return False

    root.middleware(drop)

    @root.message()
    async def anything(event: MessageIn) -> None:
        raise AssertionError("must not run")

    assert not await root.feed(message("hi"))


async def test_command_words_after_a_mention() -> None:
    """Typed words count after the bot's mention (the adapter's `addressed`) or any «@name» when allowed."""
    flt = Command(actions.Summary, "сводка", any_mention=True)
    assert await flt(message("[club1|Бот], сводка", chat=GROUP, addressed="сводка"))
    assert await flt(message("@bot сводка", chat=GROUP))
    assert not await Command(actions.Summary, "сводка")(message("@bot сводка", chat=GROUP))


def test_every_command_filter_s_words_count_as_commands() -> None:
    """A dialog step lets a command through: the words of any `Command` filter, a typo allowed, and no others."""
    Command(actions.NotNeededStart, "отметить чат не нужен")
    assert "отметить чат не нужен" in command_words()
    assert is_command_text("Отметить чат не нужен!") and is_command_text("отметить чат не нужин")
    assert is_command_text("сводка") and not is_command_text("в телеге был") and not is_command_text("  ")
