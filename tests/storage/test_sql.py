"""The dialect helpers both backends share: placeholders, literals and the PostgreSQL row."""

from __future__ import annotations

import pytest

from storage.sql import PgRow, marks, to_pyformat


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = %s AND b = %s"),
    ("SELECT '?' , x FROM t WHERE y = ?", "SELECT '?' , x FROM t WHERE y = %s"),
    ("SELECT 'it''s ?' WHERE z = ?", "SELECT 'it''s ?' WHERE z = %s"),
    ('SELECT "odd?name" FROM t WHERE a = ?', 'SELECT "odd?name" FROM t WHERE a = %s'),
    ("SELECT 1 -- what?\nWHERE a = ?", "SELECT 1 -- what?\nWHERE a = %s"),
    ("SELECT /* ? */ a WHERE b = ?", "SELECT /* ? */ a WHERE b = %s"),
    ("SELECT a FROM t WHERE b LIKE 'x%' AND c = ?", "SELECT a FROM t WHERE b LIKE 'x%%' AND c = %s"),
    ("SELECT a % 2 FROM t", "SELECT a %% 2 FROM t"),
    ("SELECT 1", "SELECT 1"),
])
def test_placeholders_outside_literals(sql: str, expected: str) -> None:
    """`?` becomes `%s` only outside quotes and comments; every `%` is doubled for psycopg."""
    assert to_pyformat(sql) == expected


def test_unterminated_quote_is_refused() -> None:
    """A statement with an open quote is a bug, not something to guess about."""
    with pytest.raises(ValueError, match="unterminated"):
        to_pyformat("SELECT 'abc WHERE a = ?")


def test_marks() -> None:
    """An IN list of n placeholders."""
    assert marks(3) == "?, ?, ?" and marks(0) == ""


def test_pg_row_reads_like_sqlite_row() -> None:
    """By position, by name (the first column of a name wins), keys and unpacking."""
    row = PgRow((1, "a", 2), {"id": 0, "name": 1, "n": 2})
    assert row[0] == 1 and row["name"] == "a" and row.keys() == ["id", "name", "n"]
    assert tuple(row) == (1, "a", 2) and len(row) == 3 and dict(zip(row.keys(), row, strict=True))["n"] == 2
