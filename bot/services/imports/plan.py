"""Plan, then apply: an import first says what it would change, and changes it only when allowed.

Any import (the roster, the weekly statistics, later the schools) builds a `Plan` inside the
write transaction: its `preview` counts what would change, `apply(conn)` changes it.
`execute` decides by the `Mode`: an import that marks nobody as left and replaces no loaded
period applies at once; otherwise it needs a confirmation (`--yes`, the deputy's button).
Whatever is not applied is rolled back, so a preview changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from bot.domain.models import Period
from bot.domain.russian import count

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)
MAX_LEFT_NAMES = 10


class Mode(StrEnum):
    """How an import treats its preview."""

    AUTO = "auto"  # apply at once unless the preview needs a confirmation
    DRY_RUN = "dry_run"  # only the preview
    APPLY = "apply"  # confirmed: apply whatever the preview says


@dataclass(frozen=True)
class Preview:
    """What an import would change: people (or rows) added and changed, people marked as left,
    the loaded period it replaces."""

    added: int = 0
    changed: int = 0
    left: int = 0
    left_names: tuple[str, ...] = ()
    replaces_period: Period | None = None
    # People a roster binds to a (new) MAX account; shown in the text, not in the JSON the specs fix.
    max_bound: int = 0

    @property
    def needs_confirmation(self) -> bool:
        """Marking people as left and replacing a loaded period wait for a confirmation."""
        return self.left > 0 or self.replaces_period is not None

    def as_json(self) -> dict[str, object]:
        """The machine preview the specs fix."""
        return {
            "preview": True,
            "added": self.added,
            "changed": self.changed,
            "left": self.left,
            "left_names": list(self.left_names),
            "replaces_period": _period_text(self.replaces_period),
        }

    def to_dict(self) -> dict[str, Any]:
        """A plain form to keep with a pending confirmation."""
        return {**self.as_json(), "max_bound": self.max_bound}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Preview:
        """The preview `to_dict` kept."""
        period = data.get("replaces_period")
        return cls(added=int(data.get("added", 0)), changed=int(data.get("changed", 0)),
                   left=int(data.get("left", 0)), left_names=tuple(str(n) for n in data.get("left_names", [])),
                   replaces_period=Period.parse(period) if period else None,
                   max_bound=int(data.get("max_bound", 0)))

    def lines(self) -> list[str]:
        """The preview in Russian, a line per change."""
        lines = [f"Будет добавлено: {self.added}, изменено: {self.changed}."]
        if self.max_bound:
            lines.append(f"Будут привязаны к MAX: {count(self.max_bound, 'человек')}.")
        if self.left:
            shown = ", ".join(self.left_names)
            more = self.left - len(self.left_names)
            tail = f" и ещё {more}" if more > 0 else ""
            lines.append(f"Будут отмечены как уволившиеся: {count(self.left, 'человек')}"
                         f" — {shown}{tail}.")
        if self.replaces_period is not None:
            lines.append(f"Неделя {self.replaces_period} уже загружена: её данные будут заменены.")
        return lines


def _period_text(period: Period | None) -> str | None:
    return f"{period.start.isoformat()}..{period.end.isoformat()}" if period else None


class Plan(Protocol[R_co]):
    """What an import will write, computed inside its transaction."""

    @property
    def preview(self) -> Preview: ...

    async def apply(self, conn: Any) -> R_co: ...


class _NotApplied(Exception):
    """Rolls the transaction back after a preview."""

    def __init__(self, preview: Preview) -> None:
        super().__init__("not applied")
        self.preview = preview


@dataclass(frozen=True)
class Outcome(Generic[R]):
    """Either the result of an applied import or the preview of one that was not applied."""

    result: R | None = None
    preview: Preview | None = None
    kind: str = ""  # 'roster' or 'stats': how the file was read


Transaction = Callable[[], Any]  # ImportsStore.transaction: an async context manager of an ImportTx
Claim = Callable[[Any], Awaitable[None]]


async def execute(transaction: Transaction, build: Callable[[Any], Awaitable[Plan[R]]], mode: Mode, *,
                  expected: Preview | None = None, claim: Claim | None = None) -> Outcome[R]:
    """Build the plan in one write transaction and apply it there, or roll back and return its preview.

    `expected`: the preview a person confirmed; a plan that now differs (the data changed
    meanwhile) is not applied and its new preview is returned. `claim(conn)` runs in the
    same transaction just before applying (it marks a stored confirmation as used, so that
    it cannot be applied twice) and may raise to refuse.
    """
    try:
        async with transaction() as conn:
            plan = await build(conn)
            preview = plan.preview
            held = mode is Mode.DRY_RUN or (mode is Mode.AUTO and preview.needs_confirmation)
            if held or (expected is not None and preview != expected):
                raise _NotApplied(preview)
            if claim is not None:
                await claim(conn)
            return Outcome(result=await plan.apply(conn))
    except _NotApplied as held_back:
        return Outcome(preview=held_back.preview)
