"""The demo's vocabulary: one `Step` is what someone does and what the bot should answer, on any messenger."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.demo.stages import Stage


@dataclass
class Step:
    """One move in the demo: someone writes, presses a button or sends a file; the same on every messenger.

    People are named by their number in the demo school (bot/demo/school.toml). A step that cannot run
    on a messenger yet says why in `not_on`; the demo lists it there as not played, and runs `instead`
    (if any) so that the story goes on."""

    actor: int
    title: str
    text: str = ""
    press: str | None = None  # a button label (part) on the last message the actor got
    doc: tuple[str, bytes] | None = None
    expect: list[str] = field(default_factory=list)  # substrings of the replies, in any of them
    # More substrings on one messenger only (its words differ: links, file kinds …).
    expect_on: dict[str, list[str]] = field(default_factory=dict)
    replies: int = 1
    # Files the answer carries: VK attaches them to a message, MAX sends each as a message of its own.
    files: int = 0
    to: int | None = None  # whose messages to wait for (default: the actor)
    before: Callable[[Stage], Awaitable[str | None]] | None = None  # runs a service instead of chatting
    chat: tuple[int, str, list[int]] | None = None  # (number, title, members): the group chat is created first
    in_chat: int | None = None  # write in group chat number n (default: a private message to the bot)
    text_from: Callable[[str], str] | None = None  # the text, made from the bot's last message to the actor
    not_on: dict[str, str] = field(default_factory=dict)  # messenger → why the step cannot run there yet
    instead: Callable[[Stage], Awaitable[str | None]] | None = None  # where it cannot: what keeps the story
    # messenger → what still has to be done by hand there after the step (printed, never hidden).
    then_on: dict[str, Callable[[Stage], Awaitable[str | None]]] = field(default_factory=dict)
