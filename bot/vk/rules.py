"""Pure rules of the VK sender: random_id, splitting, VK error classes, execute batches.

Nothing here does I/O; `bot/vk/outbound.py` applies these rules to VK, and the
tests check them without a network or a database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.messaging.text import split_text as split_text  # the VK sender splits at VK's own limit
from bot.ports import PortFailure

MAX_MESSAGE_LENGTH = 4096
EXECUTE_MAX_CALLS = 25
# VK documents no size limit for execute's `code`; keep each request well below a megabyte.
EXECUTE_MAX_CODE_CHARS = 200_000
RANDOM_ID_MASK = 0x7FFFFFFF

# Error codes after which VK will not deliver to this person until they act.
UNREACHABLE_CODES = frozenset({901, 902, 943, 944})
# Why VK refused, in the words of its codes: 901 — the person has not allowed the community's
# messages (never wrote to it, or pressed «запретить»); 902 — their privacy settings forbid them.
# Error codes that say "not now": the request did nothing and may be repeated later.
RETRY_CODES = frozenset({6, 9, 10})
# Pseudo error code for a network fault (timeout, reset, HTTP 5xx, an answer that is not JSON).
NETWORK_ERROR = -1



class DeliveryError(PortFailure):
    """A send or an upload that VK refused; `code` is VK's error code (or -1 for the network)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"VK error {code}: {message}")
        self.code = code
        self.message = message


class Outcome(StrEnum):
    """What to do with a message after VK's answer."""

    SENT = "sent"
    RETRY = "retry"
    UNREACHABLE = "unreachable"
    FAILED = "failed"


def idem_key(org_id: str | None, kind: str, period: str | None, person: int | str | None,
             *extra: str | int) -> str:
    """The idempotency key of one message: organization, kind, period, person (and extras)."""
    parts = [org_id or "-", kind, period or "-", "-" if person is None else str(person)]
    parts.extend(str(e) for e in extra)
    return ":".join(parts)


def chunk_key(key: str, index: int, total: int) -> str:
    """The key of chunk `index` (1-based) of a message split into `total` chunks."""
    return key if total == 1 else f"{key}#{index}"


def random_id_for(key: str) -> int:
    """A deterministic positive 31-bit random_id for an idempotency key (never 0)."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    value = int.from_bytes(digest, "big") & RANDOM_ID_MASK
    return value or 1


def classify(code: int | None) -> Outcome:
    """Sort a VK error code (None: success; -1: a network fault) into an outcome."""
    if code is None:
        return Outcome.SENT
    if code in UNREACHABLE_CODES:
        return Outcome.UNREACHABLE
    if code in RETRY_CODES or code == NETWORK_ERROR:
        return Outcome.RETRY
    return Outcome.FAILED


def backoff(attempt: int, base: float = 0.5, cap: float = 30.0) -> float:
    """Seconds to wait before retry number `attempt` (1-based): base·2^(attempt-1), capped."""
    return float(min(cap, base * (2 ** max(0, attempt - 1))))


def send_params(peer_id: int, random_id: int, text: str, *, keyboard: str | None = None,
                attachment: str | None = None, intent: str | None = None,
                peer_ids: bool = False) -> dict[str, Any]:
    """messages.send parameters; `peer_ids` asks for the per-peer shape that carries the cmid."""
    params: dict[str, Any] = {"peer_ids" if peer_ids else "peer_id": peer_id, "random_id": random_id}
    if text:
        params["message"] = text
    if keyboard is not None:
        params["keyboard"] = keyboard
    if attachment:
        params["attachment"] = attachment
    if intent and intent != "default":
        params["intent"] = intent
    return params


def call_code(method: str, params: Mapping[str, Any]) -> str:
    """One VKScript call with a JSON-literal argument, e.g. `API.messages.send({...})`."""
    return f"API.{method}({json.dumps(dict(params), ensure_ascii=False, separators=(',', ':'))})"


def execute_code(calls: Sequence[str]) -> str:
    """The execute script that runs `calls` and returns their results in order."""
    if not 0 < len(calls) <= EXECUTE_MAX_CALLS:
        raise ValueError(f"an execute holds 1..{EXECUTE_MAX_CALLS} calls, got {len(calls)}")
    return "return [" + ",".join(calls) + "];"


def batches(sizes: Sequence[int], *, max_calls: int = EXECUTE_MAX_CALLS,
            max_chars: int = EXECUTE_MAX_CODE_CHARS,
            groups: Sequence[object] | None = None) -> Iterator[range]:
    """Split items of the given code sizes into consecutive index ranges for execute requests.

    Each range holds at most `max_calls` items whose sizes add up to at most `max_chars`
    (an item bigger than that on its own still gets a range of its own). Consecutive
    items of the same `groups` value (the chunks of one long message) stay in one range
    when they fit in one, so that batches sent side by side cannot reorder them.
    """
    start = 0
    total = 0
    for index, size in enumerate(sizes):
        count = index - start
        if count and (count >= max_calls or total + size > max_chars):
            cut = index
            if groups is not None:
                while cut > start and groups[cut - 1] == groups[index]:
                    cut -= 1
                if cut == start:
                    cut = index  # the group alone overflows a batch: split it
            yield range(start, cut)
            start = cut
            total = sum(sizes[cut:index])
        total += size
    if start < len(sizes):
        yield range(start, len(sizes))


def group_of(key: str) -> str:
    """The message a chunk key belongs to (`k#2` → `k`; a key without a chunk suffix → itself)."""
    base, sep, tail = key.rpartition("#")
    return base if sep and tail.isdigit() else key


@dataclass(frozen=True)
class CallResult:
    """The result of one messages.send inside an execute."""

    ok: bool
    message_id: int | None = None
    cmid: int | None = None
    error_code: int | None = None
    error: str | None = None


def _send_result(value: Any) -> CallResult:
    if isinstance(value, bool):
        return CallResult(ok=value)
    if isinstance(value, int):
        return CallResult(ok=True, message_id=value)
    if isinstance(value, list) and value and isinstance(value[0], dict):
        item = value[0]
        error = item.get("error")
        if isinstance(error, dict):
            return CallResult(ok=False, error_code=int(error.get("code", 0)),
                              error=str(error.get("description", "")))
        return CallResult(ok=True, message_id=item.get("message_id"),
                          cmid=item.get("conversation_message_id"))
    return CallResult(ok=False, error_code=0, error=f"unexpected result {value!r}")


def parse_execute(body: Mapping[str, Any], count: int) -> list[CallResult]:
    """Match an execute answer to its `count` calls: each `false` takes the next execute_error.

    VK often appends an entry for `execute` itself that repeats the last error; it is
    skipped. A response that is not a list of `count` items fails every call.
    """
    response = body.get("response")
    errors = [e for e in body.get("execute_errors") or [] if isinstance(e, dict)]
    errors = [e for e in errors if e.get("method") != "execute"] or errors
    if not isinstance(response, list) or len(response) != count:
        first = errors[0] if errors else {}
        code = int(first.get("error_code", 13))
        msg = str(first.get("error_msg", f"execute returned {response!r}"))
        return [CallResult(ok=False, error_code=code, error=msg) for _ in range(count)]
    results: list[CallResult] = []
    pending_errors = iter(errors)
    for value in response:
        if value is False:
            err = next(pending_errors, None)
            if err is None:
                results.append(CallResult(ok=False, error_code=0, error="no execute_errors entry"))
            else:
                results.append(CallResult(ok=False, error_code=int(err.get("error_code", 0)),
                                          error=str(err.get("error_msg", ""))))
        else:
            results.append(_send_result(value))
    return results
