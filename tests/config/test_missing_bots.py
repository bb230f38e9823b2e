"""Table schools naming a bot the config no longer has: found, said in Russian with the fix, and not routed to
another bot by `Settings.bot_of`."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.config import parse_settings
from bot.missing_bots import missing_bots, warn_missing_bots

TWO_VK = {"communities": [{"name": "north", "token": "tn", "group_id": 11},
                          {"name": "south", "token": "ts", "group_id": 12}]}
TABLE = [{"id": "t1", "name": "Школа Т", "inn": "0500000001", "vk_community": "west", "max_bot": "east"},
         {"id": "t2", "name": "Школа Ю", "inn": "0500000002", "vk_community": "south"}]


def test_schools_naming_a_bot_not_configured_are_found_and_keep_that_name(tmp_path: Path) -> None:
    """«west» is gone from [[vk.communities]], MAX has no named bots at all: both are reported for school t1;
    t2's «south» runs. `bot_of` keeps naming «west», so nothing routes t1 to «north»."""
    settings = parse_settings({"vk": TWO_VK, "max": {"token": "m"}}, tmp_path).with_table_schools(TABLE)
    found = missing_bots(settings)
    assert [(m.school_id, m.messenger, m.name, m.running) for m in found] == [
        ("t1", "vk", "west", ("north", "south")), ("t1", "max", "east", ())]
    assert found[0].problem() == ("Школа «Школа Т» (t1) привязана к сообществу ВКонтакте «west», а его нет в "
                                  "[[vk.communities]] (есть: north, south): сообщения этой школы через него "
                                  "не отправляются.")
    assert found[1].problem().startswith("Школа «Школа Т» (t1) привязана к боту MAX «east», а его нет в "
                                         "[[max.bots]] (названных там нет)")
    assert "столбце «Бот MAX»" in found[1].fix() and "Верните «east» в [[max.bots]]" in found[1].fix()
    assert [settings.bot_of("vk", "t1"), settings.bot_of("vk", "t2"), settings.bot_of("vk", None)] == [
        "west", "south", "north"]


def test_nothing_is_reported_when_every_named_bot_runs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = parse_settings({"vk": TWO_VK}, tmp_path).with_table_schools(TABLE[1:])
    with caplog.at_level(logging.WARNING):
        assert warn_missing_bots(settings) == []
    assert caplog.records == []
