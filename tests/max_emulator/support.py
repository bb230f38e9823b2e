"""Constants and the checked Bot API caller shared by the MAX emulator's tests."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import aiohttp

from max_emulator.schema import load_schema

TOKEN = "max-test-token"
BOT_ID = 4242
ANNA = 501
PETR = 502
OLGA = 503
GROUP = -7001


@dataclass
class Answer:
    status: int
    body: Any


Call = Callable[..., Coroutine[Any, Any, Answer]]
_PARAM = re.compile(r"^-?\d+$")


def template_of(path: str) -> str:
    """`/chats/-5/members` -> `/chats/{chatId}/members` (the schema's path template)."""
    parts = path.split("/")
    if len(parts) > 2 and parts[1] == "chats" and _PARAM.match(parts[2]):
        parts[2] = "{chatId}"
    if len(parts) > 2 and parts[1] == "messages":
        parts[2] = "{messageId}"
    return "/".join(parts)


def check_answer(verb: str, path: str, answer: Answer) -> None:
    """Every answer validates: 200 against the operation's schema, others against Error."""
    schema = load_schema()
    if answer.status == 200:
        operation = schema.operations[(verb, template_of(path))]
        assert operation.ok_ref is not None
        errors = schema.errors(operation.ok_ref, answer.body)
    else:
        errors = schema.errors("Error", answer.body)
    assert errors == [], f"{verb} {path} -> {answer.status}: {errors}"


def make_caller(session: aiohttp.ClientSession, base_url: str) -> Call:
    """`await api("POST", "/messages", {"text": "…"}, user_id=1)` -> Answer, checked by schema."""

    async def call(
        verb: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = TOKEN,
        raw_body: bytes | None = None,
        **params: Any,
    ) -> Answer:
        headers = {} if token is None else {"Authorization": token}
        query = {k: _form(v) for k, v in params.items()}
        kwargs: dict[str, Any] = {"headers": headers, "params": query}
        if raw_body is not None:
            kwargs["data"] = raw_body
            headers["Content-Type"] = "application/json"
        elif body is not None:
            kwargs["json"] = body
        async with session.request(verb, base_url + path, **kwargs) as response:
            answer = Answer(response.status, await response.json(content_type=None))
        check_answer(verb, path, answer)
        return answer

    return call


def _form(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)
