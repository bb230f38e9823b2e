"""The official MAX Bot API schema (OpenAPI 3.0, shipped as package data) as JSON Schema validators.

OpenAPI 3.0 is not JSON Schema: `nullable` becomes a null alternative and each `discriminator`
becomes an explicit dispatch on its property (the base schema stays available as `<Name>__base`
for the subtypes that extend it). Then the relaxations of `max_emulator.relaxations` apply.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from emulator_common.schema import describe
from max_emulator.relaxations import apply_relaxations

SCHEMA_FILE = "max-bot-api-openapi-0.0.33.yaml"
SCHEMA_URI = "https://max-bot-api.emulator.local/openapi.json"
_VERBS = ("get", "post", "put", "patch", "delete")
_REF_PREFIX = "#/components/schemas/"


def load_openapi() -> dict[str, Any]:
    """The schema file as shipped (a fresh copy)."""
    text = resources.files("max_emulator").joinpath("data").joinpath(SCHEMA_FILE).read_text("utf-8")
    document: dict[str, Any] = yaml.safe_load(text)
    return document


def _convert(node: Any) -> Any:
    """OpenAPI schema object -> JSON Schema 2020-12 (nullable, discriminator; recursively)."""
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _convert(value) for key, value in node.items() if key != "discriminator"}
    if out.pop("nullable", False):
        out = {"anyOf": [{"type": "null"}, out]}
    return out


def _with_dispatch(schemas: dict[str, Any]) -> dict[str, Any]:
    """Split every schema with a discriminator into a dispatching `Name` and a plain `Name__base`."""
    result = dict(schemas)
    for name, schema in schemas.items():
        discriminator = schema.get("discriminator") if isinstance(schema, dict) else None
        if not discriminator:
            continue
        prop = discriminator["propertyName"]
        mapping: dict[str, str] = discriminator["mapping"]
        base_name = f"{name}__base"
        result[base_name] = {k: v for k, v in schema.items() if k != "discriminator"}
        dispatch: list[dict[str, Any]] = [
            {"$ref": _REF_PREFIX + base_name},
            {"properties": {prop: {"enum": sorted(mapping)}}},
        ]
        for value, target in mapping.items():
            dispatch.append(
                {
                    "if": {"properties": {prop: {"const": value}}, "required": [prop]},
                    "then": {"$ref": target},
                }
            )
        result[name] = {"allOf": dispatch}
        # The subtypes extend the base, not the dispatcher (which would loop back to them).
        for target in mapping.values():
            sub = result[target.removeprefix(_REF_PREFIX)]
            for part in sub.get("allOf", []):
                if part.get("$ref") == _REF_PREFIX + name:
                    part["$ref"] = _REF_PREFIX + base_name
    return result


@dataclass
class Operation:
    """One verb on one path: its parameters and the schemas of its body and answers."""

    verb: str
    path: str
    query: dict[str, dict[str, Any]] = field(default_factory=dict)
    path_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    required_query: list[str] = field(default_factory=list)
    body_ref: str | None = None
    body_required: bool = False
    ok_ref: str | None = None


class MaxSchema:
    """The converted, relaxed schema with cached validators."""

    def __init__(self) -> None:
        openapi = load_openapi()
        self.version = str(openapi["info"]["version"])
        raw_schemas = copy.deepcopy(openapi["components"]["schemas"])
        apply_relaxations(raw_schemas)
        schemas = _convert(_with_dispatch(raw_schemas))
        self.schemas: dict[str, Any] = schemas
        document = {"components": {"schemas": schemas}}
        resource = Resource.from_contents(
            {"$id": SCHEMA_URI, **document}, default_specification=DRAFT202012
        )
        self.registry: Registry[Any] = Registry().with_resource(SCHEMA_URI, resource)
        self.responses: dict[str, Any] = openapi["components"].get("responses", {})
        self.operations: dict[tuple[str, str], Operation] = {}
        for path, item in openapi["paths"].items():
            for verb in _VERBS:
                if verb in item:
                    op = self._operation(verb.upper(), path.strip(), item[verb])
                    self.operations[(op.verb, op.path)] = op
        self._validators: dict[str, Draft202012Validator] = {}

    def _operation(self, verb: str, path: str, spec: dict[str, Any]) -> Operation:
        op = Operation(verb, path)
        for param in spec.get("parameters", []):
            schema = _convert(param.get("schema", {}))
            if param["in"] == "query":
                op.query[param["name"]] = schema
                if param.get("required"):
                    op.required_query.append(param["name"])
            elif param["in"] == "path":
                op.path_params[param["name"]] = schema
        body = spec.get("requestBody")
        if body:
            op.body_required = bool(body.get("required"))
            op.body_ref = body["content"]["application/json"]["schema"]["$ref"]
        ok = spec.get("responses", {}).get("200", {})
        if "$ref" in ok:
            ok = self.responses[ok["$ref"].rsplit("/", 1)[1]]
        ref = ok.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
        op.ok_ref = ref
        return op

    # -- validators -------------------------------------------------------------------------

    def _validator(self, key: str, schema: dict[str, Any]) -> Draft202012Validator:
        validator = self._validators.get(key)
        if validator is None:
            validator = Draft202012Validator(schema, registry=self.registry)
            self._validators[key] = validator
        return validator

    def ref_validator(self, ref: str) -> Draft202012Validator:
        """A validator for `#/components/schemas/Name` or a bare `Name`."""
        if not ref.startswith("#"):
            ref = _REF_PREFIX + ref
        return self._validator(ref, {"$ref": SCHEMA_URI + ref})

    def errors(self, ref: str, instance: Any) -> list[str]:
        """Every error of an instance against a component schema, as `path: message`."""
        return [describe(e) for e in self.ref_validator(ref).iter_errors(instance)]

    def first_error(self, ref: str, instance: Any) -> tuple[str, str] | None:
        """The first error as (field path, message), for a 400 that names the field."""
        best = _first(self.ref_validator(ref).iter_errors(instance))
        if best is None:
            return None
        return _field_of(best), best.message[:300]

    def param_error(self, op: Operation, name: str, value: Any, where: str) -> str | None:
        """Why a coerced query or path value breaks its parameter schema, or None."""
        schema = (op.query if where == "query" else op.path_params)[name]
        key = f"{op.verb} {op.path} {where}:{name}"
        validator = self._validator(key, _absolute_refs(schema))
        error = _first(validator.iter_errors(value))
        return None if error is None else error.message[:300]


def _absolute_refs(node: Any) -> Any:
    """Parameter schemas refer to components by local refs: make them absolute."""
    if isinstance(node, list):
        return [_absolute_refs(item) for item in node]
    if isinstance(node, dict):
        out = {k: _absolute_refs(v) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            out["$ref"] = SCHEMA_URI + ref
        return out
    return node


def _first(errors: Any) -> Any:
    """The most specific error: the deepest one, looking inside anyOf branches but not at the
    `null` branch that `nullable` added (which would only say "not null")."""
    best = None
    for error in errors:
        candidate = error
        if error.context:
            inner = _first(
                e
                for e in error.context
                if not (e.validator == "type" and e.validator_value == "null")
            )
            if inner is not None:
                candidate = inner
        if best is None or len(candidate.absolute_path) > len(best.absolute_path):
            best = candidate
    return best


_INDEX = re.compile(r"^\d+$")


def _field_of(error: Any) -> str:
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        if missing:
            parts.append(missing[0])
    text = ""
    for part in parts:
        text += f"[{part}]" if _INDEX.match(part) else (f".{part}" if text else part)
    return text or "body"


@cache
def load_schema() -> MaxSchema:
    """The schema, loaded once per process."""
    return MaxSchema()


def param_kind(schemas: dict[str, Any], schema: dict[str, Any]) -> tuple[str, str]:
    """(type, item type) of a query or path parameter, looking through refs, allOf and null."""

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        while True:
            if "$ref" in node:
                node = schemas[node["$ref"].removeprefix(_REF_PREFIX)]
            elif "anyOf" in node:
                node = next(n for n in node["anyOf"] if n.get("type") != "null")
            elif "allOf" in node and "type" not in node:
                node = node["allOf"][0]
            else:
                return node

    resolved = resolve(schema)
    # `message_ids` declares `items` without `type: array`.
    kind = str(resolved.get("type", "array" if "items" in resolved else "string"))
    item = str(resolve(resolved.get("items", {})).get("type", "string")) if kind == "array" else ""
    return kind, item
