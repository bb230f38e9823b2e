"""The table's schools taken again into running settings: in place, so every copy the services hold sees them."""

from __future__ import annotations

from pathlib import Path

from bot.config import parse_settings

TABLE = {"name": "Школа из таблицы", "inn": "1", "timezone": "Europe/Moscow", "row_no": 1}


def test_refresh_changes_the_shared_list_and_drops_schools_that_left(tmp_path: Path) -> None:
    """A copy made before the refresh sees the new school; a table school that left is dropped, a table
    school with a config school's id replaces it, and the config's own school stays."""
    settings = parse_settings({"schools": [{"id": "a", "name": "А"}]}, tmp_path)
    started = settings.with_table_schools([{**TABLE, "id": "b"}])
    held = started.for_bot()  # what a service holds
    assert started.refresh_table_schools([{**TABLE, "id": "b"}]) is False
    assert started.refresh_table_schools([{**TABLE, "id": "c"}, {**TABLE, "id": "a", "name": "А из таблицы"}])
    assert [(s.id, s.name) for s in held.schools] == [("a", "А из таблицы"), ("c", "Школа из таблицы")]
    assert started.refresh_table_schools([]) is True
    assert [(s.id, s.name) for s in held.schools] == [("a", "А")]
