"""VK's official JSON schema: loading, draft-03 conversion, parameter coercion and validation.

Validation runs on jsonschema-rs (compiled, Draft 7): the emulator checks every request the bot sends and
every response and long-poll event it produces, and python-jsonschema spent ~250 µs on one echo event
(most of the emulator's CPU under a bulk wave) where jsonschema-rs spends ~1.5 µs with the same errors.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import jsonschema_rs
from jsonschema_rs import Draft7Validator, ValidationError, ValidationErrorKind

from vk_emulator.errors import VKError
from vk_emulator.schema_patches import apply_patches

SCHEMA_DIR_ENV = "SFERUM_VK_SCHEMA_DIR"
BASE_URI = "https://vk-api-schema.local/"

# Parameters every method accepts besides its own.
GLOBAL_PARAMS = frozenset({"v", "access_token"})

# Long-poll event type -> definition of its "object".
EVENT_OBJECTS: dict[str, str] = {
    "message_new": "callback/objects.json#/definitions/callback_message_new",
    "message_reply": "messages/objects.json#/definitions/messages_message",
    "message_edit": "messages/objects.json#/definitions/messages_message",
    "message_event": "callback/objects.json#/definitions/callback_message_event",
    "message_allow": "callback/objects.json#/definitions/callback_message_allow",
    "message_deny": "callback/objects.json#/definitions/callback_message_deny",
    "message_typing_state": "callback/objects.json#/definitions/callback_message_typing_state",
}


class SchemaNotFoundError(RuntimeError):
    """The schema directory could not be located."""


#: The vendored schema (package data; see its SOURCE.txt and LICENSE).
PACKAGED_SCHEMA_DIR = Path(__file__).resolve().parent / "vk_api_schema"


def locate_schema_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Find the schema: an explicit path, then $SFERUM_VK_SCHEMA_DIR, else the copy shipped
    inside this package."""
    if explicit is None:
        explicit = os.environ.get(SCHEMA_DIR_ENV) or PACKAGED_SCHEMA_DIR
    path = Path(explicit)
    if not (path / "messages" / "methods.json").is_file():
        raise SchemaNotFoundError(f"в папке {path} нет схемы VK API (messages/methods.json)")
    return path


def convert_required(node: Any) -> None:
    """Turn draft-03 `"required": true` inside properties into draft-07 `required` arrays, in place.

    A boolean `required` anywhere else (e.g. on an array's `items`) means nothing in draft 03 and is not
    valid draft 07, so it is dropped."""
    if isinstance(node, dict):
        if isinstance(node.get("required"), bool):
            del node["required"]
        props = node.get("properties")
        if isinstance(props, dict):
            names = []
            for name, prop in props.items():
                if (
                    isinstance(prop, dict)
                    and isinstance(prop.get("required"), bool)
                    and prop.pop("required")
                ):
                    names.append(name)
            if names:
                existing = node.get("required")
                merged = list(existing) if isinstance(existing, list) else []
                merged.extend(n for n in names if n not in merged)
                node["required"] = merged
        for value in node.values():
            convert_required(value)
    elif isinstance(node, list):
        for item in node:
            convert_required(item)


def _coerce_scalar(raw: str, schema_type: Any) -> Any:
    if isinstance(schema_type, list):
        for candidate in schema_type:
            try:
                return _coerce_scalar(raw, candidate)
            except ValueError:
                continue
        raise ValueError(f"cannot coerce {raw!r}")
    if schema_type == "integer":
        return int(raw)
    if schema_type == "number":
        return float(raw)
    if schema_type == "boolean":
        lowered = raw.strip().lower()
        if lowered in ("1", "true"):
            return True
        if lowered in ("0", "false", ""):
            return False
        raise ValueError(f"not a boolean: {raw!r}")
    if schema_type == "object":
        return json.loads(raw)
    return raw


def coerce_param(raw: str, schema: dict[str, Any]) -> Any:
    """Coerce one form string by its parameter schema (raises ValueError)."""
    if "$ref" in schema:
        # JSON-encoded objects such as `keyboard` and `forward`.
        return json.loads(raw)
    schema_type = schema.get("type", "string")
    if schema_type == "array":
        if raw == "":
            return []
        item_type = schema.get("items", {}).get("type", "string")
        return [_coerce_scalar(part.strip(), item_type) for part in raw.split(",")]
    return _coerce_scalar(raw, schema_type)


class _Method:
    __slots__ = ("name", "params", "param_schema", "required", "responses", "base")

    def __init__(self, name: str, base: str, definition: dict[str, Any]) -> None:
        self.name = name
        self.base = base
        self.params: dict[str, dict[str, Any]] = {}
        self.required: list[str] = []
        for param in definition.get("parameters", []):
            cleaned = {
                k: v
                for k, v in param.items()
                if k not in ("name", "description", "required", "entity")
            }
            self.params[param["name"]] = cleaned
            if param.get("required") is True:
                self.required.append(param["name"])
        self.param_schema: dict[str, Any] = {
            "$id": f"{base}_params_{name}.json",
            "type": "object",
            "properties": self.params,
            "required": self.required,
        }
        # Absolute once here: urljoin per response would cost more than validating it.
        self.responses: list[str] = [
            urljoin(base, resp["$ref"])
            for resp in definition.get("responses", {}).values()
            if "$ref" in resp
        ]


