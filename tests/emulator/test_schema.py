"""Conformance with VK's official JSON schema and the explicit deviations from it."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.emulator.support import GROUP_ID, TOKEN, USER
from vk_emulator import Emulator
from vk_emulator.schema import (
    PACKAGED_SCHEMA_DIR,
    SCHEMA_DIR_ENV,
    SchemaNotFoundError,
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


def test_draft03_required_outside_properties_is_dropped() -> None:
    """`"required": true` on an array's items means nothing in draft 03 and is invalid in draft 07."""
    node = {"type": "array", "items": {"type": "integer", "required": True}, "required": True}
    convert_required(node)
    assert node == {"type": "array", "items": {"type": "integer"}}


def test_errors_name_the_path_and_the_rule() -> None:
    """A rejected object says where and what, as `path: message`, every error at once."""
    bad = {**MESSAGE, "from_id": "x"}
    del bad["date"]
    errors = load_schema().definition_errors(
        "messages/objects.json#/definitions/messages_message", bad
    )
    assert sorted(errors) == ['<root>: "date" is a required property', 'from_id: "x" is not of type "integer"']


def test_a_reference_outside_the_vendored_schema_is_never_fetched() -> None:
    """Every $ref resolves inside the vendored copy; an unknown one fails instead of going to the network."""
    with pytest.raises(ValueError, match="not part of the vendored VK schema"):
        load_schema().definition_errors("https://example.invalid/x.json#/definitions/y", {})


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


def test_schema_is_the_packaged_copy_unless_overridden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without settings the schema comes from the package, wherever the process runs."""
    monkeypatch.delenv(SCHEMA_DIR_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert locate_schema_dir() == PACKAGED_SCHEMA_DIR
    assert PACKAGED_SCHEMA_DIR.is_relative_to(REPO / "vk_emulator")
    copy_dir = tmp_path / "schema"
    shutil.copytree(PACKAGED_SCHEMA_DIR, copy_dir)
    monkeypatch.setenv(SCHEMA_DIR_ENV, str(copy_dir))
    assert locate_schema_dir() == copy_dir


def test_a_folder_without_the_schema_is_refused(tmp_path: Path) -> None:
    """An explicit folder that holds no schema is named in the error."""
    with pytest.raises(SchemaNotFoundError, match=str(tmp_path)):
        locate_schema_dir(tmp_path)
