"""Officials bound to a district: the district must be one that a school names."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class _School(Protocol):
    @property
    def district(self) -> str | None: ...


class _Official(Protocol):
    @property
    def district(self) -> str: ...


def check_officials_districts(officials: Sequence[_Official], schools: Sequence[_School]) -> None:
    """Raise ValueError (a Russian line listing the schools' districts) for an official's unknown district."""
    known = {(s.district or "").strip().casefold() for s in schools if s.district}
    for entry in officials:
        if entry.district.strip().casefold() not in known:
            names = ", ".join(sorted({s.district for s in schools if s.district})) or "нет ни одного"
            raise ValueError(f"в [[district.officials]] район «{entry.district}» не указан ни у одной школы "
                             f"(поле district); районы школ: {names}")
