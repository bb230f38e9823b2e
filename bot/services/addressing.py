"""Which messenger reaches a person: the one the school prefers, else the other one they have.

A person may have a VK identity, a MAX identity or both; only messengers that run (their token is
set) count. Without any token (offline commands such as `remind --dry-run`) both count, so a plan
shows where each reminder would go.
"""

from __future__ import annotations

from bot.config import SchoolConfig, Settings
from bot.messaging.events import Messenger


def running(settings: Settings) -> frozenset[Messenger]:
    """The messengers whose token is set (both when none is: the offline default)."""
    on = {m for m, token in ((Messenger.VK, settings.token), (Messenger.MAX, settings.max_token)) if token}
    return frozenset(on) or frozenset(Messenger)


def address(vk_id: int | None, max_id: int | None, preference: str,
            on: frozenset[Messenger]) -> tuple[Messenger, int] | None:
    """(messenger, id in it) to write to, or None when no running messenger knows the person."""
    options = {m: i for m, i in ((Messenger.VK, vk_id), (Messenger.MAX, max_id)) if i and m in on}
    if not options:
        return None
    preferred = Messenger(preference)
    if preferred in options:
        return preferred, options[preferred]
    messenger, external_id = next(iter(options.items()))
    return messenger, external_id


def school_address(settings: Settings, school: SchoolConfig, vk_id: int | None,
                   max_id: int | None) -> tuple[Messenger, int] | None:
    """`address` with the school's `messenger_preference` and the running messengers."""
    return address(vk_id, max_id, school.messenger_preference, running(settings))
