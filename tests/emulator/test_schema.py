"""Conformance with VK's official JSON schema and the explicit deviations from it."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.emulator.support import GROUP_ID, TOKEN, USER
from vk_emulator import Emulator
from vk_emulator.schema import (
    SCHEMA_DIR_ENV,
    coerce_param,
    convert_required,
    load_schema,
    locate_schema_dir,
)
from vk_emulator.schema_patches import PATCH_LIST

REPO = Path(__file__).resolve().parents[2]

MESSAGE: dict[str, Any] = {
    "id": 5,
    "date": 1700000000,
    "peer_id": USER,
    "from_id": USER,
    "text": "hi",
    "conversation_message_id": 3,
    "out": 0,
    "version": 9,
    "attachments": [],
    "fwd_messages": [],
    "important": False,
    "is_hidden": False,
}


def test_draft03_required_is_converted() -> None:
    node = {
        "properties": {
            "a": {"type": "integer", "required": True},
            "b": {"type": "string", "required": False},
        }
    }
    convert_required(node)
    assert node == {
        "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
        "required": ["a"],
    }


def test_valid_objects_pass() -> None:
    schema = load_schema()
    event = {
        "type": "message_new",
        "group_id": GROUP_ID,
        "event_id": "ab",
        "v": "5.199",
        "object": {"message": MESSAGE, "client_info": {"keyboard": True}},
    }
    assert schema.event_errors(event) == []
    assert (
        schema.response_errors(
            "users.get", {"response": [{"id": 1, "first_name": "A", "last_name": "B"}]}
        )
        == []
    )
    assert schema.response_errors("messages.send", {"response": 5}) == []


@pytest.mark.parametrize(
    "field",
    ["id", "date", "peer_id", "from_id", "text", "conversation_message_id", "out", "version"],
)
def test_removing_a_required_message_field_fails(field: str) -> None:
    message = copy.deepcopy(MESSAGE)
    del message[field]
    event = {
        "type": "message_new",
        "group_id": GROUP_ID,
        "event_id": "ab",
        "v": "5.199",
        "object": {"message": message, "client_info": {}},
    }
    errors = load_schema().event_errors(event)
    assert any(field in e for e in errors), errors


def test_removing_required_fields_from_responses_fails() -> None:
    schema = load_schema()
    item = {"peer_id": USER, "message_id": 1, "conversation_message_id": 2}
    assert schema.response_errors("messages.send", {"response": [item]}) == []
    del item["conversation_message_id"]
    assert schema.response_errors("messages.send", {"response": [item]})
    doc = {"id": 1, "owner_id": -1, "title": "t", "size": 1, "ext": "txt", "date": 1, "type": 1}
    assert schema.response_errors("docs.save", {"response": {"type": "doc", "doc": doc}}) == []
    del doc["title"]
    assert schema.response_errors("docs.save", {"response": {"type": "doc", "doc": doc}})
    assert schema.response_errors(
        "groups.getLongPollServer", {"response": {"server": "http://x", "ts": "1"}}
    )
    assert schema.response_errors("users.get", {"response": [{"first_name": "A"}]})


def test_patched_deviations() -> None:
    schema = load_schema()
    press: dict[str, Any] = {
        "type": "message_event",
        "group_id": 1,
        "event_id": "e",
        "v": "5.199",
        "object": {"user_id": 1, "peer_id": 1, "event_id": "x", "payload": {"a": 1}},
    }
    assert schema.event_errors(press) == []
    press["object"]["payload"] = '{"a": 1}'
    assert schema.event_errors(press)
    keyboard_ref = "messages/objects.json#/definitions/messages_keyboard"
    assert schema.definition_errors(keyboard_ref, {"buttons": []}) == []
    assert schema.definition_errors(keyboard_ref, {"one_time": False})
    assert schema.response_errors("utils.resolveScreenName", {"response": []}) == []
    assert len(PATCH_LIST) == 11


def test_form_coercion_by_schema_type() -> None:
    assert coerce_param("1,2,3", {"type": "array", "items": {"type": "integer"}}) == [1, 2, 3]
    assert coerce_param("1", {"type": "boolean"}) is True
    assert coerce_param("0", {"type": "boolean"}) is False
    assert coerce_param("42", {"type": "integer"}) == 42
    assert coerce_param('{"a":1}', {"type": "string", "$ref": "x"}) == {"a": 1}
    assert coerce_param("anna", {"type": ["integer", "string"]}) == "anna"
    with pytest.raises(ValueError):
        coerce_param("x", {"type": "integer"})
    with pytest.raises(ValueError):
        coerce_param("2", {"type": "boolean"})


async def test_an_invalid_response_is_reported_not_served() -> None:
    emulator = Emulator(token=TOKEN, group_id=GROUP_ID)
    emulator.seed_users([{"id": USER, "first_name": "A", "last_name": "B"}])

    def broken(params: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"first_name": "A", "last_name": "B"}]  # no id

    emulator.state.handlers["users.get"] = broken
    async with emulator, aiohttp.ClientSession() as session:
        form = {"access_token": TOKEN, "user_ids": str(USER)}
        async with session.post(emulator.api_url + "users.get", data=form) as response:
            assert response.status == 500
            body = await response.json()
    assert body["emulator_error"] == "schema violation"
    assert emulator.state.schema_violations


def test_schema_is_found_from_cwd_env_and_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = locate_schema_dir()
    monkeypatch.delenv(SCHEMA_DIR_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert locate_schema_dir() == real  # found from the package's location
    monkeypatch.setenv(SCHEMA_DIR_ENV, str(real))
    assert locate_schema_dir() == real


def test_schema_is_found_in_a_fresh_clone_layout(tmp_path: Path) -> None:
    real = locate_schema_dir()
    clone = tmp_path / "x" / "main"
    clone.mkdir(parents=True)
    shutil.copytree(
        REPO / "vk_emulator", clone / "vk_emulator", ignore=shutil.ignore_patterns("__pycache__")
    )
    (tmp_path / "x" / "shared").mkdir()
    (tmp_path / "x" / "shared" / "vk-api-schema").symlink_to(real)
    env = {k: v for k, v in os.environ.items() if k != SCHEMA_DIR_ENV}
    env["PYTHONPATH"] = str(clone)
    script = "from vk_emulator.schema import locate_schema_dir; print(locate_schema_dir())"
    for cwd in (clone, tmp_path):
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        assert result.stdout.strip() == str(tmp_path / "x" / "shared" / "vk-api-schema")
