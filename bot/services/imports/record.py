"""What every applied import leaves behind: one `imports` record per school, and an audit line."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from bot.domain.models import Period
from bot.imports.report import Problem
from bot.messaging.events import Identity
from bot.stores.imports import ImportTx


def sorted_problems(problems: Sequence[Problem]) -> list[Problem]:
    """Problems in the order of the file's rows."""
    return sorted(problems, key=lambda p: p.row)


async def record_in(tx: ImportTx, orgs: Sequence[str], kind: str, period: Period | None, file_name: str,
                    read: Sequence[tuple[Any, ...]], stored: Sequence[tuple[Any, ...]],
                    problems: Sequence[Problem], imported_by: Identity | None) -> dict[str, int]:
    """The import's record for each school (rows read and stored counted by their org, the
    second item of each tuple in `read`, the first of each in `stored`); returns the ids."""
    ids: dict[str, int] = {}
    dumped = [p.model_dump() for p in sorted_problems(problems)]
    read_by = Counter(map(itemgetter(1), read))
    stored_by = Counter(map(itemgetter(0), stored))
    for org in orgs:
        ids[org] = await tx.create_import_in(
            org_id=org, kind=kind, period=period, file_name=file_name[:200], rows_read=read_by.get(org, 0),
            rows_imported=stored_by.get(org, 0), problems=dumped, imported_by=imported_by)
        await tx.audit_in(actor=imported_by, org_id=org, action=f"import_{kind}", outcome="ok",
                          target=file_name[:200],
                          details={"period": period.key if period else None, "import_id": ids[org]})
    return ids
