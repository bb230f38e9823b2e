"""Typed button payloads: each action a small pydantic model with a stable short name.

On the wire a payload is a compact JSON object `{"cmd": "<name>", <short keys>…}`, the
shape every VK button of the bot has carried so far, so buttons on old messages keep
working. It fits both messengers: VK takes a JSON object of at most 255 characters,
MAX a string of at most 1,024 (the same JSON, as text). What comes back is validated:
an unknown name, a missing or mistyped key, an integer outside 64 bits all decode to
None, and the handler answers with a polite refusal instead of acting on it.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.domain.ui import Button, Color

# VK's limit on a button payload (a JSON object as text); MAX allows 1,024, so this fits both.
MAX_PAYLOAD_CHARS = 255
INT64 = range(-(2**63), 2**63)

_REGISTRY: dict[str, type[Payload]] = {}


class PayloadTooLong(ValueError):
    """A payload that would not fit a VK button (a programming error, caught by tests)."""


class Payload(BaseModel):
    """Base of every button action: subclass with `class Open(Payload, name="ch_open")`.

    Fields use short aliases (`key: str = Field(alias="k")`) so payloads stay small;
    extra keys are ignored (old clients may add some), types are strict.
    """

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore", strict=True)

    name: ClassVar[str] = ""

    def __init_subclass__(cls, *, name: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if name:
            if name in _REGISTRY:
                raise RuntimeError(f"two payload models are named {name!r}")
            cls.name = name
            _REGISTRY[name] = cls

    def pack(self) -> dict[str, Any]:
        """The payload as the JSON object a button carries; PayloadTooLong past 255 characters."""
        data = {"cmd": self.name, **self.model_dump(by_alias=True, exclude_none=True)}
        if len(_dumps(data)) > MAX_PAYLOAD_CHARS:
            raise PayloadTooLong(f"{self.name}: payload longer than {MAX_PAYLOAD_CHARS} characters")
        return data

    def dumps(self) -> str:
        """The payload as text (MAX's callback payload is a string)."""
        return _dumps(self.pack())

    def button(self, label: str, *, color: Color = Color.SECONDARY, callback: bool = False) -> Button:
        """A button that carries this action."""
        return Button(label=label, payload=self.pack(), color=color, callback=callback)

    @classmethod
    def parse(cls, raw: str | dict[str, Any] | None) -> Self | None:
        """This action from a received payload, or None when it is another one or invalid."""
        found = decode(raw)
        return found if isinstance(found, cls) else None

    @classmethod
    def filter(cls, *, invalid: bool = False) -> PayloadFilter:
        """A router filter that matches this action and passes it on as `action`.

        With `invalid`, a payload that names this action but does not validate (a forged or
        stale button) matches too, as `action=None`: the feature refuses it in its own words.
        """
        return PayloadFilter(cls, invalid=invalid)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _sane(value: Any) -> bool:
    """False for integers no button of ours carries (outside SQLite's 64 bits), at any depth."""
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return value in INT64
    if isinstance(value, dict):
        return all(_sane(v) for v in value.values())
    if isinstance(value, list):
        return all(_sane(v) for v in value)
    return True


def as_dict(raw: str | dict[str, Any] | None) -> dict[str, Any] | None:
    """A received payload as a dict: VK sends an object (older clients a string), MAX a string."""
    if isinstance(raw, str):
        if len(raw) > 4 * MAX_PAYLOAD_CHARS:
            return None
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    return raw if isinstance(raw, dict) else None


def decode(raw: str | dict[str, Any] | None) -> Payload | None:
    """The action a received payload names, validated; None for anything unknown or forged."""
    data = as_dict(raw)
    if data is None or not _sane(data):
        return None
    name = data.get("cmd")
    model = _REGISTRY.get(name) if isinstance(name, str) else None
    if model is None:
        return None
    try:
        return model.model_validate({k: v for k, v in data.items() if k != "cmd"})
    except ValidationError:
        return None


def registered() -> dict[str, type[Payload]]:
    """Every action name and its model (for tests and documentation)."""
    return dict(_REGISTRY)


class PayloadFilter:
    """Matches an event whose payload decodes to `model`; passes `action` to the handler."""

    def __init__(self, model: type[Payload], *, invalid: bool = False) -> None:
        self.model = model
        self.invalid = invalid

    async def __call__(self, event: Any) -> dict[str, Any] | bool:
        raw = getattr(event, "payload", None)
        found = self.model.parse(raw)
        if found is not None:
            return {"action": found}
        if self.invalid and (as_dict(raw) or {}).get("cmd") == self.model.name:
            return {"action": None}
        return False

    def __repr__(self) -> str:
        return f"PayloadFilter({self.model.name})"
