"""Validating the VK emulator's traffic against VK's official schema: python-jsonschema beside jsonschema-rs.

Usage: python benchmarks/bench_vk_schema.py [--repeat 2000]

What the emulator validates for each reminder of a bulk wave: the `messages.send` parameters the bot sends,
the response the emulator answers with and the `message_reply` echo event it queues for long poll. The
same patched schema (vk_emulator.schema) is compiled three ways in one run and each item is checked
`--repeat` times (median of 5 rounds, µs per item):
- python-jsonschema (Draft7Validator over a `referencing` registry): how the emulator validated before;
- jsonschema-rs (what vk_emulator.schema uses now), every error with its path;
- fastjsonschema, if installed (`pip install fastjsonschema`): code generation, stops at the first error.

Measured (2 shared cores, load average 2.3, the test suite running beside it), µs per item as jsonschema /
jsonschema-rs / fastjsonschema: params 23.3 / 0.6 / 9.6; response 96.4 / 1.5 / 5.1; echo event 548.9 / 1.6 /
8.0. jsonschema-rs was chosen: fastest, every error with its path (fastjsonschema stops at the first and
compiles each reference for ~0.3 s), and a Registry of the vendored documents without retrieval.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from vk_emulator.schema import BASE_URI, EVENT_OBJECTS, load_schema  # noqa: E402

EVENT_REF = BASE_URI + EVENT_OBJECTS["message_reply"]
BASE_REF = BASE_URI + "callback/objects.json#/definitions/callback_base"
RESPONSE_REF = BASE_URI + "messages/responses.json#/definitions/messages_send_user_ids_response"

EVENT: dict[str, Any] = {
    "group_id": 1, "type": "message_reply", "event_id": "0000002a5e1f0c3b9d7a6e41c2b8f0d1", "v": "5.199",
    "object": {"date": 1764990000, "from_id": -1, "id": 42, "out": 1, "version": 42, "attachments": [],
               "conversation_message_id": 7, "fwd_messages": [], "important": False, "is_hidden": False,
               "peer_id": 1_000_001, "random_id": 12345, "text": "Добрый день! Напоминание о Сферуме."},
}
PARAMS: dict[str, Any] = {"peer_ids": [1_000_001], "message": "Добрый день! Напоминание о Сферуме.",
                          "random_id": 12345}
RESPONSE: dict[str, Any] = {"response": [{"peer_id": 1_000_001, "message_id": 42, "conversation_message_id": 7}]}


def _median_us(check: Callable[[], Any], repeat: int) -> float:
    rounds = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(repeat):
            check()
        rounds.append((time.perf_counter() - started) / repeat * 1e6)
    return statistics.median(rounds)


def main(args: argparse.Namespace) -> int:
    schema = load_schema()
    params_schema = schema.methods["messages.send"].param_schema
    registry: Registry[Any] = Registry().with_resources(
        (BASE_URI + rel, Resource.from_contents(doc, default_specification=DRAFT7)) for rel, doc in schema.docs.items())
    py = {name: Draft7Validator(s, registry=registry) for name, s in (
        ("event", {"$ref": EVENT_REF}), ("base", {"$ref": BASE_REF}), ("params", params_schema),
        ("response", {"$ref": RESPONSE_REF}))}
    items = {"params": PARAMS, "response": RESPONSE, "event": EVENT}
    for name, item in items.items():  # the same items are valid both ways, so both check them in full
        assert not schema_errors(schema, name, item), name
        assert not list(py[name].iter_errors(item["object"] if name == "event" else item)), name

    def python_check(name: str) -> Callable[[], Any]:
        if name == "event":
            return lambda: (list(py["base"].iter_errors(EVENT)), list(py["event"].iter_errors(EVENT["object"])))
        return lambda: list(py[name].iter_errors(items[name]))

    fast = _fastjsonschema(schema, params_schema)
    print(f"{'item':10} {'jsonschema µs':>14} {'jsonschema-rs µs':>17} {'fastjsonschema µs':>18}  speed-up (rs)")
    for name in items:
        before = _median_us(python_check(name), max(1, args.repeat // 50))
        now = _median_us(partial(schema_errors, schema, name, items[name]), args.repeat)
        other = f"{_median_us(fast[name], args.repeat):18.1f}" if fast else f"{'not installed':>18}"
        print(f"{name:10} {before:14.1f} {now:17.1f} {other}  ×{before / now:.0f}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


def schema_errors(schema: Any, name: str, item: Any) -> list[str]:
    """What the emulator runs for each item (vk_emulator.schema on jsonschema-rs)."""
    if name == "event":
        return list(schema.event_errors(item))
    if name == "params":
        schema.check_params("messages.send", item)
        return []
    return list(schema.response_errors("messages.send", item))


def _fastjsonschema(schema: Any, params_schema: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    try:
        fastjsonschema = importlib.import_module("fastjsonschema")  # optional, compared only when installed
    except ImportError:
        return {}
    docs = {BASE_URI + rel: doc for rel, doc in schema.docs.items()}
    handlers = {"https": lambda uri: docs[uri.split("#")[0]]}

    def build(target: dict[str, Any]) -> Callable[[Any], Any]:
        compiled: Callable[[Any], Any] = fastjsonschema.compile({"$schema": "http://json-schema.org/draft-07/schema#", **target},
                                                                handlers=handlers)
        return compiled

    base, event = build({"$ref": BASE_REF}), build({"$ref": EVENT_REF})
    params, response = build(dict(params_schema)), build({"$ref": RESPONSE_REF})
    return {"params": lambda: params(PARAMS), "response": lambda: response(RESPONSE),
            "event": lambda: (base(EVENT), event(EVENT["object"]))}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000, help="checks per round of each item")
    sys.exit(main(parser.parse_args()))
