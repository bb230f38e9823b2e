"""Schools' districts and officials bound to one district in the settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, parse_settings

SCHOOLS = [{"id": "a", "name": "Школа А", "district": "Северный"}, {"id": "b", "name": "Школа Б"}]


def test_official_bound_to_a_district_is_found_by_messenger(tmp_path: Path) -> None:
    """An id in [[district.officials]] gives its district on its own messenger only; others see the region."""
    settings = parse_settings({"schools": SCHOOLS, "district": {
        "official_vk_ids": [1], "officials": [{"district": "Северный", "vk_ids": [5], "max_ids": [6]}]}}, tmp_path)
    assert settings.school("a").district == "Северный" and settings.school("b").district is None
    assert settings.district.bound_district("vk", 5) == "Северный"
    assert settings.district.bound_district("max", 6) == "Северный"
    assert settings.district.bound_district("max", 5) is None
    assert settings.district.bound_district("vk", 1) is None


def test_official_of_a_district_no_school_has_is_refused(tmp_path: Path) -> None:
    """A district no school names is a Russian configuration error listing the schools' districts."""
    with pytest.raises(ConfigError, match="район «Южный» не указан ни у одной школы.*Северный"):
        parse_settings({"schools": SCHOOLS, "district": {"officials": [{"district": "Южный", "vk_ids": [5]}]}},
                       tmp_path)


def test_official_of_a_district_named_only_by_table_schools(tmp_path: Path) -> None:
    """A regional config without [[schools]] binds officials to the table schools' districts: it loads, the
    check runs when the table joins, and a district the table does not name is refused then."""
    officials = {"officials": [{"district": "Южный", "vk_ids": [5]}]}
    settings = parse_settings({"district": officials}, tmp_path)
    table = [{"id": "a", "name": "Школа А", "district": "Южный", "row_no": 2}]
    assert settings.with_table_schools(table).school("a").district == "Южный"
    with pytest.raises(ConfigError, match="import-schools.*район «Южный» не указан ни у одной школы.*Северный"):
        settings.with_table_schools([{**table[0], "district": "Северный"}])
