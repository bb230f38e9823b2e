"""Every place where the emulator knowingly departs from VK's official JSON schema.

The official schema (shipped as ``vk_emulator/vk_api_schema``) describes VK API 5.199, but VK itself differs from it in a few
points that a bot can observe. Each difference is patched here, and only here, after the draft-03
``"required": true`` markers have been converted to draft-07 ``required`` arrays:

1. ``callback_message_event.payload`` is an object, not a string: VK delivers a callback button's
   payload as a JSON object (vkbottle-types expects one too).
2. ``messages_keyboard.one_time`` is optional: VK accepts ``{"buttons": []}`` (the documented way to
   remove a keyboard) and inline keyboards without ``one_time``.
3. ``messages_keyboard_button.color`` also allows ``secondary``: VK documents primary/secondary/
   negative/positive while the schema lists ``default`` instead of ``secondary``; both are accepted.
4. Keyboard button actions accept ``payload`` as a JSON object as well as a string: vkbottle serialises
   payload dicts as objects inside the keyboard JSON and VK accepts that.
5. ``messages.send`` / ``messages.edit``: the schema's ``message`` ``maxLength`` (9000) is dropped because
   the emulator enforces its own configurable limit (default 4096) with error 914, as VK does.
6. ``messages.edit`` also accepts ``conversation_message_id`` (the schema only lists ``cmid``); VK
   accepts both and vkbottle's ``MessageEvent.edit_message`` sends ``conversation_message_id``.
7. ``execute`` takes ``code`` (required) and ``func_v``: the schema lists no parameters for it.
8. ``utils.resolveScreenName`` answers ``[]`` (an empty array) for an unknown screen name, as VK does,
   while the schema allows only an object.
9. ``callback_type`` also lists ``message_event``: the schema's enum of event types omits it although
   Bots Long Poll delivers it (and ``callback_message_event`` exists).
10. ``base_error.inner_type`` is not required: it is a code-generation marker that VK never sends.
11. ``messages_forward`` fields may be ``null``: vkbottle's ``Message.reply()`` sends
    ``{"owner_id": null, "cmids": null, "message_ids": null, ...}`` and VK accepts it.
"""

from __future__ import annotations

from typing import Any

SchemaDocs = dict[str, Any]

PATCH_LIST: tuple[str, ...] = (
    "message_event payload is an object",
    "keyboard one_time is optional",
    "keyboard button color may be 'secondary'",
    "keyboard button payload may be an object",
    "messages.send/edit message has no schema maxLength (error 914 instead)",
    "messages.edit accepts conversation_message_id",
    "execute takes code and func_v",
    "utils.resolveScreenName may answer []",
    "callback_type includes message_event",
    "base_error.inner_type is not required",
    "messages_forward fields may be null",
)

_BUTTON_ACTIONS = (
    "messages_keyboard_button_action_text",
    "messages_keyboard_button_action_callback",
    "messages_keyboard_button_action_open_link",
    "messages_keyboard_button_action_location",
    "messages_keyboard_button_action_vkpay",
    "messages_keyboard_button_action_open_app",
    "messages_keyboard_button_action_open_photo",
)


def _definition(docs: SchemaDocs, path: str, name: str) -> dict[str, Any]:
    definition: dict[str, Any] = docs[path]["definitions"][name]
    return definition


def _method(docs: SchemaDocs, path: str, name: str) -> dict[str, Any]:
    for method in docs[path]["methods"]:
        if method["name"] == name:
            found: dict[str, Any] = method
            return found
    raise KeyError(name)


def _drop_required(schema: dict[str, Any], field: str) -> None:
    required = schema.get("required")
    if isinstance(required, list) and field in required:
        required.remove(field)
        if not required:
            del schema["required"]


def apply_patches(docs: SchemaDocs) -> None:
    """Apply every deviation listed in the module docstring to the loaded schema documents."""
    # 1. message_event payload.
    event = _definition(docs, "callback/objects.json", "callback_message_event")
    event["properties"]["payload"] = {"type": "object"}

    # 2-4. keyboards.
    keyboard = _definition(docs, "messages/objects.json", "messages_keyboard")
    _drop_required(keyboard, "one_time")
    button = _definition(docs, "messages/objects.json", "messages_keyboard_button")
    colors = button["properties"]["color"]["enum"]
    if "secondary" not in colors:
        colors.append("secondary")
    for action_name in _BUTTON_ACTIONS:
        action = _definition(docs, "messages/objects.json", action_name)
        props = action.setdefault("properties", {})
        if "payload" in props:
            props["payload"] = {"type": ["string", "object"]}

    # 5. message length is the emulator's configurable 914 rule.
    for method_name in ("messages.send", "messages.edit"):
        for param in _method(docs, "messages/methods.json", method_name)["parameters"]:
            if param["name"] == "message":
                param.pop("maxLength", None)

    # 6. messages.edit by conversation_message_id.
    edit = _method(docs, "messages/methods.json", "messages.edit")
    if not any(p["name"] == "conversation_message_id" for p in edit["parameters"]):
        edit["parameters"].append(
            {"name": "conversation_message_id", "type": "integer", "minimum": 0}
        )

    # 7. execute parameters.
    execute = _method(docs, "execute/methods.json", "execute")
    execute["parameters"] = [
        {"name": "code", "type": "string", "required": True},
        {"name": "func_v", "type": "integer"},
    ]

    # 8. resolveScreenName's empty answer.
    resolved = _definition(docs, "utils/responses.json", "utils_resolveScreenName_response")
    original = resolved["properties"]["response"]
    resolved["properties"]["response"] = {"anyOf": [original, {"type": "array", "maxItems": 0}]}

    # 9. message_event is a real event type.
    types = _definition(docs, "callback/objects.json", "callback_type")["enum"]
    if "message_event" not in types:
        types.append("message_event")

    # 10. VK's error objects carry no inner_type.
    _drop_required(_definition(docs, "base/objects.json", "base_error"), "inner_type")

    # 11. null fields in `forward`.
    forward = _definition(docs, "messages/objects.json", "messages_forward")
    for name, prop in list(forward["properties"].items()):
        forward["properties"][name] = {"anyOf": [prop, {"type": "null"}]}
