"""Small helpers shared by the repositories."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any


def iso(moment: dt.datetime | None = None) -> str:
    """A UTC timestamp as stored in the database."""
    return (moment or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat(timespec="seconds")


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
