"""The region-week benchmark at a tiny scale on PostgreSQL, so that it cannot rot: every stage runs through
the real commands, emulators and workers, and nothing is lost or duplicated."""

from __future__ import annotations

import pytest

from tests import benchmark_scripts

bench = benchmark_scripts.load("bench_region_week")


async def test_a_tiny_region_week_loses_and_duplicates_nothing(pg_url: str,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """2 schools, 40 people in VK and 4 in MAX: imports, both reminder waves, 3 confirmations, 4 summaries."""
    args = bench.parse_args(["--pg-url", pg_url, "--schools", "2", "--vk-people", "40", "--max-people", "4",
                             "--naive-people", "10", "--confirm-vk", "2", "--confirm-max", "1",
                             "--summary-schools", "2"])
    assert await bench.main(args) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    for stage in ("import-schools", "import-roster", "import-stats", "reminders, naive", "reminders: 2 workers",
                  "confirmations", "summaries"):
        assert stage in out
    assert "the region's xlsx ranks 2 of 2 schools" in out
    assert "planned and staged" in out and "VK 40, MAX 4" in out
