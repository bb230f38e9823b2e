"""Finding the statistics period in a title row or a file name."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from bot.domain.models import Period

_DATE = r"(\d{1,2})[./](\d{1,2})[./](\d{2,4})"
_ISO = r"(\d{4})-(\d{2})-(\d{2})"
_RANGE_RE = re.compile(_DATE + r"\s*(?:г\.?)?\s*(?:по|до|[-–—_]|\.\.)\s*" + _DATE, re.IGNORECASE)
_ISO_RANGE_RE = re.compile(_ISO + r"\s*(?:по|до|[-–—_]|\.\.)\s*" + _ISO, re.IGNORECASE)
_SHORT_RANGE_RE = re.compile(
    r"(?<![\d.])(\d{1,2})\.(\d{1,2})(?![.\d])\s*(?:по|до|[-–—_]|\.\.)\s*(\d{1,2})\.(\d{1,2})(?![.\d])",
    re.IGNORECASE,
)
# File names cannot hold «/», so «15.04.2023-21.04.2023» also comes as «15042023-21042023».
_COMPACT_RE = re.compile(r"(?<!\d)(\d{2})(\d{2})(\d{4})\s*[-–—_]\s*(\d{2})(\d{2})(\d{4})(?!\d)")


def _date(day: str, month: str, year: str) -> dt.date | None:
    y = int(year)
    if y < 100:
        y += 2000
    try:
        return dt.date(y, int(month), int(day))
    except ValueError:
        return None


def find_period(texts: Iterable[str], today: dt.date | None = None) -> Period | None:
    """The first «с 15.04.2023 по 21.04.2023» / «15.04.2023-21.04.2023» range in the texts.

    With `today`, a range without a year («с 14.11 по 20.11») is taken as the latest one
    that has begun by today.
    """
    texts = list(texts)
    for raw in texts:
        for match in _RANGE_RE.finditer(raw):
            start, end = _date(*match.group(1, 2, 3)), _date(*match.group(4, 5, 6))
            if start and end and start <= end <= start + dt.timedelta(days=62):
                return Period(start=start, end=end)
        for match in _ISO_RANGE_RE.finditer(raw):
            start = _date(match.group(3), match.group(2), match.group(1))
            end = _date(match.group(6), match.group(5), match.group(4))
            if start and end and start <= end <= start + dt.timedelta(days=62):
                return Period(start=start, end=end)
        for match in _COMPACT_RE.finditer(raw):
            start, end = _date(*match.group(1, 2, 3)), _date(*match.group(4, 5, 6))
            if start and end and start <= end <= start + dt.timedelta(days=62):
                return Period(start=start, end=end)
    if today is not None:
        for raw in texts:
            for match in _SHORT_RANGE_RE.finditer(raw):
                found = _without_year(*match.group(1, 2, 3, 4), today=today)
                if found is not None:
                    return found
    return None


def _without_year(d1: str, m1: str, d2: str, m2: str, *, today: dt.date) -> Period | None:
    for year in (today.year, today.year - 1):
        start = _date(d1, m1, str(year))
        if start is None or start > today:
            continue
        end = _date(d2, m2, str(year if (int(m2), int(d2)) >= (int(m1), int(d1)) else year + 1))
        if end is not None and start <= end <= start + dt.timedelta(days=62):
            return Period(start=start, end=end)
    return None
