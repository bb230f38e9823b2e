"""Conformance: the shipped schema, its written-down relaxations, the real payload samples from the
official Go client, and the emulator's own updates and answers against them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from max_emulator import MaxEmulator
from max_emulator.api import BotApi
from max_emulator.control import Control
from max_emulator.relaxations import RELAXATIONS
from max_emulator.schema import load_openapi, load_schema
from tests.conftest import ROOT
from tests.max_emulator.support import ANNA, GROUP, OLGA, PETR, Call

SAMPLES = ROOT / "tests" / "fixtures" / "max_samples"
CHAT_SAMPLES = {
    "chat-path-result.json": "Chat",
    "dialog-with-user.json": "Chat",
    "get-admins.json": "ChatMembersList",
    "get-chat-by-id.json": "Chat",
    "get-members.json": "ChatMembersList",
    "get-membership.json": "ChatMember",
    "get-pin-message.json": "GetPinnedMessageResult",
}


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text("utf-8"))


def test_schema_ships_as_package_data() -> None:
    """The official schema 0.0.33 is read from the package, with its licence and source beside it."""
    openapi = load_openapi()
    assert openapi["info"]["version"] == "0.0.33"
    data = ROOT / "max_emulator" / "data"
    assert "Apache License" in (data / "LICENSE-Apache-2.0.txt").read_text("utf-8")
    assert "max-messenger/api-schema" in (data / "SOURCE.txt").read_text("utf-8")


def test_nothing_reads_shared_at_run_time() -> None:
    """No string in the emulators' code (docstrings aside) points at ../shared."""
    import ast

    for folder in ("max_emulator", "emulator_common"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text("utf-8"))
            docs = {
                id(node.body[0].value)
                for node in ast.walk(tree)
                if isinstance(
                    node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
                )
                and node.body
                and isinstance(node.body[0], ast.Expr)
            }
            strings = [
                n.value
                for n in ast.walk(tree)
                if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs
            ]
            assert not [s for s in strings if "shared" in s], path


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("update.*.json")))
def test_polling_samples_validate(name: str) -> None:
    """Each real `GET /updates` answer validates as an UpdateList."""
    assert load_schema().errors("UpdateList", sample(name)) == []


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("webhook.*.json")))
def test_webhook_samples_validate(name: str) -> None:
    """Each real webhook body validates as an Update."""
    assert load_schema().errors("Update", sample(name)) == []


@pytest.mark.parametrize("name", sorted(CHAT_SAMPLES))
def test_chat_samples_validate(name: str) -> None:
    """The real answers of the chats methods validate against their schemas."""
    assert load_schema().errors(CHAT_SAMPLES[name], sample(f"chats/{name}")) == []


def test_other_samples_validate() -> None:
    """The bot info and the two error samples validate."""
    schema = load_schema()
    assert schema.errors("BotInfo", sample("botInfo.ok.json")) == []
    assert schema.errors("Error", sample("error.invalid-token.json")) == []
    assert schema.errors("Error", sample("error.attachment.not.ready.json")) == []


def test_relaxations_are_needed_and_written_down() -> None:
    """bot_added without user fails the official schema and passes the relaxed one."""
    from jsonschema import Draft202012Validator

    assert RELAXATIONS and all(isinstance(r, str) for r in RELAXATIONS)
    update = {"update_type": "bot_added", "timestamp": 1, "chat_id": -1, "is_channel": False}
    assert load_schema().errors("Update", update) == []
    strict = load_openapi()["components"]["schemas"]["BotAddedToChatUpdate"]["allOf"][1]
    assert "user" in strict["required"]
    assert list(Draft202012Validator({"required": strict["required"]}).iter_errors(update))


def test_discriminators_refuse_unknown_types() -> None:
    """An update_type outside the mapping is refused, a known one is checked by its own schema."""
    schema = load_schema()
    assert schema.errors("Update", {"update_type": "bogus", "timestamp": 1})
    assert schema.errors("Update", {"update_type": "bot_started", "timestamp": 1})


def test_every_served_route_is_in_the_schema(emu: MaxEmulator) -> None:
    """The emulator serves no Bot API path or verb that the official schema lacks."""
    operations = load_schema().operations
    assert set(BotApi(emu.state).routes) <= set(operations)


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    return type(value).__name__


async def test_emulator_updates_have_the_samples_shape(api: Call, ctl: Control) -> None:
    """For every update type the emulator emits, each key of the real sample that the schema
    declares is there too (bot_added's user excepted: relaxation 1), and every update validates."""
    ctl.add_chat(
        {
            "chat_id": GROUP,
            "title": "Учителя",
            "members": [ANNA, PETR],
            "bot_is_admin": True,
            "bot_reads_all": True,
        }
    )
    ctl.start(ANNA, {"payload": "abc"})
    said = ctl.say({"user_id": ANNA, "chat_id": GROUP, "text": "..."})
    ctl.edit({"user_id": ANNA, "mid": said["mid"], "text": "hi bot"})
    sent = await api("POST", "/messages", {"text": "Hello"}, user_id=ANNA)
    ctl.press({"user_id": ANNA, "mid": sent.body["message"]["body"]["mid"], "payload": "picture"})
    ctl.join(GROUP, {"user_id": OLGA})
    ctl.leave(GROUP, {"user_id": OLGA})
    ctl.set_title(GROUP, {"user_id": ANNA, "title": "Look at me"})
    for action in ("mute", "unmute", "clear"):
        ctl.dialog(ANNA, {"action": action})
    ctl.unsend({"user_id": ANNA, "mid": said["mid"]})
    ctl.dialog(ANNA, {"action": "remove"})
    ctl.set_bot(GROUP, {"removed": True})
    updates = (await api("GET", "/updates", timeout=0)).body["updates"]
    ours = {u["update_type"]: u for u in updates}
    schema = load_schema()
    for update in updates:
        assert schema.errors("Update", update) == []
    names = sorted(p.name for p in SAMPLES.glob("webhook.*.json"))
    assert len(names) == 15
    for name in names:
        real = sample(name)
        kind = real["update_type"]
        assert kind in ours, f"the emulator never emits {kind}"
        declared = _declared_keys(kind)
        expected = {k for k in real if k in declared} - ({"user"} if kind == "bot_added" else set())
        missing = expected - set(ours[kind])
        assert not missing, f"{kind}: {missing}"
        if "message" in real and real["message"]:
            assert set(real["message"]) - {"link"} <= set(ours[kind]["message"])


def _declared_keys(update_type: str) -> set[str]:
    openapi = load_openapi()["components"]["schemas"]
    target = openapi["Update"]["discriminator"]["mapping"][update_type].rsplit("/", 1)[1]
    keys = set(openapi["Update"]["properties"])
    for part in openapi[target].get("allOf", []):
        keys |= set(part.get("properties", {}))
    return keys


def test_schema_loads_without_the_repository(tmp_path: Path) -> None:
    """The installed package finds its schema from any directory (no ../shared at run time)."""
    script = "from max_emulator.schema import load_schema; print(load_schema().version)"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "0.0.33", done.stderr
