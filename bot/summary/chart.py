"""The indicators' trend over the last periods as a PNG readable on a phone (matplotlib)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from bot.domain.indicators import PERSON_INDICATORS, Thresholds, short_label
from bot.summary.model import TrendPoint

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# The shares a head acts on; pupils' EJD joins them when a district table gives it.
CHART_INDICATORS = (*PERSON_INDICATORS, "students_ejd")
COLORS = ("#1f77b4", "#d62728", "#9467bd", "#2ca02c", "#ff7f0e", "#8c564b")
# Each series has its own marker and dash, and each is drawn a little thinner and smaller than the
# one before it: where two series are equal, the later one lies inside the earlier, both visible.
MARKERS = ("o", "s", "^", "D", "v", "P")
LINESTYLES: tuple[str | tuple[int, tuple[int, ...]], ...] = (
    "-", "--", "-.", ":", (0, (6, 2)), (0, (1, 1)))
LINEWIDTH, LINEWIDTH_STEP = 4.0, 0.6
MARKERSIZE, MARKERSIZE_STEP = 13.0, 1.8


def chart_png(trend: list[TrendPoint], title: str, thresholds: Thresholds | None = None) -> bytes:
    """The chart of `chart_figure` as PNG bytes."""
    buffer = io.BytesIO()
    chart_figure(trend, title, thresholds).savefig(buffer, format="png")
    return buffer.getvalue()


def chart_figure(trend: list[TrendPoint], title: str, thresholds: Thresholds | None = None) -> Figure:
    """Lines of each indicator's share (%) per period, oldest to newest; a note when there is no data.

    Built on a bare `Figure` (no pyplot state), so it is safe to call from a worker thread.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 6), dpi=130, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_title(title, fontsize=15, loc="left", wrap=True)
    labels = [f"{p.period.end:%d.%m}" for p in trend]
    drawn = 0
    for key, color, marker, dashes in zip(CHART_INDICATORS, COLORS, MARKERS, LINESTYLES, strict=True):
        values = [p.share(key) for p in trend]
        if all(v is None for v in values):
            continue
        ys = [float("nan") if v is None else v * 100 for v in values]
        ax.plot(range(len(trend)), ys, marker=marker, linestyle=dashes, color=color,
                linewidth=LINEWIDTH - LINEWIDTH_STEP * drawn,
                markersize=MARKERSIZE - MARKERSIZE_STEP * drawn,
                label=short_label(key, thresholds))
        drawn += 1
    if not drawn:
        ax.text(0.5, 0.5, "Нет данных: загрузите статистику за неделю", ha="center", va="center",
                fontsize=14, transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
    else:
        ax.set_xticks(range(len(trend)), labels, fontsize=12)
        ax.set_ylim(0, 105)
        ax.set_yticks([0, 25, 50, 75, 100], ["0 %", "25 %", "50 %", "75 %", "100 %"], fontsize=12)
        ax.set_xlabel("неделя, по пятницу", fontsize=12)
        ax.grid(True, alpha=0.3)
        ax.margins(x=0.05)
        # Below the axes, in two columns: the legend never covers a line.
        fig.legend(loc="outside lower center", ncols=2, fontsize=12, frameon=False)
    return fig
