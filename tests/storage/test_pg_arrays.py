"""Array parameters on PostgreSQL: a list of strings goes in binary (no escaping in Python) and reads back
exactly; other lists keep the text format they had."""

from __future__ import annotations

import pytest

from storage.pg import PgDatabase, _binary_at

# Every character the text array format escapes or splits on, and a few it does not.
TRICKY = ['say "hi"', "back\\slash", "{braces}", "a,b", "", " spaced ", "NULL", "строка\nс переводом", "tab\there"]


@pytest.mark.parametrize(("query", "positions", "expected"), [
    ("SELECT %s, %s, %s", (1,), "SELECT %s, %b, %s"),
    ("SELECT %s, %s", (0, 1), "SELECT %b, %b"),
    ("SELECT '100%%s' || %s, %s", (1,), "SELECT '100%%s' || %s, %b"),
    ("SELECT %%%s", (0,), "SELECT %%%b"),
])
def test_binary_placeholders_skip_escaped_percents(query: str, positions: tuple[int, ...], expected: str) -> None:
    """Only real placeholders are counted: `%%` (a literal percent) is neither one nor changed."""
    assert _binary_at(query, positions) == expected


async def test_text_arrays_read_back_exactly(pg_url: str) -> None:
    """Strings with quotes, backslashes, braces, commas and newlines, and NULLs among them, come back as sent,
    in order, beside a bigint array and an array of NULLs only (both kept in text)."""
    db = await PgDatabase.open(pg_url)
    try:
        async with db.read() as conn, conn.execute(
                "SELECT t, n, z FROM unnest(?::text[], ?::bigint[], ?::bigint[]) WITH ORDINALITY AS v(t, n, z, i) "
                "ORDER BY i", ([*TRICKY, None], list(range(len(TRICKY) + 1)), [None] * (len(TRICKY) + 1))) as cur:
            rows = [tuple(r) for r in await cur.fetchall()]
        assert rows == [(text, i, None) for i, text in enumerate([*TRICKY, None])]
        async with db.read() as conn, conn.execute(
                "SELECT x FROM unnest(?::text[]) AS v(x) WHERE x = ANY(?::text[]) ORDER BY x",
                (TRICKY, ['say "hi"', "a,b", "missing"])) as cur:
            assert [r[0] for r in await cur.fetchall()] == ["a,b", 'say "hi"']
    finally:
        await db.close()
