"""Typed button payloads: today's VK payloads decode, forged ones do not, every one fits both messengers."""

from __future__ import annotations

import ast
import json
from typing import Any

import pytest
from pydantic import Field

from bot.messaging import actions
from bot.messaging.payloads import MAX_PAYLOAD_CHARS, Payload, PayloadTooLong, decode, registered
from tests.conftest import ROOT


def _const(node: ast.AST | None) -> Any:
    return node.value if isinstance(node, ast.Constant) else None


def payloads_in_code() -> dict[str, set[str]]:
    """Every `cmd` name the bot's code puts on a button or matches on, with the keys it sends along."""
    found: dict[str, set[str]] = {}
    for folder in ("bot", "handlers"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "messaging" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.Dict):
                    keys = [_const(k) for k in node.keys]
                    if "cmd" in keys and isinstance(_const(node.values[keys.index("cmd")]), str):
                        name = _const(node.values[keys.index("cmd")])
                        found.setdefault(name, set()).update(k for k in keys if isinstance(k, str) and k != "cmd")
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    if node.func.id in ("Cmd", "EventCmd") and isinstance(_const(node.args[0]), str):
                        found.setdefault(node.args[0].value, set())  # type: ignore[attr-defined]
                    elif node.func.id in ("_b", "button") and len(node.args) >= 2 and isinstance(_const(node.args[1]), str):
                        extra = {k.arg for k in node.keywords if k.arg and k.arg != "color"}
                        found.setdefault(node.args[1].value, set()).update(extra)  # type: ignore[attr-defined]
    return found


SAMPLES: dict[Any, Any] = {int: 7, str: "abc", int | None: 3}


def sample(name: str, keys: set[str]) -> dict[str, Any]:
    """A payload as today's code builds it: the name and a value of the right type for each key."""
    model = registered()[name]
    by_alias = {f.alias or n: f.annotation for n, f in model.model_fields.items()}
    return {"cmd": name, **{k: SAMPLES[by_alias[k]] for k in keys}}


def test_the_code_is_scanned() -> None:
    """The scan finds the well-known names and keys (so an empty scan cannot pass the tests below)."""
    found = payloads_in_code()
    # Converted features build buttons from the typed models (broadcasts, imports): only the others remain here.
    assert {"summary", "ch_nnk", "faq_pick", "faq_topic"} <= set(found)
    assert found["faq_pick"] == {"q", "t", "e"} and found["ch_nnk"] == {"p", "k"} and found["faq_topic"] == {"q", "t"}


@pytest.mark.parametrize("name", sorted(payloads_in_code()))
def test_every_current_payload_decodes(name: str) -> None:
    """Each cmd in the code has a model, knows every key sent with it, and today's payload decodes to it."""
    keys = payloads_in_code()[name]
    assert name in registered(), f"no payload model for {name!r}"
    model = registered()[name]
    aliases = {f.alias or n for n, f in model.model_fields.items()}
    assert keys <= aliases, f"{name}: keys {keys - aliases} unknown to {model.__name__}"
    raw = sample(name, keys)
    decoded = decode(raw)
    assert isinstance(decoded, model)
    assert decode(json.dumps(raw)) == decoded  # MAX (and old VK clients) send the same as a string


def test_round_trip_keeps_todays_shape() -> None:
    """A typed payload packs to exactly the dict VK buttons carry today."""
    assert actions.BroadcastSend(broadcast_id=12).pack() == {"cmd": "bc_send", "b": 12}
    assert actions.BroadcastAudience(audience="teachers").pack() == {"cmd": "bc_aud", "a": "teachers"}
    assert actions.BroadcastCancel().pack() == {"cmd": "bc_cancel"}
    assert actions.NotNeededChat(person_id=5, key="k1").dumps() == '{"cmd":"ch_nnk","p":5,"k":"k1"}'
    assert decode(actions.ImportPick(row_id=1, person_id=0).pack()) == actions.ImportPick(row_id=1, person_id=0)


@pytest.mark.parametrize("raw", [
    None, "", "not json", "[1, 2]", {"cmd": "nope"}, {"cmd": 5}, {"b": 1},
    {"cmd": "bc_send"}, {"cmd": "bc_send", "b": "7"}, {"cmd": "bc_send", "b": True},
    {"cmd": "bc_send", "b": 10**30}, {"cmd": "ch_open", "k": "x" * 65}, {"cmd": "bc_aud", "a": ["all"]},
    "{" * 2000,
])
def test_forged_or_stale_payloads_decode_to_none(raw: Any) -> None:
    """Unknown names, missing or mistyped keys and oversized integers are refused, never half-read."""
    assert decode(raw) is None


def test_extra_keys_are_ignored() -> None:
    """A client that adds a key of its own still presses the same button."""
    assert decode({"cmd": "summary", "x": 1}) == actions.Summary()


def test_every_payload_fits_vk_and_max() -> None:
    """Packed with the longest values the models allow, every action stays within VK's 255 characters."""
    for name, model in registered().items():
        values: dict[str, Any] = {}
        for field_name, field in model.model_fields.items():
            longest = next((m.max_length for m in field.metadata if hasattr(m, "max_length")), None)
            values[field_name] = -(2**63) if field.annotation in (int, int | None) else "ж" * (longest or 1)
        packed = model(**values).dumps()
        assert len(packed) <= MAX_PAYLOAD_CHARS <= 1024, name


def test_a_too_long_payload_is_refused_when_built() -> None:
    """A model whose payload could outgrow a VK button fails when packed, not at VK."""

    class Wide(Payload):
        text: str = Field(alias="x")

    with pytest.raises(PayloadTooLong):
        Wide(text="я" * 300).pack()


def test_names_are_unique_and_short() -> None:
    """Stable short names: at most 20 characters, one model each."""
    assert all(len(name) <= 20 for name in registered())
    assert len(set(registered().values())) == len(registered())



async def test_a_filter_may_take_an_invalid_payload_of_its_name() -> None:
    """`filter(invalid=True)` passes a forged payload of its action as `action=None`; other names never match."""
    strict, lenient = actions.ImportApply.filter(), actions.ImportApply.filter(invalid=True)

    class Pressed:
        def __init__(self, payload: Any) -> None:
            self.payload = payload

    forged = Pressed({"cmd": "imp_ok", "c": "1; DROP"})
    assert await strict(forged) is False
    assert await lenient(forged) == {"action": None}
    assert await lenient(Pressed({"cmd": "imp_no", "c": 1})) is False
    assert await lenient(Pressed('{"cmd":"imp_ok","c":7}')) == {"action": actions.ImportApply(confirmation_id=7)}
