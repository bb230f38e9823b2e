"""Interactive replies that wait for the same rate slot share one request: up to 25 in an `execute`.

A reply is one `messages.send` request, and a token has 20 requests/s (a worker of several has its share,
e.g. 9.5/s of 2): when a whole region answers a reminder at once, replies queued behind the limiter for
seconds each. Here at most `lanes` requests are in flight; a reply that finds every lane busy waits in a
queue, and the next free lane takes the whole queue (up to 25 calls and VK's code size) in one `execute`.
A reply that finds a lane free goes alone as `messages.send`, as before, so a quiet bot answers as it did.
Each call keeps its own random_id, so a retried or replayed reply is still dropped by VK as a duplicate;
an `execute` runs its calls in order, so one person's replies keep their order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.ratelimit import Priority, priority
from bot.vk.rules import CallResult, batches, call_code, execute_code, parse_execute

# What sends one request: (method, params) -> VK's body; raises what the API raises.
Request = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
# What a failed request means for each of its calls.
Failure = Callable[[BaseException], CallResult]


@dataclass
class _Waiting:
    params: dict[str, Any]
    code: str
    done: asyncio.Future[CallResult] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class ReplyBatcher:
    """`send(params)`: one `messages.send`, alone or with the others waiting beside it in one execute."""

    def __init__(self, request: Request, failure: Failure, *, errors: tuple[type[BaseException], ...],
                 lanes: int = 4) -> None:
        self._request = request
        self._failure = failure
        self._errors = errors
        self._lanes = lanes
        self._queue: list[_Waiting] = []
        self._tasks: set[asyncio.Task[None]] = set()
        # Lanes still taking from the queue. Not len(_tasks): a lane that has just ended stays in _tasks until
        # its done-callback runs, and a reply queued in between would wait for a lane that never comes.
        self._active = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self.requests = 0  # requests sent (for tests and figures)

    async def send(self, params: dict[str, Any]) -> CallResult:
        """Send one message now; its result as VK gave it (or the request's failure)."""
        loop = asyncio.get_running_loop()
        waiting = _Waiting(dict(params), call_code("messages.send", params))
        if loop is not self._loop:
            # Lanes and waiters of an event loop that is gone (asyncio.run again) are forgotten, not counted.
            self._loop, self._tasks, self._queue, self._active = loop, set(), [], 0
        self._queue.append(waiting)
        if self._active < self._lanes:
            self._active += 1
            task = loop.create_task(self._lane())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await waiting.done

    async def _lane(self) -> None:
        """Send what waits, a batch at a time, until nothing does."""
        loop = self._loop
        try:
            while self._queue:
                span = next(batches([len(w.code) + 1 for w in self._queue]))
                batch, self._queue = self._queue[:len(span)], self._queue[len(span):]
                await self._send(batch)
        finally:
            # A lane of a finished event loop leaves the counts alone: they are the next loop's now.
            if self._loop is loop:
                self._active -= 1
                if self._active == 0 and self._queue:
                    # The last lane was cancelled (shutdown): nobody would take what still waits.
                    self._settle(self._queue, asyncio.CancelledError())
                    self._queue = []

    async def _send(self, batch: list[_Waiting]) -> None:
        try:
            with priority(Priority.INTERACTIVE):
                self.requests += 1
                if len(batch) == 1:
                    body = await self._request("messages.send", dict(batch[0].params))
                    results = parse_execute({"response": [body.get("response")]}, 1)
                else:
                    body = await self._request("execute", {"code": execute_code([w.code for w in batch])})
                    results = parse_execute(body, len(batch))
        except self._errors as exc:
            results = [self._failure(exc)] * len(batch)
        except Exception as exc:  # not VK's answer: each sender gets it raised, as from its own request
            self._settle(batch, exc)
            return
        except BaseException:
            self._settle(batch, asyncio.CancelledError())
            raise
        for waiting, result in zip(batch, results, strict=True):
            if not waiting.done.done():
                waiting.done.set_result(result)

    @staticmethod
    def _settle(batch: list[_Waiting], exc: BaseException) -> None:
        for waiting in batch:
            if not waiting.done.done():
                waiting.done.set_exception(exc)
