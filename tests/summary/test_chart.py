"""The summary chart shows every series, even when two of them are equal."""

from __future__ import annotations

import datetime as dt
from itertools import combinations

from bot.domain.indicators import PERSON_INDICATORS
from bot.domain.models import Period
from bot.summary.chart import chart_figure
from bot.summary.model import TrendPoint


def _trend(weeks: int) -> list[TrendPoint]:
    """Weeks where every teachers' indicator has the same count: all lines coincide."""
    friday = dt.date(2026, 11, 20)
    points = []
    for back in reversed(range(weeks)):
        end = friday - dt.timedelta(weeks=back)
        values: dict[str, int | None] = {key: 10 + back for key in PERSON_INDICATORS}
        values["teachers_total"] = 40
        points.append(TrendPoint(period=Period(start=end - dt.timedelta(days=6), end=end), values=values))
    return points


def test_equal_series_stay_distinguishable() -> None:
    """Coinciding series each get a line and a legend entry with their own marker and dash, and each
    is drawn thinner and smaller than the one beneath it, so none hides another."""
    figure = chart_figure(_trend(3), "Школа")
    lines = figure.axes[0].get_lines()
    assert len(lines) == len(PERSON_INDICATORS)
    assert all(list(line.get_ydata()) == list(lines[0].get_ydata()) for line in lines)
    styles = [(line.get_marker(), str(line.get_linestyle())) for line in lines]
    assert len({s[0] for s in styles}) == len(lines) and len(set(styles)) == len(lines)
    assert len({s[1] for s in styles}) >= 4  # solid, dashed, dash-dot, dotted, then custom dashes
    for below, above in combinations(lines, 2):
        assert above.get_linewidth() < below.get_linewidth()
        assert above.get_markersize() < below.get_markersize()
        assert above.get_linewidth() > 0 and above.get_markersize() > 0
    legend_labels = [t.get_text() for legend in figure.legends for t in legend.get_texts()]
    assert len(legend_labels) == len(lines) and len(set(legend_labels)) == len(lines)
