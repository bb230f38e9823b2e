"""Dependency injection: handlers declare `deps: Deps` and get the services."""

from __future__ import annotations

from typing import Any

from vkbottle import BaseMiddleware

from bot.deps import Deps
from bot.messaging.middlewares import PersonLookups


def deps_middleware(deps: Deps) -> type[BaseMiddleware[Any]]:
    """A middleware class bound to `deps` (vkbottle instantiates middlewares per event)."""

    class DepsMiddleware(BaseMiddleware[Any]):
        async def pre(self) -> None:
            # No I/O here: vkbottle swallows middleware errors at DEBUG level. `lookups` is new for
            # each event: the rules and the neutral routers look each person up once through it.
            self.send({"deps": deps, "lookups": PersonLookups(deps.access.whois)})

    return DepsMiddleware