class VKSchema:
    """Loaded, converted and patched VK schema with cached validators."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = locate_schema_dir(directory)
        docs: dict[str, Any] = {}
        for path in sorted(self.directory.rglob("*.json")):
            rel = path.relative_to(self.directory).as_posix()
            docs[rel] = json.loads(path.read_text(encoding="utf-8"))
        for rel, doc in docs.items():
            if rel not in ("schema.json", "schema-errors.json"):
                convert_required(doc)
        apply_patches(docs)
        self.docs = docs
        self.registry = jsonschema_rs.Registry(
            [(BASE_URI + rel, doc) for rel, doc in docs.items()],
            draft=jsonschema_rs.Draft7,
            retriever=_no_retrieval,
        )
        self.methods: dict[str, _Method] = {}
        for rel, doc in docs.items():
            if rel.endswith("/methods.json"):
                section = rel.rsplit("/", 1)[0]
                for definition in doc.get("methods", []):
                    self.methods[definition["name"]] = _Method(
                        definition["name"], f"{BASE_URI}{section}/", definition
                    )
        self._validators: dict[str, Draft7Validator] = {}

    # -- validators -------------------------------------------------------------------------

    def _validator_for_ref(self, ref: str) -> Draft7Validator:
        """A cached validator for an absolute ref or one relative to the schema root."""
        uri = ref if ref.startswith("http") else BASE_URI + ref
        validator = self._validators.get(uri)
        if validator is None:
            validator = _compile({"$ref": uri}, self.registry)
            self._validators[uri] = validator
        return validator

    def _params_validator(self, method: _Method) -> Draft7Validator:
        key = "params:" + method.name
        validator = self._validators.get(key)
        if validator is None:
            validator = _compile(method.param_schema, self.registry)
            self._validators[key] = validator
        return validator

    def definition_errors(self, ref: str, instance: Any) -> list[str]:
        """Validation errors of an instance against e.g. `docs/objects.json#/definitions/docs_doc`."""
        validator = self._validator_for_ref(ref)
        if validator.is_valid(instance):  # the usual case, without building error objects
            return []
        return [_describe(e) for e in validator.iter_errors(instance)]

    # -- methods ----------------------------------------------------------------------------

    def has_method(self, name: str) -> bool:
        return name in self.methods

    def param_names(self, name: str) -> set[str]:
        return set(self.methods[name].params)

    def coerce_params(self, name: str, raw: dict[str, str]) -> dict[str, Any]:
        """Coerce form strings by schema type; unknown names pass through as strings."""
        method = self.methods[name]
        out: dict[str, Any] = {}
        for key, value in raw.items():
            if key in GLOBAL_PARAMS:
                continue
            schema = method.params.get(key)
            if schema is None:
                out[key] = value
                continue
            try:
                out[key] = coerce_param(value, schema)
            except ValueError as exc:
                code = 911 if key == "keyboard" else 100
                raise VKError(code, f"{key} is invalid") from exc
        return out

    def check_params(self, name: str, params: dict[str, Any]) -> None:
        """Validate coerced parameters; raise VKError 100 (911 for a keyboard) on the first error."""
        method = self.methods[name]
        validator = self._params_validator(method)
        error = next(iter(validator.iter_errors(params)), None)
        if error is None:
            return
        key = str(error.instance_path[0]) if error.instance_path else ""
        if not key and isinstance(error.kind, ValidationErrorKind.Required):
            missing = [r for r in method.required if r not in params]
            key = missing[0] if missing else ""
            raise VKError(100, f"{key} is a required parameter")
        code = 911 if key == "keyboard" else 100
        raise VKError(code, f"{key} is invalid ({error.message[:200]})")

    def response_errors(self, name: str, body: Any) -> list[str]:
        """Errors of a whole `{"response": ...}` body against any of the method's response schemas."""
        method = self.methods.get(name)
        if method is None or not method.responses:
            return []
        validators = [self._validator_for_ref(ref) for ref in method.responses]
        if any(validator.is_valid(body) for validator in validators):
            return []
        return [_describe(e) for validator in validators for e in validator.iter_errors(body)]

    def error_errors(self, body: Any) -> list[str]:
        """Errors of an `{"error": ...}` body against base_error."""
        if not isinstance(body, dict) or "error" not in body:
            return ["no error key"]
        return self.definition_errors("base/objects.json#/definitions/base_error", body["error"])

    def event_errors(self, event: dict[str, Any]) -> list[str]:
        """Errors of a long-poll event: the envelope by callback_base, the object by its type."""
        errors = self.definition_errors("callback/objects.json#/definitions/callback_base", event)
        ref = EVENT_OBJECTS.get(str(event.get("type")))
        if ref is not None:
            errors.extend(self.definition_errors(ref, event.get("object")))
        return errors

    def patched_copy(self, rel: str) -> Any:
        """A deep copy of a loaded (converted, patched) document, for tests."""
        return copy.deepcopy(self.docs[rel])


def _no_retrieval(uri: str) -> Any:
    """Every reference resolves inside the vendored schema: never fetch one (no network)."""
    raise ValueError(f"{uri} is not part of the vendored VK schema")


def _compile(schema: dict[str, Any], registry: jsonschema_rs.Registry) -> Draft7Validator:
    # Formats stay annotations, as they were under python-jsonschema without a format checker.
    return Draft7Validator(
        schema, registry=registry, retriever=_no_retrieval, validate_formats=False
    )


def _describe(error: ValidationError) -> str:
    path = "/".join(str(p) for p in error.instance_path)
    return f"{path or '<root>'}: {error.message[:300]}"


_cached: dict[str, VKSchema] = {}


def load_schema(directory: str | os.PathLike[str] | None = None) -> VKSchema:
    """Load (once per directory) the VK schema."""
    path = str(locate_schema_dir(directory).resolve())
    schema = _cached.get(path)
    if schema is None:
        schema = VKSchema(path)
        _cached[path] = schema
    return schema
