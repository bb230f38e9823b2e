"""One router for every messenger: routers per feature, filters that return data, DI by signature.

In the style of aiogram's dispatcher: a `Router` has one observer per event type
(`router.message`, `router.button`, `router.started` …); feature routers are nested
with `include_router` and the first handler whose filters pass wins. A filter is an
async callable that returns a bool or a dict merged into the handler's keyword
arguments. Handlers (and filters) get only the keyword arguments they declare.
`Dispatcher` is the root router; its outer middlewares run once per event before
any filter, e.g. `PersonMiddleware`, which looks the person up once and passes
`person` on.

A handler registered with `blocking=False` is a watcher: it sees every matching
event and the search goes on (counting chat messages while another feature answers).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.messaging.events import (
    BotAdded,
    BotRemoved,
    ButtonPressed,
    MemberJoined,
    MemberLeft,
    MessageIn,
    PersonStarted,
    PersonStopped,
)

Filter = Callable[..., Awaitable[bool | dict[str, Any]]]
HandlerFunc = Callable[..., Awaitable[Any]]
NextStep = Callable[[Any, dict[str, Any]], Awaitable[bool]]
Middleware = Callable[[NextStep, Any, dict[str, Any]], Awaitable[bool]]
F = TypeVar("F", bound=HandlerFunc)


class CallableObject:
    """A function with its signature read once: it is called with the kwargs it declares."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func
        params = inspect.signature(func).parameters.values()
        self.takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)
        named = [p.name for p in params
                 if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        # The first parameter takes the event itself.
        self.names = set(named[1:])

    def prepare(self, event: Any, data: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        if self.takes_all:
            return event, data
        return event, {k: v for k, v in data.items() if k in self.names}

    async def call(self, event: Any, data: dict[str, Any]) -> Any:
        arg, kwargs = self.prepare(event, data)
        return await self.func(arg, **kwargs)


async def check(filters: list[CallableObject], event: Any, data: dict[str, Any]) -> dict[str, Any] | None:
    """Run filters in order: None as soon as one fails, else what they added to `data`."""
    added: dict[str, Any] = {}
    for flt in filters:
        result = await flt.call(event, {**data, **added})
        if not result:
            return None
        if isinstance(result, dict):
            added.update(result)
    return added


@dataclass
class HandlerObject:
    """A registered handler, its filters and whether it stops the search."""

    callback: CallableObject
    filters: list[CallableObject]
    blocking: bool = True


@dataclass
class Match:
    """A handler that accepted an event, with the kwargs its filters produced."""

    handler: HandlerObject
    data: dict[str, Any]

    async def run(self, event: Any) -> Any:
        return await self.handler.callback.call(event, self.data)


class Observer:
    """The handlers of one event type in one router; call it as a decorator to register."""

    def __init__(self, router: Router, event_type: type) -> None:
        self.router = router
        self.event_type = event_type
        self.handlers: list[HandlerObject] = []
        self.filters: list[CallableObject] = []

    def __call__(self, *filters: Filter, blocking: bool = True) -> Callable[[F], F]:
        def register(func: F) -> F:
            self.register(func, *filters, blocking=blocking)
            return func
        return register

    def register(self, func: HandlerFunc, *filters: Filter, blocking: bool = True) -> None:
        """Add a handler (in the order handlers are tried)."""
        self.handlers.append(HandlerObject(CallableObject(func), [CallableObject(f) for f in filters], blocking))

    def filter(self, *filters: Filter) -> None:
        """Filters every handler of this observer must pass first (e.g. «private dialogs only»)."""
        self.filters.extend(CallableObject(f) for f in filters)


class Router:
    """A feature's handlers, one observer per event type; routers nest, the first match wins."""

    def __init__(self, name: str = "") -> None:
        self.name = name
        self.sub_routers: list[Router] = []
        self.message = Observer(self, MessageIn)
        self.button = Observer(self, ButtonPressed)
        self.bot_added = Observer(self, BotAdded)
        self.bot_removed = Observer(self, BotRemoved)
        self.started = Observer(self, PersonStarted)
        self.stopped = Observer(self, PersonStopped)
        self.member_joined = Observer(self, MemberJoined)
        self.member_left = Observer(self, MemberLeft)

    def __repr__(self) -> str:
        return f"Router({self.name!r})"

    @property
    def observers(self) -> dict[type, Observer]:
        found = [self.message, self.button, self.bot_added, self.bot_removed, self.started, self.stopped,
                 self.member_joined, self.member_left]
        return {o.event_type: o for o in found}

    def include_router(self, router: Router) -> Router:
        """Nest `router` after the ones included before it.

        A feature's module-level router may sit in several dispatchers (each test builds
        its own bot), so a router has no single parent; only loops are refused.
        """
        if self in router.tree():
            raise RuntimeError(f"including {router!r} in {self!r} would make a loop")
        if router in self.sub_routers:
            raise RuntimeError(f"{router!r} is already included in {self!r}")
        self.sub_routers.append(router)
        return router

    def include_routers(self, *routers: Router) -> None:
        for router in routers:
            self.include_router(router)

    def tree(self) -> Iterator[Router]:
        """This router and everything nested in it, depth first, in dispatch order."""
        yield self
        for sub in self.sub_routers:
            yield from sub.tree()

    def handles(self, event_type: type) -> bool:
        """Whether any router in this tree has a handler for `event_type`."""
        return any(r.observers[event_type].handlers for r in self.tree())

    async def resolve(self, event: Any, data: dict[str, Any], *, blocking: bool) -> list[Match]:
        """The watchers (`blocking=False`) or the first handler (`blocking=True`) that accept `event`."""
        found: list[Match] = []
        await self._resolve(event, data, blocking, found)
        return found

    async def _resolve(self, event: Any, data: dict[str, Any], blocking: bool, found: list[Match]) -> bool:
        observer = self.observers.get(type(event))
        if observer is None:
            return False
        candidates = [h for h in observer.handlers if h.blocking is blocking]
        if candidates or any(r.handles(type(event)) for r in self.sub_routers):
            added = await check(observer.filters, event, data)
            if added is None:
                return False
            data = {**data, **added}
        for handler in candidates:
            extra = await check(handler.filters, event, data)
            if extra is not None:
                found.append(Match(handler, {**data, **extra}))
                if blocking:
                    return True
        for sub in self.sub_routers:
            if await sub._resolve(event, data, blocking, found) and blocking:
                return True
        return False

    async def propagate(self, event: Any, data: dict[str, Any]) -> bool:
        """Run the watchers, then the first handler that accepts `event`; True when one did."""
        for match in await self.resolve(event, data, blocking=False):
            await match.run(event)
        matches = await self.resolve(event, data, blocking=True)
        for match in matches:
            await match.run(event)
        return bool(matches)


class Dispatcher(Router):
    """The root router: outer middlewares, then the routers included in order."""

    def __init__(self, name: str = "dispatcher") -> None:
        super().__init__(name)
        self.middlewares: list[Middleware] = []

    def middleware(self, middleware: Middleware) -> Middleware:
        """Add an outer middleware: `async (next_step, event, data) -> bool`, run once per event."""
        self.middlewares.append(middleware)
        return middleware

    async def prepare(self, event: Any, data: dict[str, Any]) -> dict[str, Any] | None:
        """The data the middlewares add for `event`, or None when one of them dropped it."""
        prepared: dict[str, Any] = {}

        async def last(event: Any, final: dict[str, Any]) -> bool:
            prepared.update(final)
            return True

        step: NextStep = last
        for middleware in reversed(self.middlewares):
            step = _wrap(middleware, step)
        return prepared if await step(event, dict(data)) else None

    async def feed(self, event: Any, **data: Any) -> bool:
        """Handle one event end to end: middlewares, watchers, the first matching handler."""
        prepared = await self.prepare(event, data)
        if prepared is None:
            return False
        return await self.propagate(event, prepared)


def _wrap(middleware: Middleware, following: NextStep) -> NextStep:
    async def step(event: Any, data: dict[str, Any]) -> bool:
        return await middleware(following, event, data)
    return step


# --- filters composed from others ---


def and_f(*filters: Filter) -> Filter:
    """All of the filters pass (their data merged)."""
    objects = [CallableObject(f) for f in filters]

    async def both(event: Any, **data: Any) -> bool | dict[str, Any]:
        added = await check(objects, event, data)
        return False if added is None else (added or True)
    return both


def or_f(*filters: Filter) -> Filter:
    """The first filter that passes (its data)."""
    objects = [CallableObject(f) for f in filters]

    async def either(event: Any, **data: Any) -> bool | dict[str, Any]:
        for flt in objects:
            result: bool | dict[str, Any] = await flt.call(event, data)
            if result:
                return result
        return False
    return either


def invert_f(flt: Filter) -> Filter:
    """The filter does not pass."""
    obj = CallableObject(flt)

    async def inverted(event: Any, **data: Any) -> bool:
        return not await obj.call(event, data)
    return inverted
